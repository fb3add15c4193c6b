/**
 * Shared helpers for the in-process handler tests: building requests the way
 * a client would, initializing sessions, reading JSON or SSE answers, and
 * asserting the shape of HTTP error responses. Not a test file itself.
 * @module
 */

import assert from "node:assert/strict";
import {
  createMcpHandler,
  defineTool,
  type McpHandler,
  type McpHandlerOptions,
  type ToolDefinition,
} from "../mod.ts";

/** The endpoint every in-process request targets. */
export const ENDPOINT = "http://127.0.0.1:8787/mcp";
/** The Accept header a conforming client sends on POST. */
export const ACCEPT_BOTH = "application/json, text/event-stream";

/** A handler with test-friendly defaults (quiet onError unless given). */
export function makeHandler(options: Partial<McpHandlerOptions> = {}): McpHandler {
  return createMcpHandler({
    name: "test-server",
    version: "1.0.0",
    ...options,
    observe: { onError: () => {}, ...options?.observe },
  });
}

/** Headers to send; `undefined` removes a default header. */
export type HeaderMap = Record<string, string | undefined>;

/** Options of {@linkcode postRequest}. */
export interface PostOptions {
  headers?: HeaderMap;
  sessionId?: string;
  protocolVersion?: string;
  url?: string;
  /** Drops the request (the client going away) when it aborts. */
  signal?: AbortSignal;
}

function buildHeaders(defaults: HeaderMap, extra: HeaderMap = {}): Headers {
  const headers = new Headers();
  const merged: HeaderMap = { ...defaults };
  for (const [name, value] of Object.entries(extra)) merged[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(merged)) {
    if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** A POST as a conforming client sends it; `body` is serialised unless it is a string. */
export function postRequest(body: unknown, options: PostOptions = {}): Request {
  const headers = buildHeaders({
    accept: ACCEPT_BOTH,
    "content-type": "application/json",
    "mcp-session-id": options.sessionId,
    "mcp-protocol-version": options.protocolVersion,
  }, options.headers);
  return new Request(options.url ?? ENDPOINT, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: options.signal,
  });
}

/**
 * A resume: the GET of session `session` with `Last-Event-ID: lastEventId`.
 * @example
 * ```ts ignore
 * const resumed = await handler(resumeRequest(session, events[0].id!));
 * ```
 */
export function resumeRequest(
  session: { id: string; protocolVersion?: string },
  lastEventId: string,
): Request {
  return bodilessRequest("GET", {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    headers: { "last-event-id": lastEventId },
  });
}

/** A GET or DELETE (or any bodiless method) for a session. */
export function bodilessRequest(method: string, options: PostOptions = {}): Request {
  const headers = buildHeaders({
    accept: method === "GET" ? "text/event-stream" : undefined,
    "mcp-session-id": options.sessionId,
    "mcp-protocol-version": options.protocolVersion,
  }, options.headers);
  return new Request(options.url ?? ENDPOINT, { method, headers });
}

/** The parameters of an `initialize` request. */
export function initializeMessage(
  protocolVersion = "2025-11-25",
  capabilities: Record<string, unknown> = {},
  id: number | string = 0,
) {
  return {
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: {
      protocolVersion,
      capabilities,
      clientInfo: { name: "test-client", version: "0.0.0" },
    },
  };
}

/** A live session as the tests see it. */
export interface TestSession {
  id: string;
  protocolVersion: string;
  /** Extra headers sent with every request of this session (e.g. who the caller is). */
  headers: HeaderMap;
  /** The InitializeResult. */
  // deno-lint-ignore no-explicit-any
  result: any;
}

/** Initializes a session and checks the answer carries a session id. */
export async function initialize(
  handler: McpHandler,
  options: {
    protocolVersion?: string;
    headers?: HeaderMap;
    capabilities?: Record<string, unknown>;
  } = {},
): Promise<TestSession> {
  const response = await handler(
    postRequest(initializeMessage(options.protocolVersion, options.capabilities), {
      headers: options.headers,
    }),
  );
  assert.equal(
    response.status,
    200,
    `initialize answered ${response.status}: ${await response.clone().text()}`,
  );
  const id = response.headers.get("mcp-session-id");
  assert.ok(id, "initialize must return an mcp-session-id header");
  const body = await response.json();
  assert.ok(body.result, "initialize must succeed");
  return {
    id,
    protocolVersion: body.result.protocolVersion,
    headers: options.headers ?? {},
    result: body.result,
  };
}

/** One parsed SSE event. */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  comments: string[];
}

/** Parses an SSE body into events (per the WHATWG field rules: one leading space after the colon is dropped). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r\n\r\n|\n\n|\r\r/)) {
    if (block === "") continue;
    const event: SseEvent = { comments: [] };
    for (const line of block.split(/\r\n|\n|\r/)) {
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "") event.comments.push(value);
      else if (field === "data") {
        event.data = event.data === undefined ? value : `${event.data}\n${value}`;
      } else if (field === "id") event.id = value;
      else if (field === "event") event.event = value;
      else if (field === "retry") event.retry = Number(value);
    }
    events.push(event);
  }
  return events;
}

/** The outcome of {@linkcode rpc}: the HTTP response and the JSON-RPC messages it carried. */
export interface RpcOutcome {
  response: Response;
  status: number;
  contentType: string;
  /** The JSON-RPC response to the request (from JSON, or the response event of an SSE stream). */
  // deno-lint-ignore no-explicit-any
  message: any;
  /** Every JSON-RPC message carried (one for JSON; each data event for SSE). */
  // deno-lint-ignore no-explicit-any
  messages: any[];
  /** The raw SSE events, for SSE answers. */
  events: SseEvent[];
}

/** Reads an answer, JSON or SSE, to completion. */
export async function readAnswer(response: Response): Promise<RpcOutcome> {
  const contentType = response.headers.get("content-type") ?? "";
  const text = await response.text();
  let events: SseEvent[] = [];
  // deno-lint-ignore no-explicit-any
  let messages: any[] = [];
  if (contentType.startsWith("text/event-stream")) {
    events = parseSse(text);
    messages = events.filter((e) => e.data !== undefined && e.data !== "").map((e) =>
      JSON.parse(e.data!)
    );
  } else if (text !== "") {
    messages = [JSON.parse(text)];
  }
  const message =
    messages.find((m) => m !== null && typeof m === "object" && ("result" in m || "error" in m)) ??
      messages[0];
  return { response, status: response.status, contentType, message, messages, events };
}

let nextId = 1;

/** Sends one request on a session and reads the answer. */
export async function rpc(
  handler: McpHandler,
  session: TestSession,
  method: string,
  params?: Record<string, unknown>,
  options: { id?: number | string; headers?: HeaderMap } = {},
): Promise<RpcOutcome> {
  const message: Record<string, unknown> = { jsonrpc: "2.0", id: options.id ?? nextId++, method };
  if (params !== undefined) message.params = params;
  const response = await handler(postRequest(message, {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    headers: { ...session.headers, ...options.headers },
  }));
  return await readAnswer(response);
}

/** Opens the session's listening stream (GET) on `handler`, checks it answered 200, and returns its reader. */
export async function openListening(
  handler: McpHandler,
  session: TestSession,
): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const response = await handler(bodilessRequest("GET", {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    headers: session.headers,
  }));
  assert.equal(response.status, 200);
  return response.body!.getReader();
}

/** Sends one notification on a session; returns the HTTP response. */
export function notify(
  handler: McpHandler,
  session: TestSession,
  method: string,
  params?: Record<string, unknown>,
): Promise<Response> {
  const message: Record<string, unknown> = { jsonrpc: "2.0", method };
  if (params !== undefined) message.params = params;
  return handler(postRequest(message, {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    headers: session.headers,
  }));
}

/**
 * Asserts an HTTP error response: its status, a JSON content type, and a body
 * that is exactly a JSON-RPC error `{jsonrpc: "2.0", id, error: {code, message}}`.
 * Returns the parsed body.
 */
export async function assertHttpError(
  response: Response,
  status: number,
  expected: { code?: number; id?: string | number | null; message?: RegExp } = {},
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text);
  assert.equal(body.jsonrpc, "2.0");
  assert.ok("id" in body, "error body must carry an id member");
  assert.equal(body.id, expected.id === undefined ? null : expected.id);
  assert.equal(typeof body.error, "object");
  assert.equal(typeof body.error.code, "number");
  assert.ok(Number.isInteger(body.error.code));
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
  assert.deepEqual(Object.keys(body).sort(), ["error", "id", "jsonrpc"]);
  if (expected.code !== undefined) assert.equal(body.error.code, expected.code);
  if (expected.message !== undefined) assert.match(body.error.message, expected.message);
  return body;
}

/** A controllable clock for TTL tests. */
export class TestClock {
  time: number;
  constructor(time = 1_000_000) {
    this.time = time;
  }
  now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

/** A timer set on a {@linkcode VirtualScheduler}. */
interface VirtualTimer {
  at: number;
  order: number;
  callback: () => void;
}

/**
 * A clock that advances without waiting, for the `scheduler` option (and the parts that take a
 * `Scheduler`). By default each timer set on it fires a real millisecond later (so promise chains,
 * writes and stream reads run in between), with the clock moved on to its due time: a wait of
 * seconds (close()'s wait for aborted work, a resource's disposal bound) takes a few real
 * milliseconds, and a test still sees it elapse. With `{ manual: true }` the clock moves only
 * when the test calls {@linkcode VirtualScheduler.advance}: for a test that must act before a
 * deadline ("a call that finishes within the timeout is not abandoned").
 */
export class VirtualScheduler {
  /** The clock, ms; starts at 0 and only moves when a timer fires or on advance(). */
  time = 0;
  #timers = new Set<VirtualTimer>();
  #order = 0;
  #manual: boolean;
  #pump: ReturnType<typeof setTimeout> | undefined;

  constructor(options: { manual?: boolean } = {}) {
    this.#manual = options.manual ?? false;
  }

  now = (): number => this.time;

  setTimeout = (callback: () => void, ms: number): unknown => {
    const timer = { at: this.time + Math.max(0, ms), order: this.#order++, callback };
    this.#timers.add(timer);
    this.#schedule();
    return timer;
  };

  clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as VirtualTimer);
  };

  /** Timers set and not yet fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Resolves once the clock has moved `ms` on, every timer due by then fired in order (with a
   * real turn of the event loop after each, so the work it starts runs): a wait on this clock.
   * Automatic clocks move on their own; a manual one moves here.
   */
  async advance(ms: number): Promise<void> {
    if (!this.#manual) {
      await new Promise<void>((resolve) => this.setTimeout(resolve, ms));
      return;
    }
    const target = this.time + Math.max(0, ms);
    for (let next = this.#next(); next !== undefined && next.at <= target; next = this.#next()) {
      this.#fire(next);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    this.time = Math.max(this.time, target);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /**
   * A manual clock moves on its own from now on, as an automatic one does: for a test's cleanup,
   * so a close() that waits on this clock ends even when the test stopped half-way.
   */
  runFreely(): void {
    this.#manual = false;
    this.#schedule();
  }

  #next(): VirtualTimer | undefined {
    let next: VirtualTimer | undefined;
    for (const timer of this.#timers) {
      if (
        next === undefined || timer.at < next.at ||
        (timer.at === next.at && timer.order < next.order)
      ) next = timer;
    }
    return next;
  }

  #fire(timer: VirtualTimer): void {
    this.#timers.delete(timer);
    this.time = Math.max(this.time, timer.at);
    timer.callback();
  }

  #schedule(): void {
    if (this.#manual || this.#pump !== undefined || this.#timers.size === 0) return;
    this.#pump = setTimeout(() => {
      this.#pump = undefined;
      const next = this.#next();
      if (next !== undefined) this.#fire(next);
      this.#schedule();
    }, 1);
  }
}

/**
 * A tool that runs until its call's signal aborts (then returns "stopped"),
 * and the signal of its first call: for the tests of what stops a call.
 */
export function untilAborted(name: string): { tool: ToolDefinition; signal: Promise<AbortSignal> } {
  const first = deferred<AbortSignal>();
  const tool = defineTool({
    name,
    handler: (_input, ctx) => {
      first.resolve(ctx.signal);
      return new Promise<string>((resolve) =>
        ctx.signal.addEventListener("abort", () => resolve("stopped"), { once: true })
      );
    },
  });
  return { tool, signal: first.promise };
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A read a timed-out {@linkcode readTextUntil} left pending, per reader: the
 * next call takes it over, so a chunk that arrives after a deadline is read,
 * not lost to a read nobody awaits any more.
 */
const pendingReads = new WeakMap<
  ReadableStreamDefaultReader<Uint8Array>,
  Promise<ReadableStreamReadResult<Uint8Array>>
>();

/**
 * Reads a live body as text until `done(text)` holds, the body ends, or
 * `timeoutMs` passes; returns the text read. The reader stays open.
 */
export async function readTextUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
  timeoutMs = 2_000,
): Promise<{ text: string; ended: boolean }> {
  const decoder = new TextDecoder();
  let text = "";
  let ended = false;
  const deadline = Date.now() + timeoutMs;
  while (!done(text)) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((
      resolve,
    ) => (timer = setTimeout(() => resolve("timeout"), remaining)));
    const read = pendingReads.get(reader) ?? reader.read();
    pendingReads.set(reader, read);
    const next = await Promise.race([read, timeout]);
    clearTimeout(timer);
    if (next === "timeout") break; // the read stays pending for the next call on this reader
    pendingReads.delete(reader);
    if (next.done) {
      ended = true;
      break;
    }
    text += decoder.decode(next.value, { stream: true });
  }
  return { text, ended };
}

/**
 * Reads SSE events from a live body until `done(events)` holds, the body ends,
 * or `timeoutMs` passes; returns the complete events read.
 * For streams that never end on their own (the listening stream).
 */
export async function readSseUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (events: SseEvent[]) => boolean,
  timeoutMs = 2_000,
): Promise<{ events: SseEvent[]; ended: boolean }> {
  const complete = (text: string) => parseSse(text.slice(0, text.lastIndexOf("\n\n") + 2));
  const { text, ended } = await readTextUntil(reader, (text) => done(complete(text)), timeoutMs);
  return { events: complete(text), ended };
}

/** The JSON-RPC messages carried by SSE events (priming and comment-only events skipped). */
// deno-lint-ignore no-explicit-any
export function messagesOf(events: SseEvent[]): any[] {
  return events.filter((e) => e.data !== undefined && e.data !== "").map((e) =>
    JSON.parse(e.data!)
  );
}

/**
 * Resolves after `ms` (rejects with the signal's reason if `signal` aborts first): the one
 * real-time wait of the suite, for a negative check's window ("nothing happened meanwhile") or a
 * client's pause; waiting for something to happen is {@linkcode until} or {@linkcode within}.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Polls until `condition` holds, every `intervalMs`; fails after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 3_000,
  intervalMs = 2,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * "pending" when `promise` has not settled after a few turns of the event
 * loop, else "settled": for a negative check ("close() still waits") whose
 * positive control follows once the test lets the latch go.
 */
export async function stateOf(promise: Promise<unknown>): Promise<"settled" | "pending"> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  return settled ? "settled" : "pending";
}

/** Resolves with the signal's reason once it aborts; fails after `timeoutMs`. */
export function abortReason(signal: AbortSignal, timeoutMs = 3_000): Promise<unknown> {
  const aborted = signal.aborted
    ? Promise.resolve(signal.reason)
    : new Promise((resolve) =>
      signal.addEventListener("abort", () => resolve(signal.reason), { once: true })
    );
  return within(aborted, timeoutMs, "the signal to abort");
}

/** Rejects with a clear message when `promise` does not settle within `ms` (so a regression fails instead of hanging). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((
    _,
    reject,
  ) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
