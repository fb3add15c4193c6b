/**
 * Cancellation of the 2025 calls served without sessions
 * (stateless_legacy.ts): with no session to scope it, a
 * `notifications/cancelled` is matched by the caller's principal and the
 * request id, here and, through the bus, on the instance running the call
 * (the same `stateless-cancel` message and request records as 2026-07-28,
 * src/bus/request_records.ts). A principal's cancel reaches every call of
 * its own with that id (two clients of one user that both use id 1: both);
 * it never reaches another principal's call, nor a 2026-07-28 request (the
 * owner keys are kept apart). Anonymous callers are one principal whose ids
 * collide (every SDK client starts at 0): their cancels are ignored, and
 * closing the call's response is how they cancel. It decides nothing about
 * the work itself (the in-flight registry aborts it).
 * @module
 */

import type { TargetedMessage } from "../../bus/delivery.ts";
import type { RequestTracker } from "../../bus/delivery.ts";
import { type RecordedRequest, RequestRecords } from "../../bus/request_records.ts";
import type { SlowCall, SlowCalls } from "../../http/slow_calls.ts";
import type { JsonRpcNotification, JsonRpcRequest, RequestId } from "../../jsonrpc/messages.ts";
import { isAnonymous, ownerKeyOf, type Principal } from "../../protocol/context/request_context.ts";
import { cancelledRequestId } from "../exchange/client_messages.ts";
import type { InFlightRegistry } from "../exchange/in_flight.ts";

/**
 * The owner key a 2025 call without a session is cancelled by: its
 * principal's, in a space of its own (a 2026-07-28 request of the same
 * principal with the same id is another request); undefined for the
 * anonymous principal, whose calls are not cancelled by id.
 *
 * @example
 * ```ts
 * import { cancellationOwnerOf } from "./stateless_cancels.ts";
 * cancellationOwnerOf({ id: "alice" }); // "2025:user:alice"
 * ```
 */
export function cancellationOwnerOf(principal: Principal): string | undefined {
  return isAnonymous(principal) ? undefined : `2025:${ownerKeyOf(principal)}`;
}

/**
 * The bus message `notification` asks for when it is `principal`'s
 * `notifications/cancelled`; undefined for any other notification and for
 * an anonymous caller's (ignored, see the module doc).
 *
 * @example
 * ```ts
 * import { statelessCancellationOf } from "./stateless_cancels.ts";
 * statelessCancellationOf(
 *   { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } },
 *   { id: "alice" },
 * ); // { type: "stateless-cancel", ownerKey: "2025:user:alice", requestId: 1 }
 * ```
 */
export function statelessCancellationOf(
  notification: JsonRpcNotification,
  principal: Principal,
): TargetedMessage | undefined {
  const requestId = cancelledRequestId(notification);
  if (requestId === undefined) return undefined;
  const ownerKey = cancellationOwnerOf(principal);
  return ownerKey === undefined ? undefined : { type: "stateless-cancel", ownerKey, requestId };
}

/** One POST's calls, as cancellations find them. */
class CancellablePost implements SlowCall {
  readonly key: string;
  readonly ownerKey: string;
  readonly ids: readonly RequestId[];
  readonly #cancels: StatelessCancels;
  /** Its calls' records on the bus, once the POST outlived its grace. */
  recorded: RecordedRequest[] | undefined = undefined;
  /** Its place in the slow-call watch (slow_calls.ts). */
  slowWatch: unknown = undefined;

  constructor(cancels: StatelessCancels, key: string, ownerKey: string, ids: RequestId[]) {
    this.#cancels = cancels;
    this.key = key;
    this.ownerKey = ownerKey;
    this.ids = ids;
  }

  /** Still running after a moment: its calls are recorded where the bus finds them. */
  slow(): void {
    this.#cancels.outlived(this);
  }
}

/**
 * The POSTs without a session whose calls can be cancelled by id, each
 * under its POST key until its answer ends.
 *
 * @example
 * ```ts
 * import { InFlightRegistry } from "../exchange/in_flight.ts";
 * import { StatelessCancels } from "./stateless_cancels.ts";
 * const inFlight = new InFlightRegistry();
 * const cancels = new StatelessCancels(inFlight);
 * const handle = inFlight.register("stateless-1", 1, "tools/call");
 * cancels.begin("stateless-1", "2025:user:alice", [
 *   { jsonrpc: "2.0", id: 1, method: "tools/call" },
 * ]);
 * cancels.cancel("2025:user:alice", 1); // 1: the call's signal aborts with "cancelled"
 * cancels.end("stateless-1");
 * ```
 */
export class StatelessCancels {
  readonly #inFlight: InFlightRegistry;
  readonly #posts = new Map<string, CancellablePost>();
  /** With a bus addressed to owners: where long calls are recorded, and the watch that says when. */
  readonly #records: RequestRecords | undefined;
  readonly #watch: SlowCalls | undefined;

  /**
   * Cancellations of the calls in `inFlight`. `requests` (a bus addressed
   * to owners) records the calls of each POST still running when `watch`
   * says it has run a moment; `onError` gets what recording fails with.
   */
  constructor(
    inFlight: InFlightRegistry,
    requests?: RequestTracker,
    watch?: SlowCalls,
    onError: (error: unknown) => void = () => {},
  ) {
    this.#inFlight = inFlight;
    const recorded = requests !== undefined && watch !== undefined;
    this.#records = recorded ? new RequestRecords(requests, onError) : undefined;
    this.#watch = recorded ? watch : undefined;
  }

  /** POSTs whose calls can be cancelled now. */
  get size(): number {
    return this.#posts.size;
  }

  /** The POST under `key`, of `ownerKey` (see {@linkcode cancellationOwnerOf}), runs `requests`. */
  begin(key: string, ownerKey: string, requests: readonly JsonRpcRequest[]): void {
    const post = new CancellablePost(this, key, ownerKey, requests.map((request) => request.id));
    this.#posts.set(key, post);
    this.#watch?.add(post);
  }

  /** The POST under `key` is answered: its calls are no longer found, and their records go. */
  end(key: string): void {
    const post = this.#posts.get(key);
    if (post === undefined) return;
    this.#posts.delete(key);
    this.#watch?.delete(post);
    for (const request of post.recorded ?? []) this.#records?.forget(request);
  }

  /** Aborts `ownerKey`'s calls with this id, in every POST (a rare event: a scan is fine); how many. */
  cancel(ownerKey: string, id: RequestId): number {
    let count = 0;
    for (const post of this.#posts.values()) {
      if (post.ownerKey === ownerKey && this.#inFlight.cancel(post.key, id)) count++;
    }
    return count;
  }

  /** `post` outlived its grace (its `slow()`): each of its calls is recorded on the bus. */
  outlived(post: CancellablePost): void {
    const records = this.#records;
    if (records === undefined || post.recorded !== undefined || !this.#posts.has(post.key)) return;
    post.recorded = post.ids.map((id) => ({
      ownerKey: post.ownerKey,
      id,
      abort: () => void this.#inFlight.cancel(post.key, id),
    }));
    for (const request of post.recorded) records.record(request);
  }
}
