/**
 * The scope step, after authentication and before the era's pipeline: a
 * `tools/call`, `prompts/get`, `resources/read` or `resources/subscribe`
 * (or a 2026-07-28 `subscriptions/listen` naming such a resource, or a
 * `completion/complete` whose ref names such a prompt or template)
 * of a definition that declares `scopes` the caller's token lacks is
 * answered `403` with `WWW-Authenticate: Bearer error="insufficient_scope",
 * scope="…"`, and runs nothing (in a batch, the whole POST). Which scopes
 * the challenge names follows the era's rules:
 *
 * - 2025 revisions (MCP authorization 2025-11-25, "runtime insufficient
 *   scope errors"): the scopes the token already holds that this server
 *   knows, plus the ones the operation needs, so a client that replaces its
 *   scope set on a step-up (the official SDK does) keeps what it had;
 * - 2026-07-28: only the scopes the operation needs (RFC 6750 §3.1); the
 *   client accumulates.
 *
 * It does not filter lists: a tool the caller cannot call is still listed,
 * so a client can learn it needs to ask for more. The one list that carries
 * scoped data, a scoped template's own `list()` inside `resources/list`, is
 * left out for such a caller by the resource registry.
 * @module
 */

import { insufficientScope } from "./bearer_challenge.ts";
import type { Refusal } from "../http/refusal.ts";
import { type ClassifiedMessage, isPlainObject, type JsonRpcRequest } from "../jsonrpc/messages.ts";
import type { Principal } from "../protocol/context/request_context.ts";
import type { PromptRegistry } from "../protocol/registries/prompts.ts";
import type { ResourceRegistry } from "../protocol/registries/resources.ts";
import {
  isScopeToken,
  missingScopes,
  NO_SCOPES,
  scopesOf,
} from "../protocol/definitions/scopes.ts";
import type { ToolRegistry } from "../protocol/registries/tools.ts";
import type { ProtectedResource } from "./protected_resource.ts";

/** The registries whose definitions may declare scopes. */
export interface ScopedDefinitions {
  tools: ToolRegistry;
  prompts: PromptRegistry;
  resources: ResourceRegistry;
}

/** The scopes one request needs, by its method and target. */
function requiredBy(definitions: ScopedDefinitions, request: JsonRpcRequest): readonly string[] {
  const params = isPlainObject(request.params) ? request.params : undefined;
  if (params === undefined) return NO_SCOPES;
  switch (request.method) {
    case "tools/call":
      return definitions.tools.scopes(params.name);
    case "prompts/get":
      return definitions.prompts.scopes(params.name);
    case "resources/read":
    case "resources/subscribe":
      return definitions.resources.scopes(params.uri);
    case "subscriptions/listen":
      return listenedScopes(definitions, params.notifications);
    case "completion/complete":
      return completedScopes(definitions, params.ref);
    default:
      return NO_SCOPES;
  }
}

/** The scopes of what a completion ref names: a prompt's, or a resource template's (its values are its data). */
function completedScopes(definitions: ScopedDefinitions, ref: unknown): readonly string[] {
  if (!isPlainObject(ref)) return NO_SCOPES;
  if (ref.type === "ref/prompt") return definitions.prompts.scopes(ref.name);
  if (ref.type === "ref/resource") return definitions.resources.completionScopes(ref.uri);
  return NO_SCOPES;
}

/** The scopes of the resources a 2026-07-28 listen subscribes to (its `resourceSubscriptions`). */
function listenedScopes(definitions: ScopedDefinitions, filter: unknown): readonly string[] {
  const uris = isPlainObject(filter) ? filter.resourceSubscriptions : undefined;
  if (!Array.isArray(uris)) return NO_SCOPES;
  let scopes: Set<string> | undefined;
  // Authenticated callers only, and the body bounds the list: the listen step checks its size next.
  for (const uri of uris) {
    for (const scope of definitions.resources.scopes(uri)) (scopes ??= new Set()).add(scope);
  }
  return scopes === undefined ? NO_SCOPES : [...scopes];
}

/**
 * The scope step of one handler: whether any scope applies is decided when
 * it is built and again by {@linkcode ScopeCheck.refresh} when a registry
 * changes (the handler's change listener calls it), so while nothing
 * declares scopes and the `oauth` option requires none, a request reads
 * one field here and no registry.
 *
 * @example
 * ```ts
 * import { ScopeCheck } from "./scope_check.ts";
 * import { createMcpHandler } from "@tether/mcp";
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [] });
 * const scopes = new ScopeCheck(handler, undefined);
 * scopes.on; // false: nothing declares scopes
 * ```
 */
export class ScopeCheck {
  readonly #definitions: ScopedDefinitions;
  readonly #resource: ProtectedResource | undefined;
  /** True while a scope may apply: required by the `oauth` option, or declared by a definition. */
  on = false;

  /** The scope step over `definitions` and the `oauth` option's protected resource. */
  constructor(definitions: ScopedDefinitions, resource: ProtectedResource | undefined) {
    this.#definitions = definitions;
    this.#resource = resource;
    this.refresh();
  }

  /** Decides {@linkcode on} anew (a definition was added, replaced or removed). */
  refresh(): void {
    const { tools, prompts, resources } = this.#definitions;
    this.on = (this.#resource?.requiredScopes ?? NO_SCOPES).length > 0 || tools.scoped ||
      prompts.scoped || resources.scoped;
  }

  /** {@linkcode checkScopes} for this handler; undefined at once while {@linkcode on} is false. */
  check(
    messages: readonly ClassifiedMessage[],
    principal: Principal,
    era: "legacy" | "modern",
  ): Refusal | undefined {
    if (!this.on) return undefined;
    return checkScopes(this.#definitions, messages, principal, era, this.#resource);
  }
}

/**
 * The 403 for `messages` when `principal` lacks a scope they need (the
 * `oauth.requiredScopes` every request needs, and what the definitions
 * they call declare); undefined when it holds them all. A GET or DELETE
 * passes no messages: only the required scopes apply.
 */
export function checkScopes(
  definitions: ScopedDefinitions,
  messages: readonly ClassifiedMessage[],
  principal: Principal,
  era: "legacy" | "modern",
  resource: ProtectedResource | undefined,
): Refusal | undefined {
  // On every request's path: nothing is looked up until something declares a scope.
  const base = resource?.requiredScopes ?? NO_SCOPES;
  if (
    base.length === 0 && !definitions.tools.scoped && !definitions.prompts.scoped &&
    !definitions.resources.scoped
  ) {
    return undefined;
  }
  let needed = base.length === 0 ? undefined : new Set(base);
  for (const entry of messages) {
    if (entry.kind !== "request") continue;
    const required = requiredBy(definitions, entry.message);
    if (required.length === 0) continue;
    needed ??= new Set();
    for (const scope of required) needed.add(scope);
  }
  if (needed === undefined || missingScopes([...needed], principal).length === 0) return undefined;
  if (era === "modern") return insufficientScope(resource?.metadataUrl, [...needed]);
  const known = resource?.scopesSupported;
  const kept = scopesOf(principal).filter((scope) =>
    isScopeToken(scope) && (known === undefined || known.includes(scope)) && !needed.has(scope)
  );
  return insufficientScope(resource?.metadataUrl, [...kept, ...needed]);
}
