/**
 * Server→client requests waiting for the client's reply. A reply is matched
 * by (session, request id) and must come from the principal the request was
 * sent to; anything else is ignored, so a stray or forged reply can neither
 * resolve another session's request nor learn whether one exists. Every wait
 * ends: by reply, timeout, abort, or session end.
 * @module
 */

import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type { JsonRpcResponse, RequestId } from "../jsonrpc/messages.ts";
import { requestIdKey } from "../jsonrpc/messages.ts";

interface Pending {
  ownerKey: string;
  resolve: (result: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

/** Options for one wait. */
export interface WaitOptions {
  /** Rejects after this many ms. */
  timeoutMs: number;
  /** Rejects when aborted. */
  signal?: AbortSignal;
}

/** Waiting server→client requests, by session. */
export class PendingRequests {
  #bySession = new Map<string, Map<string, Pending>>();
  #counter = 0;
  #prefix = crypto.randomUUID().slice(0, 8);

  /** A fresh id for an outbound request (unique within this process). */
  nextId(): string {
    return `tether-${this.#prefix}-${++this.#counter}`;
  }

  /** The number of waits in progress. */
  get size(): number {
    let n = 0;
    for (const map of this.#bySession.values()) n += map.size;
    return n;
  }

  /** Starts waiting for the reply to request `id`. */
  wait(
    sessionKey: string,
    id: RequestId,
    ownerKey: string,
    options: WaitOptions,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const key = requestIdKey(id);
      let map = this.#bySession.get(sessionKey);
      if (map === undefined) this.#bySession.set(sessionKey, map = new Map());
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        const current = this.#bySession.get(sessionKey);
        if (current?.get(key) === entry) {
          current.delete(key);
          if (current.size === 0) this.#bySession.delete(sessionKey);
        }
      };
      const entry: Pending = {
        ownerKey,
        resolve: (result) => {
          cleanup();
          resolve(result);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const onAbort = () =>
        entry.reject(
          new McpError(ErrorCode.RequestFailed, "Request aborted while waiting for the client"),
        );
      const timer = setTimeout(
        () =>
          entry.reject(
            new McpError(
              ErrorCode.RequestFailed,
              `The client did not reply within ${options.timeoutMs} ms`,
              { reason: "timeout" },
            ),
          ),
        options.timeoutMs,
      );
      map.set(key, entry);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Delivers a client's reply. Returns true when it matched a wait of this
   * session sent to this principal; otherwise nothing happens.
   */
  deliver(sessionKey: string, ownerKey: string, response: JsonRpcResponse): boolean {
    if (response.id === null) return false;
    const entry = this.#bySession.get(sessionKey)?.get(requestIdKey(response.id));
    if (entry === undefined || entry.ownerKey !== ownerKey) return false;
    if ("error" in response) {
      entry.reject(
        new McpError(
          ErrorCode.RequestFailed,
          `The client answered with an error: ${response.error.message}`,
          response.error,
        ),
      );
    } else {
      entry.resolve(response.result);
    }
    return true;
  }

  /** Rejects every wait of a session. */
  rejectSession(sessionKey: string, reason: string): void {
    const map = this.#bySession.get(sessionKey);
    if (map === undefined) return;
    for (const entry of [...map.values()]) {
      entry.reject(new McpError(ErrorCode.RequestFailed, reason));
    }
  }

  /** Rejects every wait. */
  rejectAll(reason: string): void {
    for (const key of [...this.#bySession.keys()]) this.rejectSession(key, reason);
  }
}
