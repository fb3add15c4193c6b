/**
 * Audit records as OpenTelemetry log records, through the logs API of
 * `@opentelemetry/api` 1.10+ (what `@opentelemetry/sdk-logs` registers with
 * `logs.setGlobalLoggerProvider`). The provider is read from the API's
 * global on each record, so one registered after the handler was made is
 * used from then on, and this module imports nothing of the API at run
 * time: on an older API (no logs) it simply finds no provider.
 *
 * Not here: building the record (auditor.ts), any SDK or exporter.
 * @module
 */

import type { Attributes, Context, Logger, LoggerProvider } from "@opentelemetry/api";
import type { AuditRecord } from "../../protocol/dispatch/audit.ts";
import { SCOPE } from "../telemetry/conventions.ts";

/** Where `@opentelemetry/api` 1.x keeps what is registered (shared by every copy of the API). */
const OTEL_API_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/** The log record's event name. */
export const AUDIT_EVENT_NAME = "mcp.server.audit";

/** `SeverityNumber.INFO` and `WARN` of the logs API (numbers, so nothing is imported). */
const INFO = 9;
const WARN = 13;

/** The registered logger provider, or undefined: one property read. */
export function registeredLoggerProvider(): LoggerProvider | undefined {
  const api = (globalThis as Record<symbol, { logs?: LoggerProvider } | undefined>)[
    OTEL_API_GLOBAL
  ];
  return api?.logs;
}

/** The audit record's fields as log attributes (the names follow the MCP conventions where they have one). */
function attributesOf(record: AuditRecord): Attributes {
  const attributes: Attributes = {
    "mcp.method.name": record.method,
    "mcp.audit.entry": record.entry,
    "mcp.audit.outcome": record.outcome,
    "mcp.audit.principal.subject": record.principal.subject,
    "mcp.protocol.version": record.protocolVersion,
    "jsonrpc.request.id": record.requestId,
    "mcp.audit.duration_ms": record.durationMs,
  };
  if (record.upstream !== undefined) attributes["mcp.audit.upstream"] = record.upstream;
  if (record.principal.issuer !== undefined) {
    attributes["mcp.audit.principal.issuer"] = record.principal.issuer;
  }
  if (record.principal.anonymous) attributes["mcp.audit.principal.anonymous"] = true;
  if (record.sessionId !== null) attributes["mcp.session.id"] = record.sessionId;
  if (record.argumentsDigest !== undefined) {
    attributes["mcp.audit.arguments.digest"] = record.argumentsDigest;
  }
  if (record.arguments !== undefined) attributes["mcp.audit.arguments"] = record.arguments;
  if (record.error !== undefined) {
    attributes["rpc.response.status_code"] = String(record.error.code);
    attributes["error.type"] = String(record.error.code);
    attributes["mcp.audit.error.message"] = record.error.message;
  }
  if (record.taskId !== undefined) attributes["mcp.audit.task.id"] = record.taskId;
  if (record.traceId !== undefined) attributes["mcp.audit.trace_id"] = record.traceId;
  return attributes;
}

/** Emits audit records to the registered logger provider's `@tether/mcp` logger. */
export class AuditLog {
  #provider: LoggerProvider | undefined;
  #logger: Logger | undefined;

  /** Emits `record` (in the request's trace `context` when known); false when no provider is registered. */
  emit(record: AuditRecord, context: Context | undefined): boolean {
    const provider = registeredLoggerProvider();
    if (provider === undefined) return false;
    if (provider !== this.#provider) {
      this.#provider = provider;
      this.#logger = provider.getLogger(SCOPE);
    }
    const failed = record.outcome === "error" || record.outcome === "refused";
    this.#logger!.emit({
      eventName: AUDIT_EVENT_NAME,
      timestamp: new Date(record.time),
      severityNumber: failed ? WARN : INFO,
      severityText: failed ? "WARN" : "INFO",
      // One line: the record's strings were escaped when it was built (auditor.ts).
      body: `${record.method} ${record.entry}: ${record.outcome}`,
      attributes: attributesOf(record),
      context,
    });
    return true;
  }
}
