/**
 * A 2026-07-28 upstream's `input_required` rounds, carried to the caller:
 * each input request (elicitation, sampling, roots) is asked of the
 * downstream client through `ctx` (for a 2026 client that makes the
 * gateway's own `input_required` round; for a 2025 session a request on the
 * call's stream), and the request is sent again with the answers and the
 * upstream's `requestState`. Bounded: `maxRelayedRequests` inputs a round,
 * {@linkcode MAX_INPUT_ROUNDS} rounds, each input request within
 * `maxRelayBytes`. It sends nothing itself (modern_calls.ts does).
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { ElicitParams } from "../../protocol/context/elicitation.ts";
import type { HandlerContext } from "../../protocol/context/request_context.ts";
import { checkRelayed } from "../relay_limits.ts";
import { retryParams } from "../../client/modern_request.ts";

/** How many `input_required` rounds one upstream request may take. */
export const MAX_INPUT_ROUNDS = 8;

/** The bounds of one request's rounds. */
export interface RoundBounds {
  /** Input requests of one round. */
  maxInputs: number;
  /** The largest input request relayed, bytes. */
  maxRelayBytes: number;
  /** Told of each round refused past a bound. */
  onDropped(): void;
}

/**
 * Asks the downstream client one input request of an upstream (elicitation,
 * sampling or roots), keyed `key` for a 2026 client; its answer.
 *
 * @example
 * ```ts ignore (internal: needs a running call's context)
 * const answer = await askCaller(ctx, "user_name", { method: "roots/list", params: {} });
 * ```
 */
export function askCaller(
  ctx: HandlerContext,
  key: string,
  request: unknown,
): Promise<unknown> {
  const { method, params } = isPlainObject(request) ? request : {};
  const given = isPlainObject(params) ? params : {};
  const options = { signal: ctx.signal, key };
  switch (method) {
    case "elicitation/create":
      return ctx.elicit(given as unknown as ElicitParams, options);
    case "sampling/createMessage":
      return ctx.sample(given, options);
    case "roots/list":
      return ctx.listRoots(options);
    default:
      return Promise.reject(
        new Error("The upstream asked for an input the gateway does not relay"),
      );
  }
}

/**
 * The retry params answering one `input_required` result of round `round`:
 * every input asked of the caller at once (a 2026 client then sees them all
 * in one round of its own). The caller answers under the upstream's own
 * keys, so a client sees the names the upstream gave. A key an earlier round
 * of the same request used (in `used`, which this fills) is asked as
 * `<key>-<round>`: a 2026 client's retry runs the gateway's handler again
 * from the start, which sends the upstream request again, and every round's
 * answers must meet the same questions.
 *
 * @example
 * ```ts ignore (internal: needs a running call's context and an upstream's input_required result)
 * const retry = await answerRound(ctx, 1, result, { maxInputs: 4, maxRelayBytes: 4_194_304, onDropped }, new Set());
 * ```
 */
export async function answerRound(
  ctx: HandlerContext,
  round: number,
  result: Record<string, unknown>,
  bounds: RoundBounds,
  used: Set<string>,
): Promise<Record<string, unknown>> {
  if (round > MAX_INPUT_ROUNDS) {
    bounds.onDropped();
    throw new Error(`The upstream asked for input more than ${MAX_INPUT_ROUNDS} times`);
  }
  const asked = isPlainObject(result.inputRequests) ? Object.entries(result.inputRequests) : [];
  if (asked.length > bounds.maxInputs) {
    bounds.onDropped();
    throw new Error(`The upstream asked for more than ${bounds.maxInputs} inputs at once`);
  }
  checkRelayed(result.inputRequests ?? {}, bounds.maxRelayBytes, "input requests");
  const keys = asked.map(([key]) => used.has(key) ? `${key}-${round}` : key);
  for (const key of keys) used.add(key);
  const settled = await Promise.allSettled(
    asked.map(([_key, request], index) => askCaller(ctx, keys[index], request)),
  );
  const inputResponses: Record<string, unknown> = {};
  for (const [index, outcome] of settled.entries()) {
    // The first refusal fails the call (a 2026 client's: the rest are recorded for its round).
    if (outcome.status === "rejected") throw outcome.reason;
    inputResponses[asked[index][0]] = outcome.value;
  }
  checkRelayed(inputResponses, bounds.maxRelayBytes, "answers");
  return retryParams(result, inputResponses);
}
