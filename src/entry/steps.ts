/**
 * The front door as data: the ordered table of steps every request passes
 * before its era serves it, each named, with the methods and eras it
 * applies to, the refusal steps it may report, and a check that returns an
 * answer (a refusal, or a response such as the health document) or
 * nothing, to go on. `route.ts` runs the table; the order is this array.
 * It holds no state: what a step needs is in the {@linkcode Door}, what it
 * learns of the request goes on the {@linkcode Visit}.
 * @module
 */

import { jsonResponse } from "../http/error_response.ts";
import { checkHostAndOrigin } from "../http/guards.ts";
import { checkRateLimit } from "../limits/rate_limit.ts";
import { type BodyResult, readBodyText } from "../http/body/read_body.ts";
import { atStep, busUnavailable, isRefusal, refuse } from "../http/refusal.ts";
import { checkRequiredHeader } from "../http/require_header.ts";
import { isPromiseLike, type MaybePromise } from "../protocol/maybe_async.ts";
import { Refused } from "../auth/authenticate.ts";
import { classifyPost, namesModernVersion } from "./classify_era.ts";
import { legacyOnly, modernOnly } from "./era_fallback.ts";
import { checkPostHeaders, readPostMessages } from "./read_post.ts";
import { closingRefusal } from "./shutdown.ts";
import {
  type Door,
  type DoorRow,
  ERA_BITS,
  METHOD_BITS,
  OTHER_METHOD,
  type Step,
  type StepAnswer,
  type StepEra,
  type StepMethod,
  type Visit,
} from "./door.ts";

export type { Door, DoorRow, Step, StepAnswer, StepEra, StepMethod };
export { Visit } from "./door.ts";

const SESSION_METHODS: readonly StepMethod[] = ["GET", "POST", "DELETE"];
const ALLOW = "GET, POST, DELETE";

/**
 * The door, in order. Before `method`: every request; from `post-headers`
 * on, a POST's body and era; `legacy-checks` is each 2025 method's own;
 * then the caller (authenticate, scope, rate-limits, and last its DPoP
 * proof's place in the replay cache) and the era serves.
 */
export const STEPS = [
  {
    name: "preflight",
    methods: ["OPTIONS"],
    eras: "any",
    reports: [],
    // On any path (a metadata document too); one from an origin the guard refuses goes on to be refused.
    on: (door) => door.cors !== undefined,
    check: (door, visit) => door.cors?.preflight(visit.request),
  },
  {
    name: "health",
    methods: ["GET"],
    eras: "any",
    reports: ["closing"],
    on: (door) => door.config.http.healthPath !== undefined,
    check: ({ config, shutdown }, visit) => {
      const { healthPath } = config.http;
      if (healthPath === undefined || visit.path !== healthPath) return undefined;
      // A closed handler reports itself unhealthy so load balancers stop sending traffic.
      return shutdown.closed ? closingRefusal() : jsonResponse('{"status":"ok"}');
    },
  },
  {
    name: "metadata",
    methods: ["GET"],
    eras: "any",
    reports: [],
    // Public, like the health path: clients read it before they hold a token (RFC 9728).
    on: (door) => door.resource !== undefined,
    check: ({ resource }, visit) =>
      resource !== undefined && resource.servesMetadataAt(visit.path)
        ? resource.metadata()
        : undefined,
  },
  {
    name: "path",
    methods: "any",
    eras: "any",
    reports: ["path"],
    check: ({ config }, visit) =>
      config.http.path !== null && visit.path !== config.http.path
        ? refuse(404, "Not Found", { step: "path" })
        : undefined,
  },
  {
    name: "host-origin",
    methods: "any",
    eras: "any",
    reports: ["host-origin"],
    check: (door, visit) => checkHostAndOrigin(visit.request, door.originPolicy, visit.headers),
  },
  {
    name: "closing",
    methods: "any",
    eras: "any",
    reports: ["closing"],
    // While draining, a POST may still carry replies or a cancellation for work in flight.
    check: ({ shutdown }, visit) =>
      shutdown.closed && !(shutdown.draining && visit.methodBit === METHOD_BITS.POST)
        ? closingRefusal()
        : undefined,
  },
  // The operator guards, all off by default, before anything reads the body or asks authenticate.
  {
    name: "require-header",
    methods: "any",
    eras: "any",
    reports: ["require-header"],
    on: (door) => door.config.security.requireHeader !== undefined,
    check: ({ config }, visit) => {
      if (config.security.requireHeader === undefined) return undefined;
      const missing = checkRequiredHeader(visit.request, config.security.requireHeader);
      return missing === undefined ? undefined : atStep(missing, "require-header");
    },
  },
  {
    name: "rate-limit",
    methods: "any",
    eras: "any",
    reports: ["rate-limit"],
    on: (door) => door.rateLimit !== undefined,
    check: ({ rateLimit, config }, visit) =>
      rateLimit === undefined
        ? undefined
        : checkRateLimit(rateLimit, visit.request, config.observe.onError).then((limited) =>
          limited === undefined ? undefined : atStep(limited, "rate-limit")
        ),
  },
  {
    name: "bus",
    methods: "any",
    eras: "any",
    reports: ["bus"],
    check: ({ delivery, config }) => {
      // Until this instance hears the others, it could miss a cancellation meant for its work.
      const subscribing = delivery.ready();
      return subscribing?.then(() => undefined, (error) => {
        config.observe.onError(error);
        return busUnavailable();
      });
    },
  },
  {
    name: "concurrency-limit",
    methods: "any",
    eras: "any",
    reports: ["concurrency-limit"],
    on: (door) => door.concurrency !== undefined,
    check: ({ concurrency }, visit) => {
      if (concurrency === undefined) return undefined;
      if (!concurrency.enter()) return atStep(concurrency.full(), "concurrency-limit");
      visit.entered = true; // given back when the answer (or its stream) is done
      return undefined;
    },
  },
  {
    name: "method",
    methods: "any",
    eras: "any",
    reports: ["method"],
    check: ({ config }, visit) => {
      const bit = visit.methodBit;
      if (bit === METHOD_BITS.POST) return undefined;
      if (bit !== METHOD_BITS.GET && bit !== METHOD_BITS.DELETE) {
        return refuse(405, "Method Not Allowed", { headers: { allow: ALLOW }, step: "method" });
      }
      // Neither exists in 2026-07-28; a modern-only handler has no sessions to serve.
      if (namesModernVersion(visit.headers) || !config.eras.legacy) {
        return refuse(405, "Method Not Allowed", { headers: { allow: "POST" }, step: "method" });
      }
      visit.era = "legacy";
      visit.eraBit = ERA_BITS.legacy;
      return undefined;
    },
  },
  {
    name: "post-headers",
    methods: ["POST"],
    eras: "any",
    reports: ["accept", "content-type"],
    check: ({ config }, visit) =>
      checkPostHeaders(visit.request, visit.headers, config.http.strictAccept),
  },
  {
    name: "body",
    methods: ["POST"],
    eras: "any",
    reports: ["body", "json", "jsonrpc", "closing"],
    check: ({ config, bodyReadControl }, visit) =>
      readBodyText(visit.request, config.http.maxBodyBytes, bodyReadControl, visit.headers),
    settle: (door, visit, body: BodyResult) => {
      const read = readPostMessages(body, door.config.http);
      if (isRefusal(read)) return read;
      visit.post = read;
      return undefined;
    },
  },
  {
    name: "starts-work",
    methods: ["POST"],
    eras: "any",
    reports: ["closing"],
    // A closing handler starts nothing new; replies and notifications still reach the work in flight.
    check: ({ shutdown }, visit) =>
      // (Its refusal names no request id, as before the messages were read.)
      shutdown.closed && visit.post!.startsWork ? { ...closingRefusal(), id: null } : undefined,
  },
  {
    name: "era",
    methods: ["POST"],
    eras: "any",
    reports: ["era"],
    check: ({ config }, visit) => {
      const { values, messages, isBatch } = visit.post!;
      const versionHeader = visit.versionHeader = visit.headers.get("mcp-protocol-version");
      const era = classifyPost(versionHeader, values, messages, isBatch);
      if (isRefusal(era)) return era;
      visit.era = era;
      visit.eraBit = ERA_BITS[era];
      if (era === "modern") return config.eras.modern ? undefined : legacyOnly();
      return config.eras.legacy ? undefined : modernOnly(visit.request, messages, isBatch);
    },
  },
  {
    name: "legacy-checks",
    methods: SESSION_METHODS,
    eras: ["legacy"],
    reports: ["protocol-version", "method", "accept"],
    check: ({ legacy }, visit) => {
      const post = visit.post;
      if (post !== undefined) {
        return legacy.checkPost(post.messages, post.isBatch, visit.versionHeader);
      }
      return visit.methodBit === METHOD_BITS.GET
        ? legacy.checkGet(visit.request)
        : legacy.checkDelete(visit.request);
    },
  },
  {
    name: "authenticate",
    methods: SESSION_METHODS,
    eras: "any",
    reports: ["authenticate", "principal-share"],
    on: (door) => door.authentication.required,
    check: ({ authentication }, visit) => {
      if (!authentication.required) return undefined;
      // A request that starts work takes a place in its caller's share; GET and DELETE start none.
      return authentication.authenticate(visit.request, visit.post?.startsWork ?? false, visit)
        .then(
          (principal) => {
            if (principal instanceof Refused) return principal.answer;
            visit.principal = principal;
            return undefined;
          },
        );
    },
  },
  {
    name: "scope",
    methods: SESSION_METHODS,
    eras: "any",
    reports: ["scope"],
    // A GET or DELETE carries no messages: only the `oauth` option's required scopes apply.
    check: (door, visit) => {
      // While nothing declares scopes (nor requires them), one field is read and no registry.
      if (!door.scopes.on) return undefined;
      const refusal = door.scopes.check(visit.messages, visit.principal, visit.era!);
      // The calls it turns away are audited as `refused` (2026-07-28 has no session to name).
      if (refusal !== undefined && door.audit.active()) {
        const session = visit.era === "modern" ? null : visit.headers.get("mcp-session-id");
        const version = visit.versionHeader ?? "";
        door.audit.refused(door.definitions, visit.messages, visit.principal, session, version);
      }
      return refusal;
    },
  },
  {
    name: "rate-limits",
    methods: SESSION_METHODS,
    eras: "any",
    reports: ["principal-rate-limit", "tool-rate-limit"],
    on: (door) => door.rateLimits !== undefined,
    check: ({ rateLimits }, visit) =>
      rateLimits?.check(visit.principal, visit.messages).then((checked) => {
        if (checked === undefined || isRefusal(checked)) return checked;
        visit.standing = checked; // what is left of a budget goes on the answer
        return undefined;
      }),
  },
  {
    name: "dpop-replay",
    methods: SESSION_METHODS,
    eras: "any",
    // A replay is authentication's 401; a principal at its share of the replay cache, 429.
    reports: ["authenticate", "dpop-share"],
    on: (door) => door.resource?.claimsReplays === true,
    // Last of the caller's checks: a request refused above (a rate limit, a scope) takes no place.
    check: ({ resource }, visit) =>
      visit.replayClaim === undefined ? undefined : resource!.claimReplay(visit.replayClaim),
  },
] as const satisfies readonly Step[];

/** The name of a step of the door. */
export type StepName = (typeof STEPS)[number]["name"];

/** The refusal steps the door reports, derived from the table (the eras report the rest). */
export type DoorRefusalStep = (typeof STEPS)[number]["reports"][number];

/**
 * True by type: the table reports the door's row, no name more or less (a
 * name of the row that no step reports fails to type-check here).
 */
export const TABLE_REPORTS_DOOR_ROW: [DoorRow] extends [DoorRefusalStep] ? true : never = true;

/** A step as a handler runs it: with its method and era masks. */
export interface PlacedStep {
  readonly step: Step;
  readonly methods: number;
  readonly eras: number;
}

/** Each step's method and era masks, in the table's order (computed once). */
const PLACED: readonly PlacedStep[] = STEPS.map((step: Step) => ({
  step,
  methods: step.methods === "any"
    ? ~0
    : step.methods.reduce((bits, method) => bits | (METHOD_BITS[method] ?? OTHER_METHOD), 0),
  eras: step.eras === "any" ? ~0 : step.eras.reduce((bits, era) => bits | ERA_BITS[era], 0),
}));

/**
 * The steps `door` runs, in the table's order: those whose option is off
 * in this handler are left out once, not skipped on every request.
 */
export function stepsOf(door: Door): readonly PlacedStep[] {
  return PLACED.filter(({ step }) => step.on?.(door) ?? true);
}

/**
 * Runs `steps` from `index` on: the first answer ends the walk, else
 * `serve` answers. Not an async function: a walk that waits for nothing
 * answers in the same turn (only waiting steps add one).
 */
export function walk(
  door: Door,
  steps: readonly PlacedStep[],
  visit: Visit,
  index: number,
  serve: (door: Door, visit: Visit) => MaybePromise<StepAnswer>,
): MaybePromise<StepAnswer> {
  for (let i = index; i < steps.length; i++) {
    const placed = steps[i];
    // Past its method, or the era is known and it is not the step's.
    if ((placed.methods & visit.methodBit) === 0) continue;
    if (placed.eras !== ~0 && (placed.eras & visit.eraBit) === 0) continue;
    const step = placed.step;
    const checked = step.check(door, visit);
    if (checked === undefined) continue;
    if (isPromiseLike(checked)) {
      const next = i + 1;
      const settle = step.settle;
      return checked.then((value) => {
        const answer = settle === undefined
          ? value as StepAnswer | undefined
          : settle(door, visit, value as never);
        return answer ?? walk(door, steps, visit, next, serve);
      });
    }
    return checked as StepAnswer;
  }
  return serve(door, visit);
}
