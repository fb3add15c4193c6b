/**
 * The parts of a handler that are made from its options in more than one
 * step: the server's identity, the concurrency cap, the origin rules (the
 * Origin guard and CORS), and the list-changed announcements of the
 * registries (which also tell the scope step). `createMcpHandler`
 * (src/handler.ts) calls these and wires what they return; nothing here
 * serves a request or holds state of its own.
 * @module
 */

import type { ScopeCheck } from "../auth/scope_check.ts";
import type { Delivery } from "../bus/delivery.ts";
import { ConcurrencyLimit } from "../limits/concurrency_limit.ts";
import { Cors } from "../http/cors.ts";
import { compileOriginPolicy, type OriginPolicy } from "../http/guards.ts";
import { DEFAULTS } from "../config/defaults.ts";
import type { McpHandlerOptions } from "../config/options.ts";
import type { ResolvedOptions } from "../config/resolve.ts";
import type { Dispatcher } from "../protocol/dispatch/dispatcher.ts";
import type { Implementation } from "../protocol/types.ts";

/** The server's identity as `initialize` and `server/discover` give it, from the options. */
export function describeServer(options: McpHandlerOptions): Implementation {
  return {
    name: options.name,
    version: options.version,
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.icons === undefined ? {} : { icons: [...options.icons] }),
    ...(options.websiteUrl === undefined ? {} : { websiteUrl: options.websiteUrl }),
  };
}

/**
 * The `limits.maxConcurrentRequests` cap, or undefined without one. Its share per
 * principal applies only when callers are told apart (the `auth` option): without them every caller is the one anonymous principal.
 */
export function createConcurrencyLimit(
  options: McpHandlerOptions,
  config: ResolvedOptions,
): ConcurrencyLimit | undefined {
  if (config.limits.maxConcurrentRequests === undefined) return undefined;
  const principals = options.auth?.authenticate !== undefined ||
    options.auth?.oauth !== undefined;
  return new ConcurrencyLimit(
    config.limits.maxConcurrentRequests,
    principals ? config.limits.maxConcurrentRequestsPerPrincipal : undefined,
  );
}

/** The Origin guard's policy and, with the `cors` option, the grant made from the same policy. */
export interface OriginRules {
  originPolicy: OriginPolicy;
  cors: Cors | undefined;
}

/**
 * One policy for the Origin guard and CORS: an origin the guard lets
 * through is the origin CORS grants (`cors.origins` count as allowed origins).
 */
export function createOriginRules(
  options: McpHandlerOptions,
  config: ResolvedOptions,
): OriginRules {
  const originPolicy = compileOriginPolicy(
    options.security?.allowedHosts ?? DEFAULTS.security.allowedHosts,
    [
      ...(options.security?.allowedOrigins ?? DEFAULTS.security.allowedOrigins),
      ...(config.security.cors?.origins ?? []),
    ],
    config.security.cors?.allowOrigin,
  );
  const cors = config.security.cors === undefined
    ? undefined
    : new Cors(config.security.cors, originPolicy, config.security.requireHeader);
  return { originPolicy, cors };
}

/**
 * Tells this instance's clients when a registry changes at runtime
 * (`notifications/…/list_changed`, both eras). Changes made together (in
 * one turn, before the microtask queue runs) are announced once per list,
 * however many entries changed: a client re-lists once. Definitions are per
 * instance, so the message goes to this process only, never on the bus.
 */
export function announceListChanges(
  dispatcher: Dispatcher,
  delivery: Delivery,
  onError: (error: unknown) => void,
  scopes: Pick<ScopeCheck, "refresh">,
): void {
  const pending = new Set<string>();
  const tellHere = (method: string) => {
    // A definition added at runtime may declare scopes: the scope step decides anew.
    scopes.refresh();
    if (pending.has(method)) return;
    pending.add(method);
    queueMicrotask(() => {
      pending.delete(method);
      void delivery.here({ type: "broadcast", notification: { method } }).catch(onError);
    });
  };
  dispatcher.tools.onChange(() => tellHere("notifications/tools/list_changed"));
  dispatcher.resources.onChange(() => tellHere("notifications/resources/list_changed"));
  dispatcher.prompts.onChange(() => tellHere("notifications/prompts/list_changed"));
}
