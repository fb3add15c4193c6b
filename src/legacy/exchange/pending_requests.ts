/**
 * Server→client requests waiting for the client's reply. A reply is matched
 * by (session, request id) and must come from the principal the request was
 * sent to; anything else is ignored, so a stray or forged reply can neither
 * resolve another session's request nor learn whether one exists. Every wait
 * ends: by reply, timeout, abort, or session end.
 *
 * Ids are `tether-<instance>-<n>`, naming the process that issued them, so a
 * reply this process cannot settle is worth forwarding to the other
 * instances only when another instance issued its id
 * ({@linkcode PendingRequests.issuedElsewhere}); a reply for an id no
 * instance issued, or one this process issued and no longer waits for, is
 * dropped here. Whether another instance still waits is the session's
 * shared state's to say (`session/awaited_replies.ts`), checked before a
 * reply is forwarded.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { JsonRpcResponse, RequestId } from "../../jsonrpc/messages.ts";
import { requestIdKey } from "../../jsonrpc/messages.ts";

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

/** The shape of every id {@linkcode PendingRequests.nextId} issues, with the issuer's tag. */
const ISSUED_ID = /^tether-([0-9a-f]{8})-[1-9][0-9]{0,15}$/;

/** Waiting server→client requests, by session. */
export class PendingRequests {
  #bySession = new Map<string, Map<string, Pending>>();
  #counter = 0;
  // Drawn at the first id, not at construction: a handler created at module scope (Cloudflare
  // Workers forbids random values there) draws nothing until it serves. Until then no id is ours.
  #prefix: string | undefined;

  /** A fresh id for an outbound request (unique within this process). */
  nextId(): string {
    this.#prefix ??= crypto.randomUUID().slice(0, 8);
    return `tether-${this.#prefix}-${++this.#counter}`;
  }

  /**
   * True when `id` has the shape of an id another process issued: a reply
   * to it may settle a wait there. False for ids of this process (it
   * settles those itself or nobody waits) and for ids no instance issues.
   */
  issuedElsewhere(id: RequestId | null): boolean {
    if (typeof id !== "string") return false;
    const issuer = ISSUED_ID.exec(id)?.[1];
    return issuer !== undefined && issuer !== this.#prefix;
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
