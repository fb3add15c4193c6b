/**
 * What the door's steps work with: the handler's parts ({@linkcode Door},
 * built once) and what they learn of one request ({@linkcode Visit}). It
 * checks nothing itself; steps.ts holds the steps, route.ts runs them.
 * @module
 */

import type { Delivery } from "../bus/delivery.ts";
import type { ConcurrencyLimit } from "../limits/concurrency_limit.ts";
import type { Cors } from "../http/cors.ts";
import type { OriginPolicy } from "../http/guards.ts";
import type { RateLimiter } from "../limits/rate_limit.ts";
import type { BodyReadControl } from "../http/body/read_body.ts";
import type { ClassifiedMessage } from "../jsonrpc/messages.ts";
import type { Era, LegacyEra } from "../era.ts";
import type { Events } from "../observe/events.ts";
import type { ResolvedOptions } from "../config/resolve.ts";
import { ANONYMOUS_PRINCIPAL, type Principal } from "../protocol/context/request_context.ts";
import type { Authentication } from "../auth/authenticate.ts";
import type { ProtectedResource } from "../auth/protected_resource.ts";
import type { PendingReplayClaim } from "../auth/dpop_gate.ts";
import type { Refusal, REFUSAL_STEPS } from "../http/refusal.ts";
import type { RateLimits, Standing } from "../limits/rate_limits.ts";
import type { Post } from "./read_post.ts";
import type { ScopeCheck, ScopedDefinitions } from "../auth/scope_check.ts";
import type { Shutdown } from "./shutdown.ts";
import type { Auditor } from "../observe/audit/auditor.ts";

/** The methods a step applies to. */
export type StepMethod = "OPTIONS" | "GET" | "POST" | "DELETE" | "other";
/** The era a request was classified as (a GET or DELETE is legacy once past the method step). */
export type StepEra = "legacy" | "modern";

const NO_MESSAGES: readonly ClassifiedMessage[] = [];
/** The bit of a method the table names none of. */
export const OTHER_METHOD = 16;
/** Each method's bit, for the steps' method masks. */
export const METHOD_BITS: Partial<Record<StepMethod, number>> = {
  OPTIONS: 1,
  GET: 2,
  POST: 4,
  DELETE: 8,
};
/** Each era's bit, for the steps' era masks. */
export const ERA_BITS: Record<StepEra, number> = { legacy: 1, modern: 2 };

/** The door's row of the refusal steps (src/http/refusal.ts), of which `RefusalStep` is derived. */
export type DoorRow = (typeof REFUSAL_STEPS)["door"][number];

/** An answer a step may give instead of going on. */
export type StepAnswer = Response | Refusal;

/** One step of the door. */
export interface Step {
  /** Its name in the table (unique). */
  readonly name: string;
  /** The methods it applies to; "any": every request. */
  readonly methods: readonly StepMethod[] | "any";
  /** The eras it applies to; "any": also before the era is known. */
  readonly eras: readonly StepEra[] | "any";
  /** The refusal steps its answers report (`stats().refusalsByStep`): names of the door's row. */
  readonly reports: readonly DoorRow[];
  /** Whether the step is on in a handler (the option it needs is set); absent: always. */
  readonly on?: (door: Door) => boolean;
  /**
   * An answer, or undefined to go on; a promise when the step waits (a body, a
   * token). With `settle`, the promise's value is what `settle` judges.
   */
  check(door: Door, visit: Visit): StepAnswer | undefined | Promise<unknown>;
  /**
   * For a step that waits: its answer from what `check`'s promise gave, in
   * the walk's own reaction (no promise and turn of its own per request).
   */
  readonly settle?: (door: Door, visit: Visit, value: never) => StepAnswer | undefined;
}

/** The parts the door's steps use (built once per handler). */
export interface Door {
  config: ResolvedOptions;
  /** The `rateLimit` option (before anything is read). */
  rateLimit: RateLimiter | undefined;
  /** The `rateLimits` budgets (after authentication), when the option is set. */
  rateLimits: RateLimits | undefined;
  originPolicy: OriginPolicy;
  /** CORS, when the `cors` option is set: preflights, and the grant on every answer. */
  cors: Cors | undefined;
  events: Events;
  /** The 2025 era: with sessions, or without (`eras: { legacy: "stateless" }`: GET, DELETE 405). */
  legacy: LegacyEra;
  /** The 2026-07-28 era. */
  modern: Era;
  /** The definitions the audit names in a refused call's record. */
  definitions: ScopedDefinitions;
  /** The scope step's check, in both eras: off while no scope applies. */
  scopes: ScopeCheck;
  /** The audit records: the scope step tells it the calls it refuses. */
  audit: Auditor;
  authentication: Authentication;
  /** The `oauth` option's protected resource: its metadata is served here, its challenges sent. */
  resource: ProtectedResource | undefined;
  concurrency: ConcurrencyLimit | undefined;
  /** How every body is read: with the one deadline watch of the handler's reads (`close()` ends them: 503). */
  bodyReadControl: BodyReadControl;
  shutdown: Shutdown;
  /** The bus: `ready()` subscribes once; undefined once subscribed (or no bus), so requests await nothing. */
  delivery: Pick<Delivery, "ready">;
}

/** What the steps learn of one request on its way in. */
export class Visit {
  readonly request: Request;
  /** Read once: on Deno.serve every `request.headers` read goes through the runtime's accessor. */
  readonly headers: Headers;
  readonly path: string;
  /** The method's bit (see {@linkcode Step}'s `methods`). */
  readonly methodBit: number;
  /** A POST's messages, once read. */
  post: Post | undefined = undefined;
  /** The POST's MCP-Protocol-Version, read once (the classification and both eras use it). */
  versionHeader: string | null = null;
  /** The era's bit, once known (0 before). */
  eraBit = 0;
  era: StepEra | undefined = undefined;
  principal: Principal = ANONYMOUS_PRINCIPAL;
  /** True once the request holds a place under the concurrency cap (given back with its answer). */
  entered = false;
  /** An authenticated DPoP proof's place to take in the replay cache (the `dpop-replay` step). */
  replayClaim: PendingReplayClaim | undefined = undefined;
  /** What is left of the `rateLimits` budgets, for the answer's headers. */
  standing: Standing | undefined = undefined;

  /** The visit of `request` at `path`. */
  constructor(request: Request, path: string) {
    this.request = request;
    this.headers = request.headers;
    this.path = path;
    this.methodBit = METHOD_BITS[request.method as StepMethod] ?? OTHER_METHOD;
  }

  /** The messages the scope and rate-limit steps weigh: none for a GET or DELETE. */
  get messages(): readonly ClassifiedMessage[] {
    return this.post?.messages ?? NO_MESSAGES;
  }
}
