/**
 * The checks an option value of {@linkcode createMcpHandler} must pass: a
 * positive (or non-negative) number, a whole-number limit, a timer delay, a
 * number sent to clients as digits, the `requestState` keys, the
 * concurrency share and the `cors` option. Each throws a RangeError naming the option and the
 * value, at startup.
 *
 * It holds no defaults of its own (they are in defaults.ts) and is told each
 * option's name: resolve.ts applies these checks.
 * @module
 */

import type { CorsOptions, CorsSettings } from "../http/cors.ts";
import type { RateQuota } from "../limits/rate_limit_store.ts";
import type { RateLimitsOptions } from "../limits/rate_limits_options.ts";
import type { RequestStateOptions } from "../modern/rounds/request_state.ts";
import { MAX_TIMER_MS } from "../runtime.ts";
import { DEFAULT_SHARES, DEFAULTS } from "./defaults.ts";

/**
 * `value`, or `fallback` when it is undefined; a RangeError unless it is a
 * positive number (with `allowZero`, non-negative).
 */
export function positive(
  name: string,
  value: number | undefined,
  fallback: number,
  allowZero = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || Number.isNaN(value) || value < 0 || (!allowZero && value === 0)
  ) {
    throw new RangeError(
      `Option ${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${value}`,
    );
  }
  return value;
}

/** `checked`, or a RangeError saying what option `name` must be. */
function refined(name: string, checked: number, ok: boolean, what: string): number {
  if (!ok) throw new RangeError(`Option ${name} must be ${what}, got ${checked}`);
  return checked;
}

/** A limit: a positive integer, or `Infinity` for none. */
export function limit(name: string, value: number | undefined, fallback: number): number {
  const checked = positive(name, value, fallback);
  return refined(
    name,
    checked,
    Number.isInteger(checked) || checked === Infinity,
    "a whole number (or Infinity)",
  );
}

/**
 * A delay some timer waits: finite and at most {@linkcode MAX_TIMER_MS}, so
 * `Infinity` or a month cannot turn into a timer that fires every millisecond.
 */
export function delay(
  name: string,
  value: number | undefined,
  fallback: number,
  allowZero = false,
): number {
  const checked = positive(name, value, fallback, allowZero);
  return refined(name, checked, checked <= MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms`);
}

/** A value sent to clients as digits (`retry:`, `Retry-After`): a finite whole number. */
export function wholeNumber(
  name: string,
  value: number | undefined,
  fallback: number,
  allowZero = false,
): number {
  const checked = positive(name, value, fallback, allowZero);
  return refined(name, checked, Number.isSafeInteger(checked), "a finite whole number");
}

/** `value`, or `fallback` when it is undefined; a TypeError unless it is a function. */
export function optionalFunction<F extends (...args: never[]) => unknown>(
  name: string,
  value: F | undefined,
  fallback: F,
): F {
  if (value === undefined) return fallback;
  if (typeof value !== "function") {
    throw new TypeError(`Option ${name} must be a function, got ${typeof value}`);
  }
  return value;
}

/**
 * The requestState codec is made on first use (WebCrypto is async): check its
 * options now, so a short key fails at startup rather than on every call.
 */
export function checkRequestStateOptions(requestState: RequestStateOptions | undefined): void {
  if (requestState === undefined) return;
  const { ttlMs, maxBytes, keys } = requestState;
  if (ttlMs !== undefined && (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0)) {
    throw new RangeError("Option stateless.requestState.ttlMs must be a finite positive number");
  }
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes <= 0)) {
    throw new RangeError("Option stateless.requestState.maxBytes must be a positive integer");
  }
  const encoder = new TextEncoder();
  for (const [index, key] of (keys ?? []).entries()) {
    const length = typeof key === "string" ? encoder.encode(key).byteLength : key?.byteLength;
    if (!(length >= 32)) {
      throw new RangeError(`Option stateless.requestState.keys[${index}] is shorter than 32 bytes`);
    }
  }
}

/** The `limits.rateLimits` option: whole-number quotas, tool budgets by name, a store with `take`. */
export function checkRateLimits(rateLimits: RateLimitsOptions | undefined): void {
  if (rateLimits === undefined) return;
  const { perPrincipal, perTool, store } = rateLimits;
  if (perPrincipal !== undefined) checkQuota("limits.rateLimits.perPrincipal", perPrincipal);
  if (perTool?.default !== undefined) {
    checkQuota("limits.rateLimits.perTool.default", perTool.default);
  }
  for (const [name, quota] of Object.entries(perTool?.tools ?? {})) {
    if (quota !== null) checkQuota(`limits.rateLimits.perTool.tools["${name}"]`, quota);
  }
  if (store !== undefined && typeof store?.take !== "function") {
    throw new TypeError("Option limits.rateLimits.store must have a take() method");
  }
}

/**
 * A budget: `windowSeconds` a whole number from 1 to a year, `limit` one
 * from 1 to one unit per millisecond of the window (the store's arithmetic
 * is in milliseconds).
 */
function checkQuota(name: string, quota: RateQuota): void {
  const { limit, windowSeconds } = quota ?? {};
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 31_536_000) {
    throw new RangeError(
      `Option ${name}.windowSeconds must be a whole number from 1 to 31536000, got ${windowSeconds}`,
    );
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > windowSeconds * 1000) {
    throw new RangeError(
      `Option ${name}.limit must be a whole number from 1 to ${windowSeconds * 1000}, got ${limit}`,
    );
  }
}

/**
 * `1/parts` of `pool`, rounded down, at least 1 (`Infinity` of an unlimited pool): a default share.
 *
 * @example
 * ```ts
 * import { shareOf } from "./checks.ts";
 * shareOf(10_000, 4); // 2_500
 * ```
 */
export function shareOf(pool: number, parts: number): number {
  return pool === Infinity ? Infinity : Math.max(1, Math.floor(pool / parts));
}

/**
 * A principal's share of the concurrency pool: by default a quarter of it
 * (at least 1), so the anonymous callers and one account together hold at
 * most half; none without a pool.
 */
export function concurrencyShare(
  pool: number | undefined,
  share: number | undefined,
): number | undefined {
  if (pool === undefined) {
    if (share === undefined) return undefined;
    throw new RangeError(
      "Option limits.maxConcurrentRequestsPerPrincipal needs limits.maxConcurrentRequests (the pool it shares)",
    );
  }
  const { parts } = DEFAULT_SHARES["limits.maxConcurrentRequestsPerPrincipal"];
  return limit("limits.maxConcurrentRequestsPerPrincipal", share, shareOf(pool, parts));
}

/**
 * The `cors` option checked and normalised: each origin a bare origin
 * (`scheme://host[:port]`, no path) or `"*"`, lower-cased; `allowOrigin` a
 * function, wrapped so that one that throws refuses the origin and is
 * reported to `onError`; `maxAgeSeconds` a finite whole number (default
 * 600); `allowHeaders` header names. `credentials` together with any origin
 * (`"*"` here or in `security.allowedOrigins`) is refused: every site could act as
 * the signed-in user.
 */
export function checkCorsOptions(
  cors: CorsOptions | undefined,
  allowedOrigins: readonly string[] | undefined,
  onError: (error: unknown) => void,
): CorsSettings | undefined {
  if (cors === undefined) return undefined;
  if (typeof cors !== "object" || cors === null) {
    throw new TypeError("Option security.cors must be an object");
  }
  const fallback = DEFAULTS["security.cors"];
  const {
    origins = fallback.origins,
    allowOrigin,
    credentials = fallback.credentials,
    allowHeaders = fallback.allowHeaders,
  } = cors;
  if (!Array.isArray(origins)) throw new TypeError("Option security.cors.origins must be an array");
  const normalised = origins.map((origin, index) => corsOrigin(origin, index));
  if (allowOrigin !== undefined && typeof allowOrigin !== "function") {
    throw new TypeError("Option security.cors.allowOrigin must be a function");
  }
  if (typeof credentials !== "boolean") {
    throw new TypeError("Option security.cors.credentials must be a boolean");
  }
  if (credentials && (normalised.includes("*") || (allowedOrigins ?? []).includes("*"))) {
    throw new RangeError(
      'Option security.cors.credentials cannot be used with any origin ("*"): every site could act as the signed-in user',
    );
  }
  if (!Array.isArray(allowHeaders)) {
    throw new TypeError("Option security.cors.allowHeaders must be an array");
  }
  for (const name of allowHeaders) {
    if (typeof name !== "string" || !HEADER_NAME.test(name)) {
      throw new TypeError(`Option security.cors.allowHeaders must hold header names, got ${name}`);
    }
  }
  return {
    origins: normalised,
    allowOrigin: allowOrigin === undefined ? undefined : (origin) => {
      try {
        return allowOrigin(origin) === true;
      } catch (error) {
        onError(error);
        return false;
      }
    },
    credentials,
    maxAgeSeconds: wholeNumber(
      "security.cors.maxAgeSeconds",
      cors.maxAgeSeconds,
      DEFAULTS["security.cors"].maxAgeSeconds,
      true,
    ),
    allowHeaders: allowHeaders.map((name) => name.toLowerCase()),
  };
}

/** A field name as `Headers` accepts it (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `origin` as browsers send it (lower case, no default port, no slash), or a TypeError naming entry `index`. */
function corsOrigin(origin: unknown, index: number): string {
  if (origin === "*") return "*";
  const bad = () =>
    new TypeError(
      `Option security.cors.origins[${index}] must be an origin like https://app.example.com, got ${origin}`,
    );
  if (typeof origin !== "string") throw bad();
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw bad();
  }
  const bare = url.host !== "" && url.username === "" && url.password === "" &&
    (url.pathname === "/" || url.pathname === "") && url.search === "" && url.hash === "" &&
    !/[?#]/.test(origin);
  if (!bare) throw bad();
  // Special schemes serialise their own origin; others (chrome-extension://…) have the opaque "null".
  return url.origin !== "null" ? url.origin : `${url.protocol}//${url.host}`.toLowerCase();
}

/** The server's name and version (required) and `websiteUrl`: a TypeError naming a bad one. */
export function checkServerIdentity(
  options: { name?: unknown; version?: unknown; websiteUrl?: unknown },
): void {
  if (typeof options.name !== "string" || options.name === "") {
    throw new TypeError("Option name is required");
  }
  if (typeof options.version !== "string" || options.version === "") {
    throw new TypeError("Option version is required");
  }
  if (options.websiteUrl !== undefined && !isWebUrl(options.websiteUrl)) {
    throw new TypeError("Option websiteUrl must be an https: or http: URL");
  }
}

/**
 * True for an https: or http: URL (`websiteUrl`; icons' sources are checked in
 * src/protocol/definitions/icons.ts).
 */
export function isWebUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const { protocol } = new URL(value);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}
