/**
 * The request path of one handler: the guards every request shares, in
 * order, then the era's pipeline, and the one place where a refusal becomes
 * a response.
 *
 *   [CORS preflight] → health → OAuth metadata (GET, with the `oauth` option) →
 *   path → Host/Origin → closing → requireHeader → rateLimit → bus
 *   subscription → concurrency cap (the operator guards, off by default) →
 *   method →
 *   POST: Accept → Content-Type → body → messages (read_post.ts) → era →
 *         [legacy: MCP-Protocol-Version] → authenticate → scopes →
 *         rateLimits → era pipeline
 *   GET, DELETE: legacy checks → authenticate → [oauth: required scopes] →
 *         rateLimits → legacy pipeline (405 for a modern MCP-Protocol-Version)
 *
 * Every step returns a refusal or a response; the single request's id is
 * put on a POST's refusal once, and {@linkcode createRoute}'s `render`
 * reports and renders it; with the `cors` option every answer, whatever
 * made it, passes {@linkcode Cors.grant} on its way out. It builds no part
 * and holds no state besides what it is given.
 * @module
 */

import type { ConcurrencyLimit } from "../http/concurrency_limit.ts";
import type { Cors } from "../http/cors.ts";
import { httpError, jsonResponse } from "../http/error_response.ts";
import { checkHostAndOrigin, type OriginPolicy } from "../http/guards.ts";
import { checkRateLimit } from "../http/rate_limit.ts";
import { type BodyReads, readBodyText } from "../http/read_body.ts";
import {
  atStep,
  busUnavailable,
  isRefusal,
  type Refusal,
  refuse,
  renderRefusal,
} from "../http/refusal.ts";
import type { LazyInterval } from "../http/lazy_interval.ts";
import { checkRequiredHeader } from "../http/require_header.ts";
import { ErrorCode } from "../jsonrpc/error_codes.ts";
import type { ClassifiedMessage, JsonRpcRequest } from "../jsonrpc/messages.ts";
import type { Era, LegacyEra } from "../era.ts";
import type { McpHandlerOptions, ResolvedOptions } from "../options.ts";
import { ANONYMOUS_PRINCIPAL, type Principal } from "../protocol/context.ts";
import type { Events } from "../events.ts";
import { StorageUnavailableError } from "../storage_unavailable.ts";
import { type Authentication, Refused } from "./authenticate.ts";
import { classifyPost, namesModernVersion } from "./classify_era.ts";
import { legacyOnly, modernOnly } from "./era_fallback.ts";
import { checkPostHeaders, type Post, readPostMessages } from "./read_post.ts";
import { closingRefusal, type Shutdown } from "./shutdown.ts";
import type { ProtectedResource } from "./protected_resource.ts";
import type { RateLimits } from "./rate_limits.ts";
import { checkScopes, type ScopedDefinitions } from "./scope_check.ts";
import { isPromiseLike, type MaybePromise } from "../protocol/maybe_async.ts";

/** A GET or DELETE carries no messages: only the `oauth` option's required scopes apply. */
const NO_MESSAGES: readonly ClassifiedMessage[] = [];

const ALLOW = "GET, POST, DELETE";

/** The parts the request path uses. */
export interface RouteParts {
  config: ResolvedOptions;
  rateLimit: McpHandlerOptions["rateLimit"];
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
  /** The definitions whose declared scopes the scope step checks, in both eras. */
  definitions: ScopedDefinitions;
  authentication: Authentication;
  /** The `oauth` option's protected resource: its metadata is served here, its challenges sent. */
  resource: ProtectedResource | undefined;
  concurrency: ConcurrencyLimit | undefined;
  /** Body reads in progress: one timer for their deadline; `close()` ends them (503). */
  bodyReads: BodyReads;
  shutdown: Shutdown;
  /** Subscribes to the bus once; undefined when subscribed (or no bus), so requests await nothing. */
  subscribed: () => Promise<void> | undefined;
  /** The session sweep (with sessions): started by the first request, so construction sets no timer. */
  sweepTimer: LazyInterval | undefined;
}

/** The handler's request function over `parts`: never rejects (an error becomes a 500 or a 503). */
export function createRoute(parts: RouteParts): (request: Request) => Promise<Response> {
  const { config, events, authentication, concurrency, shutdown } = parts;
  /** Where 2025 requests go: the sessionful pipeline, or the stateless one. */
  const legacy = parts.legacy;
  const modern = parts.modern;
  /** What a request event tells of a request in progress, kept only while a listener wants them. */
  const described = new WeakMap<Request, Described>();
  /** How every body is read: with the one deadline watch (one object for the handler, not one per POST). */
  const bodyReadControl = { reads: parts.bodyReads };

  /** Every answer, from the guards to the catch below, with the CORS grant when there is CORS. */
  const cors = parts.cors;
  const handle = cors === undefined
    ? answer
    : async (request: Request) => cors.grant(request, await answer(request));

  /**
   * A request's answer; a throw or rejection on the way becomes a 500 (a 503
   * when storage is unreachable). Not an async function: without a request
   * listener the route's own promise is answered with no layer of its own.
   */
  function answer(request: Request): Promise<Response> {
    events.counters.requests++;
    if (events.listener !== undefined) return answerObserved(request);
    let routed: Response | Promise<Response>;
    try {
      routed = route(request);
    } catch (error) {
      return Promise.resolve(failed(error));
    }
    return isPromiseLike(routed) ? routed.then(undefined, failed) : Promise.resolve(routed);
  }

  /** {@linkcode answer} when a listener wants request events: timed, and described once answered. */
  async function answerObserved(request: Request): Promise<Response> {
    try {
      const started = performance.now();
      const response = await route(request);
      const what = described.get(request);
      // `initialize` names its new session on the response only.
      const sessionId = what?.era === "legacy"
        ? request.headers.get("mcp-session-id") ?? response.headers.get("mcp-session-id")
        : null;
      events.emit({
        type: "request",
        method: what?.method ?? request.method,
        ...(what === undefined ? {} : { era: what.era }),
        ...(sessionId === null ? {} : { sessionId }),
        ...what?.target,
        status: response.status,
        durationMs: performance.now() - started,
      });
      return response;
    } catch (error) {
      return failed(error);
    }
  }

  /** What a throw or rejection on a request's way is answered with. */
  function failed(error: unknown): Response {
    config.onError(error);
    if (error instanceof StorageUnavailableError) {
      // Fail closed, and say so in a way clients and load balancers retry.
      events.refused("storage", 503);
      return httpError(503, "Service Unavailable: session storage is unreachable", {
        code: ErrorCode.InternalError,
        headers: { "retry-after": String(error.retryAfterSeconds) },
      });
    }
    return httpError(500, "Internal error", { code: ErrorCode.InternalError });
  }

  /**
   * The entry's guards, then the era's pipeline. Not an async function: a
   * request that waits for nothing (no rate limit, no bus to join) goes
   * straight to {@linkcode admit}, without a layer of its own.
   */
  function route(request: Request): Response | Promise<Response> {
    parts.sweepTimer?.start();
    // A preflight on any path (a metadata document too); one from an origin the guard refuses goes on to be refused.
    if (cors !== undefined && request.method === "OPTIONS") {
      const preflight = cors.preflight(request);
      if (preflight !== undefined) return preflight;
    }
    const path = pathOf(request.url);
    if (config.healthPath !== undefined && path === config.healthPath && request.method === "GET") {
      // A closed handler reports itself unhealthy so load balancers stop sending traffic.
      return shutdown.closed ? render(closingRefusal()) : jsonResponse('{"status":"ok"}');
    }
    // Public, like the health path: clients read it before they hold a token (RFC 9728).
    if (
      parts.resource !== undefined && request.method === "GET" &&
      parts.resource.servesMetadataAt(path)
    ) {
      return render(parts.resource.metadata());
    }
    if (config.path !== null && path !== config.path) {
      return render(refuse(404, "Not Found", { step: "path" }));
    }
    // Read once: on Deno.serve every `request.headers` read goes through the runtime's accessor.
    const headers = request.headers;
    const forbidden = checkHostAndOrigin(request, parts.originPolicy, headers);
    if (forbidden !== undefined) return render(forbidden);
    // While draining, a POST may still carry replies or a cancellation for work in flight (post() checks).
    if (shutdown.closed && !(shutdown.draining && request.method === "POST")) {
      return render(closingRefusal());
    }
    // Operator guards, all off by default, before anything reads the body or asks authenticate.
    if (config.requireHeader !== undefined) {
      const missing = checkRequiredHeader(request, config.requireHeader);
      if (missing !== undefined) return render(atStep(missing, "require-header"));
    }
    if (parts.rateLimit !== undefined || parts.subscribed() !== undefined) {
      return routeAfterWaits(request, headers);
    }
    return admit(request, headers);
  }

  /** The rate limit, then the bus subscription, either of which may be waited for; then {@linkcode admit}. */
  async function routeAfterWaits(request: Request, headers: Headers): Promise<Response> {
    if (parts.rateLimit !== undefined) {
      const limited = await checkRateLimit(parts.rateLimit, request, config.onError);
      if (limited !== undefined) return render(atStep(limited, "rate-limit"));
    }
    // A refused request above never starts a subscription attempt.
    const subscribing = parts.subscribed();
    if (subscribing !== undefined) {
      // Until this instance hears the others, it could miss a cancellation meant for its work.
      try {
        await subscribing;
      } catch (error) {
        config.onError(error);
        return render(busUnavailable());
      }
    }
    return await admit(request, headers);
  }

  /** Dispatches within the concurrency limit, when there is one. */
  function admit(request: Request, headers: Headers): Promise<Response> {
    if (concurrency === undefined) return dispatch(request, headers);
    if (!concurrency.enter()) {
      return Promise.resolve(render(atStep(concurrency.full(), "concurrency-limit")));
    }
    return dispatch(request, headers).then(
      // Streamed work keeps its place until it is done.
      (response) => concurrency.release(request, response),
      (error) => {
        concurrency.leave(request);
        throw error;
      },
    );
  }

  /** The method's path. Not an async function: a POST renders its own answer, with no layer around it. */
  function dispatch(request: Request, headers: Headers): Promise<Response> {
    switch (request.method) {
      case "POST":
        return post(request, headers);
      case "GET":
      case "DELETE": {
        // Neither exists in 2026-07-28; a modern-only handler has no sessions to serve.
        if (namesModernVersion(headers) || !config.eras.legacy) {
          return Promise.resolve(render(
            refuse(405, "Method Not Allowed", { headers: { allow: "POST" }, step: "method" }),
          ));
        }
        if (events.listener !== undefined) {
          described.set(request, { method: request.method, era: "legacy" });
        }
        return getOrDelete(request);
      }
      default:
        return Promise.resolve(render(
          refuse(405, "Method Not Allowed", { headers: { allow: ALLOW }, step: "method" }),
        ));
    }
  }

  /** A POST: its messages, then their era's pipeline; a refusal about a single request carries its id. */
  async function post(request: Request, headers: Headers): Promise<Response> {
    const refused = checkPostHeaders(request, headers, config.strictAccept);
    if (refused !== undefined) return render(refused);
    const body = await readBodyText(request, config.maxBodyBytes, bodyReadControl, headers);
    const read = readPostMessages(body, config);
    if (isRefusal(read)) return render(read);
    // A closing handler starts nothing new; replies and notifications still reach the work in flight.
    if (shutdown.closed && read.startsWork) return render(closingRefusal());
    // A synchronous tool's answer is here already: awaiting it would cost a turn.
    const served = serve(request, headers, read);
    const answer = isPromiseLike(served) ? await served : served;
    return render(
      read.id !== undefined && isRefusal(answer) && answer.id === undefined
        ? { ...answer, id: read.id }
        : answer,
    );
  }

  /**
   * The messages of a POST, in their era: its checks before authentication,
   * then its pipeline. Not an async function: without an `authenticate`
   * option nothing is waited for before the pipeline.
   */
  function serve(
    request: Request,
    headers: Headers,
    read: Post,
  ): MaybePromise<Response | Refusal> {
    const { messages, isBatch } = read;
    // Read once: the era's classification and both pipelines' version checks use it.
    const versionHeader = headers.get("mcp-protocol-version");
    const era = classifyPost(versionHeader, read.values, messages, isBatch);
    if (isRefusal(era)) return era;
    if (events.listener !== undefined) {
      described.set(request, { method: methodOf(read), era, target: targetOf(read) });
    }
    if (era === "modern") {
      if (!config.eras.modern) return legacyOnly();
      if (!authentication.required && parts.rateLimits === undefined) {
        // The common case, with no closure: the anonymous caller, checked for scopes, served now.
        return scopeRefusal(ANONYMOUS_PRINCIPAL, messages, era) ??
          modern.serve(request, headers, messages, isBatch, ANONYMOUS_PRINCIPAL, versionHeader);
      }
      return asCaller(
        request,
        read.startsWork,
        messages,
        era,
        (principal) => modern.serve(request, headers, messages, isBatch, principal, versionHeader),
      );
    }
    if (!config.eras.legacy) return modernOnly(request, messages, isBatch);
    const badVersion = legacy.checkPost(messages, isBatch, versionHeader);
    if (badVersion !== undefined) return badVersion;
    if (!authentication.required && parts.rateLimits === undefined) {
      return scopeRefusal(ANONYMOUS_PRINCIPAL, messages, era) ??
        legacy.serve(request, headers, messages, isBatch, ANONYMOUS_PRINCIPAL, versionHeader);
    }
    return asCaller(
      request,
      read.startsWork,
      messages,
      era,
      (principal) => legacy.serve(request, headers, messages, isBatch, principal, versionHeader),
    );
  }

  /** A sessionful GET (listening stream) or DELETE: the era's checks, authentication, the pipeline. */
  async function getOrDelete(request: Request): Promise<Response> {
    const isGet = request.method === "GET";
    const refused = isGet ? legacy.checkGet(request) : legacy.checkDelete(request);
    if (refused !== undefined) return render(refused);
    // Neither starts work that counts against a principal's share.
    // With the oauth option's requiredScopes, those apply to GET and DELETE too.
    return render(
      await asCaller(
        request,
        false,
        NO_MESSAGES,
        "legacy",
        (principal) => isGet ? legacy.get(request, principal) : legacy.delete(request, principal),
      ),
    );
  }

  /**
   * `serveAs` the caller, once authenticated (`claimsShare`: the request
   * starts work, so it takes a place in the caller's share) and checked for
   * the scopes `messages` need; a refused caller's answer instead. Without
   * an `authenticate` (or `oauth`) option every caller is anonymous, and
   * nothing is waited for.
   */
  function asCaller(
    request: Request,
    claimsShare: boolean,
    messages: readonly ClassifiedMessage[],
    era: "legacy" | "modern",
    serveAs: (principal: Principal) => MaybePromise<Response | Refusal>,
  ): MaybePromise<Response | Refusal> {
    if (!authentication.required) return withScopes(ANONYMOUS_PRINCIPAL, messages, era, serveAs);
    return authentication.authenticate(request, claimsShare).then((principal) =>
      principal instanceof Refused
        ? principal.answer
        : withScopes(principal, messages, era, serveAs)
    );
  }

  /** The principal's 403 insufficient_scope when `messages` need a scope it lacks. */
  function scopeRefusal(
    principal: Principal,
    messages: readonly ClassifiedMessage[],
    era: "legacy" | "modern",
  ): Refusal | undefined {
    return checkScopes(parts.definitions, messages, principal, era, parts.resource);
  }

  /**
   * `serveAs` the principal, unless it lacks a scope `messages` need (403
   * insufficient_scope) or has spent a `rateLimits` budget (429); what is
   * left of a budget goes on the answer.
   */
  function withScopes(
    principal: Principal,
    messages: readonly ClassifiedMessage[],
    era: "legacy" | "modern",
    serveAs: (principal: Principal) => MaybePromise<Response | Refusal>,
  ): MaybePromise<Response | Refusal> {
    const refused = scopeRefusal(principal, messages, era);
    if (refused !== undefined) return refused;
    const limits = parts.rateLimits;
    if (limits === undefined) return serveAs(principal);
    return limits.check(principal, messages).then((checked) =>
      checked === undefined
        ? serveAs(principal)
        : isRefusal(checked)
        ? checked
        : checked.stamp(serveAs(principal))
    );
  }

  /** The one place a refusal becomes a response (and is reported); a response passes through. */
  function render(answer: Response | Refusal): Response {
    if (!isRefusal(answer)) return answer as Response;
    events.refused(answer.step ?? "other", answer.status, answer.code, answer.message);
    return renderRefusal(answer);
  }

  return handle;
}

/** What a request event tells of a request beyond its status and timing. */
interface Described {
  method: string;
  era: "legacy" | "modern";
  /** The tool, prompt or resource a single request names. */
  target?: { tool: string } | { prompt: string } | { resource: string };
}

/** The tool, prompt or resource a single request names, for its request event. */
function targetOf(read: Post): Described["target"] {
  const first = read.messages[0];
  if (read.isBatch || first.kind !== "request") return undefined;
  const { method, params } = first.message as JsonRpcRequest;
  const name = params?.name;
  const uri = params?.uri;
  if (method === "tools/call" && typeof name === "string") return { tool: name };
  if (method === "prompts/get" && typeof name === "string") return { prompt: name };
  if (method.startsWith("resources/") && typeof uri === "string") return { resource: uri };
  return undefined;
}

/** What a request event names: the single request's method, or `batch`, or `response`. */
function methodOf(read: Post): string {
  if (read.isBatch) return "batch";
  const first = read.messages[0];
  return first.kind === "response" ? "response" : (first.message as JsonRpcRequest).method;
}

/** The path of a request URL, without parsing the whole URL. */
function pathOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = url.indexOf("/", scheme === -1 ? 0 : scheme + 3);
  if (start === -1) return "/";
  let end = url.length;
  const query = url.indexOf("?", start);
  if (query !== -1) end = query;
  const hash = url.indexOf("#", start);
  if (hash !== -1 && hash < end) end = hash;
  return url.slice(start, end);
}
