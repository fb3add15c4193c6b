/**
 * What a client does with the messages its peer starts: each request
 * answered by the handler set for its method (`ping` answered here, an
 * unknown method `-32601`, a throw an error response keeping an integer
 * `code`), a request the peer cancels left unanswered with its handler's
 * signal aborted, and each notification handed to its handler in the order
 * received, a microtask after its delivery. It sends through the function it is given and keeps
 * no requests of its own (session_client.ts does).
 * @module
 */

import type { JsonRpcMessage, RequestId } from "../jsonrpc/messages.ts";

/** What a handler of the peer's messages is told besides the params. */
export interface PeerMessageInfo {
  /** The request of this client whose response stream carried the message (HTTP). */
  relatedRequestId?: RequestId;
  /** Aborted when the peer cancels its request (requests only). */
  signal: AbortSignal;
}

/** Answers one request of the peer: its result, or a throw (an error with an integer `code` keeps it). */
export type PeerRequestHandler = (
  params: Record<string, unknown>,
  info: PeerMessageInfo,
) => Promise<Record<string, unknown>>;

/** Takes one notification of the peer. */
export type PeerNotificationHandler = (
  params: Record<string, unknown>,
  info: PeerMessageInfo,
) => void | Promise<void>;

/** A signal that never aborts (the peer's notifications cannot be cancelled). */
const NEVER = new AbortController().signal;

/**
 * The handlers of the peer's requests and notifications, by method.
 *
 * @example
 * ```ts
 * import { PeerHandlers } from "./peer_handlers.ts";
 * const handlers = new PeerHandlers((error) => console.error(error));
 * handlers.setRequestHandler("roots/list", () => Promise.resolve({ roots: [] }));
 * await handlers.answer(1, "roots/list", {}, undefined, (reply) => Promise.resolve(console.log(reply)));
 * ```
 */
export class PeerHandlers {
  readonly #requests = new Map<string, PeerRequestHandler>();
  readonly #notifications = new Map<string, PeerNotificationHandler>();
  /** The peer's requests being answered, to abort when it cancels one. */
  readonly #answering = new Map<RequestId, AbortController>();
  readonly #report: (error: Error) => void;

  /** Handlers whose failures (a notification handler's throw, a send's) go to `report`. */
  constructor(report: (error: Error) => void) {
    this.#report = report;
  }

  /** Sets who answers the peer's requests of `method`. */
  setRequestHandler(method: string, handler: PeerRequestHandler): void {
    this.#requests.set(method, handler);
  }

  /** Sets who takes the peer's notifications of `method`. */
  setNotificationHandler(method: string, handler: PeerNotificationHandler): void {
    this.#notifications.set(method, handler);
  }

  /**
   * Hands notification `method` to its handler on the next microtask (never
   * inside the transport's delivery, which may be inside the peer's own
   * send; still before the continuation of an answer received after it);
   * `notifications/cancelled` aborts the answering of the request it names.
   */
  notify(method: string, params: Record<string, unknown>, related: RequestId | undefined): void {
    if (method === "notifications/cancelled") {
      const requestId = params.requestId;
      if (typeof requestId === "string" || typeof requestId === "number") {
        this.#answering.get(requestId)?.abort(params.reason);
      }
      return;
    }
    const handler = this.#notifications.get(method);
    if (handler === undefined) return;
    const report = (error: unknown) =>
      this.#report(error instanceof Error ? error : new Error(String(error)));
    queueMicrotask(() => {
      try {
        const handled = handler(params, { relatedRequestId: related, signal: NEVER });
        if (handled instanceof Promise) handled.catch(report);
      } catch (error) {
        report(error);
      }
    });
  }

  /**
   * Answers request `id` of the peer through `send` (its handler starts on
   * the next microtask, as a notification's does), unless the peer
   * cancelled it meanwhile.
   */
  async answer(
    id: RequestId,
    method: string,
    params: Record<string, unknown>,
    related: RequestId | undefined,
    send: (reply: JsonRpcMessage) => Promise<void>,
  ): Promise<void> {
    const handler = method === "ping" ? () => Promise.resolve({}) : this.#requests.get(method);
    let reply: JsonRpcMessage;
    if (handler === undefined) {
      reply = { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } };
    } else {
      const controller = new AbortController();
      this.#answering.set(id, controller);
      await Promise.resolve();
      if (controller.signal.aborted) {
        // Cancelled before its handler started: it never runs, and no answer is sent.
        this.#answering.delete(id);
        return;
      }
      try {
        const result = await handler(params, {
          relatedRequestId: related,
          signal: controller.signal,
        });
        reply = { jsonrpc: "2.0", id, result };
      } catch (error) {
        reply = { jsonrpc: "2.0", id, error: errorObject(error) };
      } finally {
        this.#answering.delete(id);
      }
      if (controller.signal.aborted) return; // cancelled by the peer: no answer
    }
    await send(reply).catch((error) => this.#report(error));
  }

  /** Aborts every answer in progress (the connection closed). */
  abortAll(reason: unknown): void {
    for (const answering of this.#answering.values()) answering.abort(reason);
  }
}

/** The error object answering a request whose handler threw `error`. */
function errorObject(error: unknown): { code: number; message: string; data?: unknown } {
  const given = (typeof error === "object" && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
    data?: unknown;
  };
  const code = Number.isInteger(given.code) ? given.code as number : -32603;
  const message = typeof given.message === "string" ? given.message : "Internal error";
  return given.data === undefined ? { code, message } : { code, message, data: given.data };
}
