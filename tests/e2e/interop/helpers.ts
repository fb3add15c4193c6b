/**
 * Shared helpers of the interop tests: a real HTTP server around
 * `createMcpHandler` on the runtime running the test (Deno.serve, Bun.serve or
 * Node), official SDK clients bound to it, raw fetch requests, an SSE reader
 * with bounded waits, and bounded polling. Everything a test opens is closed
 * by `withServer`, clients first, so no runtime is kept alive.
 */

// The SDK's "./*" export maps types to `*.js.d.ts`, which does not exist; Deno's type
// checker needs the declaration files named (Node and Bun ignore these comments).
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  CallToolResultSchema,
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { createMcpHandler, type McpHandler, type McpHandlerOptions } from "../../../mod.ts";
import { type EventLog, MemoryEventLog, type Replay } from "../../../src/storage/mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { deferred, parseSse, sleep, until, within } from "../../helpers.ts";

export {
  CallToolResultSchema,
  Client,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  StreamableHTTPClientTransport,
};

/** The protocol version raw requests speak (it has priming events). */
export const PROTOCOL_VERSION = "2025-11-25";

/**
 * The seed of every random choice these tests make (delays, ids): TEST_SEED
 * replays a run; it is printed once so a failure can be reproduced.
 */
export const TEST_SEED: number = Number(
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
    .TEST_SEED ??
    Math.floor(Math.random() * 2 ** 31),
);
console.log(`interop tests: TEST_SEED=${TEST_SEED}`);

/** A deterministic generator in [0, 1) from {@linkcode TEST_SEED} (mulberry32). */
export const random: () => number = (() => {
  let state = TEST_SEED >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();

/** Generous upper bound for any single wait in these tests. */
export const WAIT_MS = 10_000;

/** An SDK client connected to the test server. */
export interface SdkConnection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** The session id the server issued. */
  sessionId: string;
  /** Closes the client (idempotent). */
  close(): Promise<void>;
}

/** Options for {@linkcode TestServer.connect}. */
export interface ConnectOptions {
  /** Sent as `Authorization: Bearer <token>` on every request. */
  token?: string;
  capabilities?: ClientCapabilities;
  /** Called on the client before connecting (to set request handlers). */
  setup?: (client: Client) => void;
  /** Let the SDK reconnect dropped SSE streams (off by default: tests end sessions on purpose). */
  reconnect?: boolean;
}

/** A running server plus what the test opened against it. */
export interface TestServer {
  handler: McpHandler;
  /** The MCP endpoint, e.g. `http://127.0.0.1:1234/mcp`. */
  url: string;
  /** Connects an official SDK client (closed automatically at the end). */
  connect(options?: ConnectOptions): Promise<SdkConnection>;
  /** Registers a cleanup step run before the server closes. */
  defer(step: () => unknown): void;
}

/**
 * Starts a handler built from `options` on a free port, runs `body`, then
 * closes (in order) deferred steps, SDK clients, and the server.
 */
export async function withServer(
  options:
    & Omit<McpHandlerOptions, "name" | "version">
    & Partial<Pick<McpHandlerOptions, "name" | "version">>,
  body: (server: TestServer) => Promise<void>,
): Promise<void> {
  const handler = createMcpHandler({
    name: "interop",
    version: "1.0.0",
    ...options,
    observe: {
      onError: () => {},
      ...options?.observe,
    },
  });
  const running = await serveHandler(handler, 0);
  const url = `${running.url}/mcp`;
  const cleanups: (() => unknown)[] = [];
  const clients: SdkConnection[] = [];
  const server: TestServer = {
    handler,
    url,
    defer: (step) => void cleanups.push(step),
    async connect(connectOptions = {}) {
      const connection = await connectClient(url, connectOptions);
      clients.push(connection);
      return connection;
    },
  };
  try {
    await body(server);
  } finally {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch { /* best effort */ }
    }
    for (const connection of clients) await connection.close();
    await running.close();
  }
}

/** Connects an official SDK client to `url`. */
export async function connectClient(
  url: string,
  options: ConnectOptions = {},
): Promise<SdkConnection> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers },
    // Tests end sessions on purpose; a background retry loop would only add noise.
    reconnectionOptions: {
      initialReconnectionDelay: 1_000,
      maxReconnectionDelay: 1_000,
      reconnectionDelayGrowFactor: 1,
      maxRetries: options.reconnect ? 3 : 0,
    },
  });
  const client = new Client({ name: "interop-client", version: "1.0.0" }, {
    capabilities: options.capabilities ?? {},
  });
  client.onerror = () => {};
  options.setup?.(client);
  await client.connect(transport);
  const sessionId = transport.sessionId;
  if (sessionId === undefined) throw new Error("the server issued no session id");
  let closed = false;
  return {
    client,
    transport,
    sessionId,
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** Headers of a raw MCP request. */
export function mcpHeaders(
  sessionId?: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": PROTOCOL_VERSION,
    ...extra,
  };
  if (sessionId !== undefined) headers["mcp-session-id"] = sessionId;
  return headers;
}

/** POSTs one JSON-RPC message (or batch) with raw fetch. */
export function rawPost(
  url: string,
  sessionId: string | undefined,
  message: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: mcpHeaders(sessionId, init.headers),
    body: JSON.stringify(message),
    signal: init.signal,
  });
}

/** Opens a GET stream with raw fetch. */
export function rawGet(
  url: string,
  sessionId: string,
  init: { headers?: Record<string, string>; lastEventId?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    accept: "text/event-stream",
    "mcp-protocol-version": PROTOCOL_VERSION,
    "mcp-session-id": sessionId,
    ...init.headers,
  };
  if (init.lastEventId !== undefined) headers["last-event-id"] = init.lastEventId;
  return fetch(url, { method: "GET", headers, signal: init.signal });
}

/** Sends DELETE for a session with raw fetch; the body is drained. */
export async function rawDelete(
  url: string,
  sessionId: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const response = await fetch(url, {
    method: "DELETE",
    headers: { "mcp-protocol-version": PROTOCOL_VERSION, "mcp-session-id": sessionId, ...headers },
  });
  await response.body?.cancel();
  return response.status;
}

/** Opens a session with raw fetch (initialize + initialized) and returns its id. */
export async function rawInitialize(
  url: string,
  options: { headers?: Record<string, string>; capabilities?: Record<string, unknown> } = {},
): Promise<string> {
  const response = await rawPost(url, undefined, {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: options.capabilities ?? {},
      clientInfo: { name: "raw-interop", version: "1.0.0" },
    },
  }, { headers: options.headers });
  const body = await response.json() as { result?: { protocolVersion?: string } };
  if (response.status !== 200 || body.result?.protocolVersion !== PROTOCOL_VERSION) {
    throw new Error(`initialize failed: ${response.status} ${JSON.stringify(body)}`);
  }
  const sessionId = response.headers.get("mcp-session-id");
  if (sessionId === null) throw new Error("initialize answered without Mcp-Session-Id");
  const initialized = await rawPost(url, sessionId, {
    jsonrpc: "2.0",
    method: "notifications/initialized",
  }, {
    headers: options.headers,
  });
  await initialized.body?.cancel();
  if (initialized.status !== 202) {
    throw new Error(`notifications/initialized answered ${initialized.status}`);
  }
  return sessionId;
}

/** One parsed SSE event. */
export interface SseEvent {
  id?: string;
  event?: string;
  retry?: number;
  data: string;
}

/** Reads SSE events from a response body, each read bounded by a timeout. */
export class SseReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  #done = false;

  constructor(body: ReadableStream<Uint8Array> | null) {
    if (body === null) throw new Error("response has no body");
    this.#reader = body.getReader();
  }

  /** The next event (comments skipped); undefined when the stream ended. Rejects after `timeoutMs`. */
  async next(timeoutMs = WAIT_MS): Promise<SseEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const event = this.#parseOne();
      if (event !== null) {
        if (event === undefined) continue;
        return event;
      }
      if (this.#done) return undefined;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no SSE event within ${timeoutMs} ms`);
      const chunk = await withTimeout(
        this.#reader.read(),
        remaining,
        `no SSE event within ${timeoutMs} ms`,
      );
      if (chunk.done) {
        this.#done = true;
        this.#buffer += this.#decoder.decode();
        if (this.#buffer.trim() === "") return undefined;
        this.#buffer += "\n\n";
      } else {
        this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
      }
    }
  }

  /** Every remaining event until the stream ends. */
  async rest(timeoutMs = WAIT_MS): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    while (true) {
      const event = await this.next(timeoutMs);
      if (event === undefined) return events;
      events.push(event);
    }
  }

  /** Stops reading and cancels the body. */
  async cancel(): Promise<void> {
    try {
      await this.#reader.cancel();
    } catch { /* already errored */ }
  }

  /** null: need more bytes; undefined: a block without fields (comment only); else an event. */
  #parseOne(): SseEvent | undefined | null {
    this.#buffer = this.#buffer.replace(/\r\n?/g, "\n");
    const end = this.#buffer.indexOf("\n\n");
    if (end === -1) return null;
    const block = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end + 2);
    // One parser for every test: the in-process helpers' parseSse, on one complete block.
    const [parsed] = parseSse(block);
    if (
      parsed === undefined ||
      (parsed.data === undefined && parsed.id === undefined && parsed.event === undefined &&
        parsed.retry === undefined)
    ) return undefined;
    const event: SseEvent = { data: parsed.data ?? "" };
    if (parsed.id !== undefined) event.id = parsed.id;
    if (parsed.event !== undefined) event.event = parsed.event;
    if (parsed.retry !== undefined) event.retry = parsed.retry;
    return event;
  }
}

/** The JSON-RPC message an SSE event carries; undefined for priming events. */
export function messageOf(event: SseEvent): Record<string, unknown> | undefined {
  return event.data === "" ? undefined : JSON.parse(event.data) as Record<string, unknown>;
}

/**
 * The JSON-RPC response with `id` from a POST's answer, JSON or SSE (a call
 * that runs longer than a moment is answered on a stream).
 */
export async function responseOf(
  response: Response,
  id: number | string,
): Promise<Record<string, unknown> | undefined> {
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    return await response.json() as Record<string, unknown>;
  }
  const events = await new SseReader(response.body).rest();
  return events.map(messageOf).find((message) => message !== undefined && message.id === id);
}

/** Rejects when `promise` takes longer than `ms` (the in-process helpers' `within`, one implementation). */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return within(promise, ms, message);
}

/** Polls `condition` until it holds; throws after `timeoutMs` (the in-process helpers' `until`). */
export function waitFor(
  condition: () => boolean | Promise<boolean>,
  message: string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  return until(condition, message, timeoutMs);
}

/** Resolves after `ms`, honouring `signal` (the in-process helpers' `sleep`). */
export { sleep };

/** A promise with its resolver, for latches between a test and a tool. */
export { deferred };

/** Resolves when `signal` aborts, or rejects after `timeoutMs`. */
export function aborted(signal: AbortSignal, timeoutMs = WAIT_MS): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true })
    ),
    timeoutMs,
    "the signal did not abort",
  );
}

/** The text of the first content block of a tool result. */
export function textOf(result: Record<string, unknown>): string {
  const content = result.content as { type: string; text?: string }[] | undefined;
  const first = content?.[0];
  if (first?.type !== "text" || typeof first.text !== "string") {
    throw new Error(`no text content in ${JSON.stringify(result)}`);
  }
  return first.text;
}

/** Delay ranges, ms `[min, max]`, per EventLog operation. */
export type EventLogDelays = Partial<Record<keyof EventLog, [number, number]>>;

/**
 * A MemoryEventLog behind a simulated network: each operation takes effect at
 * once but answers after a random delay in its range (like a networked store),
 * so other requests run while the server waits for it.
 */
export class DelayedEventLog implements EventLog {
  #inner = new MemoryEventLog();
  #delays: EventLogDelays;

  constructor(delays: EventLogDelays) {
    this.#delays = delays;
  }

  async #answer<T>(operation: keyof EventLog, value: Promise<T>): Promise<T> {
    const result = await value;
    const [min, max] = this.#delays[operation] ?? [0, 0];
    await sleep(min + Math.floor(random() * (max - min + 1)));
    return result;
  }

  open(sessionId: string, streamId: string): Promise<void> {
    return this.#answer("open", this.#inner.open(sessionId, streamId));
  }
  append(sessionId: string, streamId: string, data: string): Promise<string> {
    return this.#answer("append", this.#inner.append(sessionId, streamId, data));
  }
  complete(sessionId: string, streamId: string): Promise<void> {
    return this.#answer("complete", this.#inner.complete(sessionId, streamId));
  }
  replayAfter(sessionId: string, lastEventId: string): Promise<Replay | undefined> {
    return this.#answer("replayAfter", this.#inner.replayAfter(sessionId, lastEventId));
  }
  deleteSession(sessionId: string): Promise<void> {
    return this.#answer("deleteSession", this.#inner.deleteSession(sessionId));
  }
}
