/**
 * The client of one 2025 session (2024-11-05 … 2025-11-25) over a message
 * transport: `initialize` and the negotiated revision, requests matched to
 * their answers with a deadline (reset by progress when asked), progress
 * to the caller, cancellation as `notifications/cancelled`, and the peer's
 * requests and notifications given to the handlers set for their methods
 * (peer_handlers.ts). Every failure is one of rpc_errors.ts's
 * kinds. It knows no MCP method but `initialize` and `ping`, keeps no
 * lists, and does not reconnect: the transport and its owner decide.
 * @module
 */

import { classifyMessage, isPlainObject, type RequestId } from "../jsonrpc/messages.ts";
import {
  LATEST_LEGACY_PROTOCOL_VERSION,
  SUPPORTED_LEGACY_PROTOCOL_VERSIONS,
} from "../protocol/versions.ts";
import type { MessageExtra, MessageTransport } from "./message_transport.ts";
import {
  PeerHandlers,
  type PeerNotificationHandler,
  type PeerRequestHandler,
} from "./peer_handlers.ts";
import { ConnectionClosed, RequestTimeout, RpcError, UnansweredError } from "./rpc_errors.ts";

/** The revisions a session may settle on: tether's, and the 2024 one older servers answer. */
const SESSION_VERSIONS = new Set([...SUPPORTED_LEGACY_PROTOCOL_VERSIONS, "2024-11-05"]);

/** A request's time when its caller gives none, ms. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** One progress update of a request. */
export interface Progress {
  /** How far it is. */
  progress: number;
  /** Of how much, when known. */
  total?: number;
  /** What it is doing. */
  message?: string;
}

/**
 * How one request is sent and waited for.
 *
 * @example
 * ```ts
 * import type { RequestOptions } from "./session_client.ts";
 * const options: RequestOptions = { timeoutMs: 5_000, onProgress: (p) => console.log(p.progress) };
 * ```
 */
export interface RequestOptions {
  /** Cancels it: `notifications/cancelled` is sent and the request fails with the reason. */
  signal?: AbortSignal;
  /** Its time without an answer, ms. Default: 60 s. */
  timeoutMs?: number;
  /** A progress update starts its time again. */
  resetTimeoutOnProgress?: boolean;
  /** Asks for progress (its token is the request's id) and is told each update. */
  onProgress?(progress: Progress): void;
}

/**
 * What a session client declares in `initialize`.
 *
 * @example
 * ```ts
 * import type { SessionClientOptions } from "./session_client.ts";
 * const options: SessionClientOptions = { clientInfo: { name: "app", version: "1.0.0" }, capabilities: {} };
 * ```
 */
export interface SessionClientOptions {
  /** The client's name and version. */
  clientInfo: { name: string; version: string };
  /** The client capabilities declared. */
  capabilities: Record<string, unknown>;
}

/** A request waiting for its answer. */
interface Pending {
  resolve(result: Record<string, unknown>): void;
  reject(error: unknown): void;
  onProgress?(progress: Progress): void;
  /** Starts its time again (on progress, when asked). */
  restart?(): void;
}

/**
 * A 2025 session with one server.
 *
 * @example
 * ```ts ignore (needs a transport to a live server)
 * const client = new SessionClient(transport, { clientInfo: { name: "app", version: "1" }, capabilities: {} });
 * await client.connect();
 * const tools = await client.request("tools/list", {});
 * ```
 */
export class SessionClient {
  readonly #transport: MessageTransport;
  readonly #options: SessionClientOptions;
  readonly #pending = new Map<RequestId, Pending>();
  readonly #peer = new PeerHandlers((error) => this.onerror?.(error));
  #nextId = 0;
  #closed = false;
  #initialize: Record<string, unknown> | undefined;
  /** Told once when the transport closed. */
  onclose: (() => void) | undefined;
  /** Told of the transport's errors and of messages it cannot use. */
  onerror: ((error: Error) => void) | undefined;

  /** A client over `transport` (not started: {@linkcode connect} starts it). */
  constructor(transport: MessageTransport, options: SessionClientOptions) {
    this.#transport = transport;
    this.#options = options;
  }

  /** The server's capabilities (after {@linkcode connect}). */
  get serverCapabilities(): Record<string, unknown> | undefined {
    const capabilities = this.#initialize?.capabilities;
    return isPlainObject(capabilities) ? capabilities : undefined;
  }

  /** The revision the session speaks (after {@linkcode connect}). */
  get protocolVersion(): string | undefined {
    return this.#initialize?.protocolVersion as string | undefined;
  }

  /** Sets who answers the peer's requests of `method`. */
  setRequestHandler(method: string, handler: PeerRequestHandler): void {
    this.#peer.setRequestHandler(method, handler);
  }

  /** Sets who takes the peer's notifications of `method`. */
  setNotificationHandler(method: string, handler: PeerNotificationHandler): void {
    this.#peer.setNotificationHandler(method, handler);
  }

  /**
   * Starts the transport and opens the session: `initialize`, a check of
   * the revision the server chose, then `notifications/initialized`.
   */
  async connect(options: RequestOptions = {}): Promise<void> {
    const transport = this.#transport;
    const previous = { message: transport.onmessage, close: transport.onclose };
    transport.onmessage = (message, extra) => {
      previous.message?.call(transport, message, extra);
      this.#receive(message, extra as MessageExtra | undefined);
    };
    transport.onclose = () => {
      previous.close?.call(transport);
      this.#ended();
    };
    transport.onerror = (error) => this.onerror?.(error);
    await transport.start();
    const result = await this.request("initialize", {
      protocolVersion: LATEST_LEGACY_PROTOCOL_VERSION,
      capabilities: this.#options.capabilities,
      clientInfo: this.#options.clientInfo,
    }, options);
    const version = result.protocolVersion;
    if (typeof version !== "string" || !SESSION_VERSIONS.has(version)) {
      throw new Error(`Server's protocol version is not supported: ${String(version)}`);
    }
    this.#initialize = result;
    transport.setProtocolVersion?.(version);
    await this.notify("notifications/initialized");
  }

  /**
   * Sends request `method` and resolves with its result; rejects with an
   * {@linkcode RpcError} (the server's error response), a
   * {@linkcode RequestTimeout}, the signal's reason, or what the transport
   * failed with. It is sent synchronously (within this call).
   */
  request(
    method: string,
    params: Record<string, unknown>,
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    const { signal, onProgress } = options;
    if (this.#closed) return Promise.reject(new ConnectionClosed());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    const sent = onProgress === undefined
      ? params
      : { ...params, _meta: { ...asObject(params._meta), progressToken: id } };
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abort);
        this.#pending.delete(id);
      };
      const cancel = (reason: unknown) => {
        if (!this.#pending.has(id)) return;
        settle();
        reject(reason);
        void this.notify("notifications/cancelled", { requestId: id, reason: String(reason) })
          .catch(() => {});
      };
      const abort = () => cancel(signal!.reason);
      const start = () => {
        clearTimeout(timer);
        timer = setTimeout(() => cancel(new RequestTimeout(timeoutMs)), timeoutMs);
      };
      this.#pending.set(id, {
        resolve: (result) => (settle(), resolve(result)),
        reject: (error) => (settle(), reject(error)),
        onProgress,
        restart: options.resetTimeoutOnProgress === true ? start : undefined,
      });
      signal?.addEventListener("abort", abort, { once: true });
      start();
      this.#transport.send({ jsonrpc: "2.0", id, method, params: sent }).catch((error) => {
        this.#pending.get(id)?.reject(error);
      });
    });
  }

  /** Sends notification `method`. */
  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    if (this.#closed) return Promise.reject(new ConnectionClosed());
    const message = params === undefined
      ? { jsonrpc: "2.0", method }
      : { jsonrpc: "2.0", method, params };
    return this.#transport.send(message);
  }

  /** Sends `ping` and resolves once answered within `timeoutMs`. */
  async ping(timeoutMs?: number): Promise<void> {
    await this.request("ping", {}, { timeoutMs });
  }

  /** Closes the transport; requests waiting fail with {@linkcode ConnectionClosed}. */
  async close(): Promise<void> {
    await this.#transport.close();
    this.#ended();
  }

  #ended(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of [...this.#pending.values()]) pending.reject(new ConnectionClosed());
    this.#peer.abortAll(new ConnectionClosed());
    this.onclose?.();
  }

  #receive(value: object, extra: MessageExtra | undefined): void {
    const classified = classifyMessage(value);
    if (classified === undefined) {
      return void this.onerror?.(new Error("The peer sent a message that is not JSON-RPC"));
    }
    const related = extra?.relatedRequestId;
    if (classified.kind === "response") {
      const response = classified.message;
      const pending = response.id === null ? undefined : this.#pending.get(response.id);
      if (pending === undefined) return;
      if ("result" in response) return pending.resolve(response.result);
      if (extra?.unanswered === true) return pending.reject(new UnansweredError());
      const { code, message: words, data } = response.error;
      return pending.reject(new RpcError(code, words, data));
    }
    const { method, params: given } = classified.message;
    const params = asObject(given);
    if (classified.kind === "request") {
      const send = (reply: object) =>
        this.#closed ? Promise.resolve() : this.#transport.send(reply);
      return void this.#peer.answer(classified.message.id, method, params, related, send);
    }
    if (method === "notifications/progress") return this.#progress(params);
    this.#peer.notify(method, params, related);
  }

  /** A progress update to the request its token names (the token is the request's id). */
  #progress(params: Record<string, unknown>): void {
    const token = params.progressToken;
    const pending = typeof token === "number" ? this.#pending.get(token) : undefined;
    if (pending?.onProgress === undefined || typeof params.progress !== "number") return;
    pending.restart?.();
    const { progress, total, message } = params;
    pending.onProgress({
      progress,
      ...(typeof total === "number" ? { total } : {}),
      ...(typeof message === "string" ? { message } : {}),
    });
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}
