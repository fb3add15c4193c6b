/**
 * The audit record of every `tools/call`, `prompts/get` and
 * `resources/read`, local or upstream: built from what the dispatcher
 * reports when a call is answered ({@linkcode AuditSink}) and from what the
 * scope step refuses, then handed to the `onEvent` listener (event type
 * `"audit"`) and, when a logger provider is registered, to OpenTelemetry as
 * a log record (audit_log.ts). Nothing is built while neither is there.
 *
 * Every string is kept to one line (controls and line separators escaped)
 * and bounded ({@linkcode MAX_AUDIT_VALUE_BYTES}, recorded arguments
 * {@linkcode MAX_AUDIT_ARGUMENTS_BYTES}); the principal is its `id` and
 * `issuer` only, never a token, a header value or another claim. The
 * arguments' digest is an HMAC under `observe.audit.digestKey` (none
 * without a key), computed with WebCrypto (asynchronous), so records are
 * delivered a few microtasks after the answers they describe, in the order
 * those were answered.
 * @module
 */

import { type Context, trace } from "@opentelemetry/api";
import {
  type ClassifiedMessage,
  isPlainObject,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "../../jsonrpc/messages.ts";
import {
  AUDITED_METHODS,
  type AuditedCall,
  type AuditedMethod,
  type AuditRecord,
  type AuditRedaction,
  type AuditSink,
} from "../../protocol/dispatch/audit.ts";
import { type AuditedRegistries, upstreamServing } from "../../protocol/dispatch/audited_call.ts";
import { isAnonymous, type Principal } from "../../protocol/context/principal.ts";
import { AuditLog, registeredLoggerProvider } from "./audit_log.ts";
import { oneLine, truncateUtf8 } from "../telemetry/bounded_values.ts";
import { canonicalJson, importDigestKey, keyedDigest } from "./canonical_json.ts";

/** The most UTF-8 bytes of any string field of an audit record but `arguments`. */
export const MAX_AUDIT_VALUE_BYTES = 256;

/** The most UTF-8 bytes of an audit record's recorded (redacted) `arguments`. */
export const MAX_AUDIT_ARGUMENTS_BYTES = 4096;

/** What the auditor is built with (the handler's `observe` option). */
export interface AuditorOptions {
  /** The `onEvent` listener, when one is set: it gets each record (its throws go to `onError`). */
  listener: ((record: AuditRecord) => void) | undefined;
  /** `observe.audit.redact`: record redacted arguments instead of their digest. */
  redact?: AuditRedaction;
  /** `observe.audit.digestKey`: the arguments digest's HMAC key (none: no digest). */
  digestKey?: string | Uint8Array;
  onError: (error: unknown) => void;
  /** The clock of the record's `time`. */
  now?: () => number;
}

/** What the parts of a record other than the call's answer are. */
interface RecordBasis {
  method: AuditedMethod;
  params: Record<string, unknown> | undefined;
  id: JsonRpcRequest["id"];
  principal: Principal;
  sessionId: string | null;
  protocolVersion: string;
  upstream: string | undefined;
  durationMs: number;
  context: Context | undefined;
}

/** `text` on one line (a client's line break cannot forge a record), then bounded. */
const bounded = (text: string): string => truncateUtf8(oneLine(text), MAX_AUDIT_VALUE_BYTES);

/** The record's principal: subject and issuer, bounded; nothing else of it. */
function principalOf(principal: Principal): AuditRecord["principal"] {
  if (isAnonymous(principal)) return { subject: "anonymous", anonymous: true };
  const subject = bounded(String(principal.id));
  const issuer = principal.issuer;
  return typeof issuer === "string" && issuer !== ""
    ? { subject, issuer: bounded(issuer) }
    : { subject };
}

/** The outcome of an answered call, with its error or task. */
function outcomeOf(
  call: AuditedCall,
  response: JsonRpcResponse,
): Pick<AuditRecord, "outcome" | "error" | "taskId"> {
  if (call.ctx.signal.aborted) return { outcome: "cancelled" };
  if (call.ctx.inputPending === true) return { outcome: "input-required" };
  if ("error" in response) {
    const { code, message } = response.error;
    return { outcome: "error", error: { code, message: bounded(String(message)) } };
  }
  const result = response.result;
  if (result.isError === true) return { outcome: "tool-error" };
  // A CreateTaskResult: `{ task: {...} }` in 2025-11-25, flat with `resultType: "task"` in 2026-07-28.
  const task = result.resultType === "task" ? result : result.task;
  if (isPlainObject(task) && typeof task.taskId === "string") {
    return { outcome: "task", taskId: bounded(task.taskId) };
  }
  return { outcome: "ok" };
}

/** The trace id of a request's span context, when one is recorded. */
function traceIdOf(context: Context | undefined): string | undefined {
  if (context === undefined) return undefined;
  const id = trace.getSpanContext(context)?.traceId;
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}

/** Builds audit records and delivers them to the listener and the logger provider. */
export class Auditor implements AuditSink {
  readonly #options: AuditorOptions;
  readonly #log = new AuditLog();
  readonly #now: () => number;
  /** The arguments digest's key, imported once; undefined: no digest. */
  readonly #key: Promise<CryptoKey> | undefined;
  /** The last record's delivery: each waits for the one before, so records keep their order. */
  #tail: Promise<void> = Promise.resolve();

  constructor(options: AuditorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    // Checked here, so a short key fails createMcpHandler rather than every record.
    this.#key = options.digestKey === undefined ? undefined : importDigestKey(options.digestKey);
    this.#key?.catch(() => {}); // a failed import is reported by each record that needs it
  }

  /** True while a record would go anywhere: a listener, or a registered logger provider. */
  active(): boolean {
    return this.#options.listener !== undefined || registeredLoggerProvider() !== undefined;
  }

  /** A call the dispatcher answered. Never throws. */
  finished(call: AuditedCall): void {
    const { request, ctx } = call;
    try {
      this.#deliver({
        method: request.method as AuditedMethod,
        params: request.params,
        id: request.id,
        principal: ctx.principal,
        sessionId: ctx.session?.id ?? null,
        protocolVersion: ctx.protocolVersion,
        upstream: call.upstream,
        durationMs: performance.now() - call.started,
        context: ctx.trace?.context as Context | undefined,
      }, outcomeOf(call, call.response));
    } catch (error) {
      this.#options.onError(error);
    }
  }

  /**
   * The audited requests of a POST the scope step refused (403): one
   * `refused` record each. `sessionId` is the `Mcp-Session-Id` presented.
   */
  refused(
    registries: AuditedRegistries,
    messages: readonly ClassifiedMessage[],
    principal: Principal,
    sessionId: string | null,
    protocolVersion: string,
  ): void {
    for (const entry of messages) {
      if (entry.kind !== "request" || !AUDITED_METHODS.has(entry.message.method)) continue;
      const request = entry.message;
      try {
        this.#deliver({
          method: request.method as AuditedMethod,
          params: request.params,
          id: request.id,
          principal,
          sessionId,
          protocolVersion,
          upstream: upstreamServing(registries, request, principal),
          durationMs: 0,
          context: undefined,
        }, { outcome: "refused" });
      } catch (error) {
        this.#options.onError(error);
      }
    }
  }

  /** Completes the record (its arguments' digest is asynchronous) and delivers it. */
  #deliver(basis: RecordBasis, outcome: Pick<AuditRecord, "outcome" | "error" | "taskId">): void {
    const params = basis.params;
    const named = basis.method === "resources/read" ? params?.uri : params?.name;
    const record: AuditRecord = {
      type: "audit",
      time: new Date(this.#now()).toISOString(),
      method: basis.method,
      entry: typeof named === "string" ? bounded(named) : "",
      principal: principalOf(basis.principal),
      sessionId: basis.sessionId === null ? null : bounded(basis.sessionId),
      protocolVersion: bounded(basis.protocolVersion),
      requestId: bounded(String(basis.id)),
      outcome: outcome.outcome,
      durationMs: Math.round(basis.durationMs * 1000) / 1000,
    };
    if (basis.upstream !== undefined) record.upstream = bounded(basis.upstream);
    if (outcome.error !== undefined) record.error = outcome.error;
    if (outcome.taskId !== undefined) record.taskId = outcome.taskId;
    const traceId = traceIdOf(basis.context);
    if (traceId !== undefined) record.traceId = traceId;
    const args = isPlainObject(params?.arguments) ? params.arguments : {};
    const key = this.#key;
    const digest =
      basis.method === "resources/read" || this.#recordRedacted(record, args) || key === undefined
        ? undefined
        : key.then((imported) => keyedDigest(imported, args));
    this.#tail = this.#tail.then(() => digest).then((value) => {
      if (value !== undefined) record.argumentsDigest = value;
      this.#send(record, basis.context);
    }).catch(this.#options.onError);
  }

  /** Records `args` as the redaction policy gives them; false without a policy or when it failed. */
  #recordRedacted(record: AuditRecord, args: Record<string, unknown>): boolean {
    const redact = this.#options.redact;
    if (redact === undefined) return false;
    let text: string;
    try {
      const entry = { method: record.method, entry: record.entry };
      text = canonicalJson(
        redact(
          args,
          record.upstream === undefined ? entry : { ...entry, upstream: record.upstream },
        ),
      );
    } catch (error) {
      this.#options.onError(error);
      return false;
    }
    // JSON leaves U+2028, U+2029, DEL and C1 raw in strings; escaped, it is the same JSON on one line.
    text = oneLine(text);
    const cut = truncateUtf8(text, MAX_AUDIT_ARGUMENTS_BYTES);
    record.arguments = cut;
    if (cut.length < text.length) record.argumentsTruncated = true;
    return true;
  }

  #send(record: AuditRecord, context: Context | undefined): void {
    const listener = this.#options.listener;
    if (listener !== undefined) {
      try {
        listener(record);
      } catch (error) {
        this.#options.onError(error);
      }
    }
    try {
      this.#log.emit(record, context);
    } catch (error) {
      this.#options.onError(error);
    }
  }
}
