/**
 * The `rateLimits` step, after authentication and the scope check, before
 * the era's pipeline (both eras): one unit of the principal's budget per
 * request (a 2025-03-26 batch takes one per request in it, all at once),
 * then one of its budget for each tool a `tools/call` names. A spent
 * budget is a `429` with `Retry-After`, `RateLimit-Policy` and `RateLimit`
 * (draft-ietf-httpapi-ratelimit-headers) and runs nothing (in a batch, the
 * whole POST, the error naming the refused call's id). A store
 * that fails is a `503` + `Retry-After: 1` (fail closed), reported to
 * `onError` once per outage. An answer served carries the same two
 * headers with what is left (the principal's budget, and the first tool's
 * the request spent from). Keys are bounded: a long principal id or tool
 * name is hashed.
 * @module
 */

import { hexDigest } from "../hex.ts";
import type { RateLimitsOptions } from "./rate_limits_options.ts";
import {
  MemoryRateLimitStore,
  type RateLimitStore,
  type RateQuota,
  type RateTake,
} from "./rate_limit_store.ts";
import { isRefusal, type Refusal, type RefusalStep, refuse } from "../http/refusal.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import { type ClassifiedMessage, isPlainObject, type RequestId } from "../jsonrpc/messages.ts";
import { ownerKeyOf, type Principal } from "../protocol/context/request_context.ts";
import { isPromiseLike, type MaybePromise } from "../protocol/maybe_async.ts";
import type { ToolRegistry } from "../protocol/registries/tools.ts";

/** Characters of a key kept as they are; a longer one is hashed (SHA-256), so keys stay small. */
const MAX_RAW_KEY_LENGTH = 200;

/** `Retry-After` of the 503 when the store failed: soon, it may be back. */
const STORE_FAILED_RETRY_AFTER_SECONDS = 1;

/** What the step needs besides the option. */
export interface RateLimitParts {
  /** The tools, to spend a tool's budget only for a tool that exists. */
  tools: ToolRegistry;
  /** The handler's clock, ms. */
  now: () => number;
  onError: (error: unknown) => void;
  /** The tool a caller's name stands for (a view renames); undefined: none. @default {the name} */
  toolKey?: (principal: Principal, name: string) => string | undefined;
}

/** The step for the `rateLimits` option; undefined when it sets no budget (nothing on the request path). */
export function createRateLimits(
  options: RateLimitsOptions | undefined,
  tools: ToolRegistry,
  config: { now: () => number; onError: (error: unknown) => void },
  toolKey?: RateLimitParts["toolKey"],
): RateLimits | undefined {
  if (options?.perPrincipal === undefined && options?.perTool === undefined) return undefined;
  return new RateLimits(options, { tools, now: config.now, onError: config.onError, toolKey });
}

/** One handler's `rateLimits` step. */
export class RateLimits {
  readonly #perPrincipal: RateQuota | undefined;
  readonly #toolDefault: RateQuota | undefined;
  readonly #toolQuotas: Record<string, RateQuota | null>;
  readonly #store: RateLimitStore;
  readonly #parts: RateLimitParts;
  /** True while the store is failing: reported once, until a take succeeds again. */
  #down = false;

  /** The step for `options` (checked at startup by option_checks.ts). */
  constructor(options: RateLimitsOptions, parts: RateLimitParts) {
    this.#perPrincipal = options.perPrincipal;
    this.#toolDefault = options.perTool?.default;
    this.#toolQuotas = options.perTool?.tools ?? {};
    this.#store = options.store ?? new MemoryRateLimitStore();
    this.#parts = parts;
  }

  /**
   * The refusal of `principal`'s request carrying `messages` (none for a GET
   * or DELETE); when every budget it spends had a unit left, the
   * {@linkcode Standing} to put on its answer (undefined: it spent none).
   */
  async check(
    principal: Principal,
    messages: readonly ClassifiedMessage[],
  ): Promise<Refusal | Standing | undefined> {
    const owner = ownerKeyOf(principal);
    let step: RefusalStep = "principal-rate-limit";
    let standing: Standing | undefined;
    try {
      const perPrincipal = this.#perPrincipal;
      const units = requestUnits(messages);
      if (perPrincipal !== undefined && units > 0) {
        if (units > perPrincipal.limit) return overWholeBudget(perPrincipal, units);
        const take = await this.#take(await boundedKey("p", owner), perPrincipal, units);
        if (!take.ok) return limited("principal", perPrincipal, take, step, undefined);
        standing = Standing.of("principal", perPrincipal, take);
      }
      step = "tool-rate-limit";
      let toolStanding: Standing | undefined;
      for (const entry of messages) {
        if (entry.kind !== "request" || entry.message.method !== "tools/call") continue;
        const called = isPlainObject(entry.message.params) ? entry.message.params.name : undefined;
        if (typeof called !== "string") continue;
        const name = this.#parts.toolKey === undefined
          ? called
          : this.#parts.toolKey(principal, called);
        if (name === undefined) continue;
        const quota = this.#quotaOf(name);
        if (quota === undefined) continue;
        const key = await boundedKey("t", `${name.length}:${name}:${owner}`);
        const take = await this.#take(key, quota);
        if (!take.ok) return limited("tool", quota, take, step, entry.message.id);
        toolStanding ??= Standing.of("tool", quota, take);
      }
      return toolStanding === undefined ? standing : standing?.and(toolStanding) ?? toolStanding;
    } catch (error) {
      if (!this.#down) {
        this.#down = true;
        this.#parts.onError(error);
      }
      return refuse(503, "Service Unavailable: the rate limit store failed", {
        code: ErrorCode.InternalError,
        headers: { "retry-after": String(STORE_FAILED_RETRY_AFTER_SECONDS) },
        step,
      });
    }
  }

  /** The budget of calls of tool `name`, or undefined for none (or an unknown tool). */
  #quotaOf(name: string): RateQuota | undefined {
    if (this.#parts.tools.definition(name) === undefined) return undefined;
    const named = Object.hasOwn(this.#toolQuotas, name) ? this.#toolQuotas[name] : undefined;
    return named === null ? undefined : named ?? this.#toolDefault;
  }

  /** `units` of `key`'s budget (one by default), all or none; a take that succeeds ends an outage. */
  async #take(key: string, quota: RateQuota, units = 1): Promise<RateTake> {
    const take = await this.#store.take(key, quota, this.#parts.now(), units);
    this.#down = false;
    return take;
  }
}

/**
 * What is left of the budgets a served request spent from, as the
 * `RateLimit-Policy` and `RateLimit` headers of its answer.
 */
export class Standing {
  readonly #policy: string;
  readonly #state: string;

  /** A standing from its two header values. */
  constructor(policy: string, state: string) {
    this.#policy = policy;
    this.#state = state;
  }

  /** The standing of the budget `name` (`quota`) after `take`. */
  static of(name: string, quota: RateQuota, take: RateTake): Standing {
    return new Standing(
      policyHeader(name, quota),
      `"${name}";r=${take.remaining};t=${Math.ceil(take.resetMs / 1000)}`,
    );
  }

  /** This standing and `other`'s, in one pair of headers. */
  and(other: Standing): Standing {
    return new Standing(`${this.#policy}, ${other.#policy}`, `${this.#state}, ${other.#state}`);
  }

  /** `answer`, with the headers on it when it is a response. */
  stamp(answer: MaybePromise<Response | Refusal>): MaybePromise<Response | Refusal> {
    if (isPromiseLike(answer)) return answer.then((settled) => this.stamp(settled));
    if (isRefusal(answer)) return answer;
    try {
      answer.headers.set("ratelimit-policy", this.#policy);
      answer.headers.set("ratelimit", this.#state);
    } catch { /* a response with immutable headers goes out without them */ }
    return answer;
  }
}

/**
 * The units of the principal's budget a request spends: one for a GET or
 * DELETE (no messages), one per request a POST carries (a 2025-03-26 batch
 * holds several), none for a POST of only replies and notifications (they
 * must reach the work they answer).
 */
function requestUnits(messages: readonly ClassifiedMessage[]): number {
  if (messages.length === 0) return 1;
  let units = 0;
  for (const message of messages) if (message.kind === "request") units++;
  return units;
}

/** The `RateLimit-Policy` value of the budget `name` (`quota`). */
function policyHeader(name: string, quota: RateQuota): string {
  return `"${name}";q=${quota.limit};w=${quota.windowSeconds}`;
}

/** `kind:text`, or `kind#` and text's SHA-256 when it is long (a principal id or tool name is not ours to bound). */
async function boundedKey(kind: string, text: string): Promise<string> {
  if (text.length <= MAX_RAW_KEY_LENGTH) return `${kind}:${text}`;
  return `${kind}#${await hexDigest("SHA-256", text)}`;
}

/**
 * The 429 of a batch with more requests than the principal's whole budget:
 * it never fits, so no `Retry-After` (a smaller batch would).
 */
function overWholeBudget(quota: RateQuota, units: number): Refusal {
  return refuse(
    429,
    `Too Many Requests: the batch holds ${units} requests, over the caller's principal rate limit of ${quota.limit}`,
    {
      code: ErrorCode.TooManyRequests,
      headers: { "ratelimit-policy": policyHeader("principal", quota) },
      step: "principal-rate-limit",
    },
  );
}

/** The 429 of a spent budget, with its standard headers. */
function limited(
  policy: "principal" | "tool",
  quota: RateQuota,
  take: RateTake,
  step: RefusalStep,
  id: RequestId | undefined,
): Refusal {
  const seconds = Math.max(1, Math.ceil(take.retryAfterMs / 1000));
  return refuse(429, `Too Many Requests: the caller's ${policy} rate limit is spent`, {
    code: ErrorCode.TooManyRequests,
    ...(id === undefined ? {} : { id }),
    headers: {
      "retry-after": String(seconds),
      "ratelimit-policy": policyHeader(policy, quota),
      "ratelimit": `"${policy}";r=0;t=${seconds}`,
    },
    step,
  });
}
