/**
 * Server→client requests of the stateless 2025 POSTs (`eras: { legacy:
 * "stateless" }`), matched to their replies without a session: the reply
 * comes in a POST of its own that names no session, so it is found by its
 * request id alone, and must come from the principal the request was sent to.
 * Ids carry a random part (unguessable: an anonymous client cannot answer
 * another's request). Only this process holds the waits: a reply that reaches
 * another instance is dropped there, and the request times out here.
 * @module
 */

import type { JsonRpcResponse, RequestId } from "../../jsonrpc/messages.ts";
import { requestIdKey } from "../../jsonrpc/messages.ts";
import { PendingRequests, type WaitOptions } from "../exchange/pending_requests.ts";

/** {@linkcode PendingRequests} whose replies are found by id, whatever POST awaits them. */
export class StatelessReplies extends PendingRequests {
  /** The POST key each awaited id belongs to, while it is awaited. */
  #keyOf = new Map<string, string>();

  /** A fresh id, unique in this process and unguessable. */
  override nextId(): string {
    return `${super.nextId()}-${crypto.randomUUID()}`;
  }

  /** Starts waiting for the reply to `id`, sent by the POST under `postKey`. */
  override wait(
    postKey: string,
    id: RequestId,
    ownerKey: string,
    options: WaitOptions,
  ): Promise<Record<string, unknown>> {
    const key = requestIdKey(id);
    this.#keyOf.set(key, postKey);
    const forget = () => {
      if (this.#keyOf.get(key) === postKey) this.#keyOf.delete(key);
    };
    const waiting = super.wait(postKey, id, ownerKey, options);
    waiting.then(forget, forget);
    return waiting;
  }

  /** Settles the wait `response` answers, when `ownerKey` is who it was sent to; false otherwise. */
  deliverById(ownerKey: string, response: JsonRpcResponse): boolean {
    if (response.id === null) return false;
    const postKey = this.#keyOf.get(requestIdKey(response.id));
    return postKey !== undefined && this.deliver(postKey, ownerKey, response);
  }
}
