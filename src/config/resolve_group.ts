/**
 * One option group resolved from the defaults table alone: every field the
 * table holds for the group gets its default, and a number is checked by the
 * kind its name gives (`…TtlMs` a lifetime, `…Ms` a timer's delay,
 * `…Seconds` digits sent to clients, anything else a whole-number limit).
 * Adding an option to a group is its type, its table entry and the settings
 * type of the part that reads it; nothing here names a field.
 * @module
 */

import { delay, limit, positive, shareOf, wholeNumber } from "./checks.ts";
import { DEFAULT_SHARES, DEFAULTS } from "./defaults.ts";
import type { HttpOptions, LimitOptions } from "./group_options.ts";
import type { SessionOptions } from "./session_options.ts";
import type { StatelessOptions, StreamOptions } from "./delivery_options.ts";

/** The option type of each group resolution reads from the table. */
interface GroupOptions {
  http: HttpOptions;
  limits: LimitOptions;
  sessions: SessionOptions;
  streams: StreamOptions;
  stateless: StatelessOptions;
}

/** A group resolution reads field by field from the table. */
export type TableGroup = keyof GroupOptions;

/** The groups of {@linkcode TableGroup}, in the order they are resolved. */
export const TABLE_GROUPS: readonly TableGroup[] = [
  "http",
  "limits",
  "sessions",
  "streams",
  "stateless",
];

/** The fields of group `G` the table gives a default (shares included), typed as the option type declares them. */
export type ResolvedGroup<G extends TableGroup> = {
  [K in keyof GroupOptions[G] & (keyof (typeof DEFAULTS)[G] | ShareField<G>)]-?: Exclude<
    GroupOptions[G][K],
    undefined
  >;
};

/** The fields of group `G` whose default is a share of a pool the table holds (see `DEFAULT_SHARES`). */
type ShareField<G extends TableGroup> = {
  [P in keyof Shares]: P extends `${G}.${infer F}`
    ? Shares[P]["of"] extends `${G}.${infer Pool}` ? Pool extends keyof (typeof DEFAULTS)[G] ? F
      : never
    : never
    : never;
}[keyof Shares];

type Shares = typeof DEFAULT_SHARES;

/** Numbers allowed to be 0, with what 0 means: the one place a number's range departs from its kind. */
export const ZERO_ALLOWED: Readonly<Record<string, string>> = {
  "streams.heartbeatMs": "no heartbeat",
  "streams.retryMs": "reconnect at once",
};

/** How a number option is checked, from its name. */
export type NumberKind = "lifetime" | "delay" | "digits" | "limit";

/**
 * The kind of number option `path` is, from its name: a `…TtlMs` is a
 * lifetime compared with the clock (no timer waits it), another `…Ms` a
 * delay some timer waits, a `…Seconds` a value sent to clients as digits,
 * anything else a limit.
 *
 * @example
 * ```ts
 * import { numberKind } from "./resolve_group.ts";
 * numberKind("sessions.idleTtlMs"); // "lifetime"
 * numberKind("http.bodyTimeoutMs"); // "delay"
 * ```
 */
export function numberKind(path: string): NumberKind {
  if (/TtlMs$/.test(path)) return "lifetime";
  if (/Ms$/.test(path)) return "delay";
  if (/Seconds$/.test(path)) return "digits";
  return "limit";
}

/** `value` checked as number option `path`, or `fallback` when it is undefined. */
function checkedNumber(path: string, value: number | undefined, fallback: number): number {
  const zero = path in ZERO_ALLOWED;
  switch (numberKind(path)) {
    case "lifetime":
      return positive(path, value, fallback, zero);
    case "delay":
      // The `retry:` hint is a delay sent as digits: a whole number too.
      return path === "streams.retryMs"
        ? wholeNumber(path, value, fallback, zero)
        : delay(path, value, fallback, zero);
    case "digits":
      return wholeNumber(path, value, fallback, zero);
    case "limit":
      return limit(path, value, fallback);
  }
}

/**
 * Group `group` of the options with the table's defaults: numbers checked by
 * their kind, booleans checked as booleans, other values taken as given
 * (their own checks are resolve.ts's). A share's default (`DEFAULT_SHARES`)
 * is its part of the resolved pool; `wholePools` names the shares whose
 * default is the whole pool instead (`sessions.maxAnonymousSessions`
 * without `auth`).
 *
 * @example
 * ```ts
 * import { resolveGroup } from "./resolve_group.ts";
 * resolveGroup("http", { bodyTimeoutMs: 5_000 }).bodyTimeoutMs; // 5_000
 * ```
 */
export function resolveGroup<G extends TableGroup>(
  group: G,
  given: GroupOptions[G] | undefined,
  wholePools: readonly string[] = [],
): ResolvedGroup<G> {
  const options = (given ?? {}) as Record<string, unknown>;
  const resolved: Record<string, unknown> = {};
  for (const [field, fallback] of Object.entries(DEFAULTS[group])) {
    const path = `${group}.${field}`;
    const value = options[field];
    if (typeof fallback === "number") {
      resolved[field] = checkedNumber(path, value as number | undefined, fallback);
    } else if (typeof fallback === "boolean" && value !== undefined && typeof value !== "boolean") {
      throw new TypeError(`Option ${path} must be a boolean, got ${typeof value}`);
    } else {
      resolved[field] = value === undefined ? fallback : value;
    }
  }
  for (const [path, share] of Object.entries(DEFAULT_SHARES)) {
    if (!path.startsWith(`${group}.`)) continue;
    const field = path.slice(group.length + 1);
    const pool = resolved[share.of.slice(group.length + 1)];
    // A share of a pool with no default (limits.maxConcurrentRequests) is resolve.ts's.
    if (typeof pool !== "number") continue;
    const fallback = wholePools.includes(path) ? pool : shareOf(pool, share.parts);
    resolved[field] = limit(path, options[field] as number | undefined, fallback);
  }
  return resolved as ResolvedGroup<G>;
}
