/**
 * Serves a tether handler on Cloudflare Workers from a Durable Object.
 *
 * Why an object: a Worker's isolate may not write to one request's response
 * while serving another ("Cannot perform I/O on behalf of a different
 * request"), and much of MCP is exactly that: a 2025 session's GET stream
 * and a resumed stream carry what other POSTs produce, a 2026-07-28
 * `subscriptions/listen` stream carries `list_changed` from other requests,
 * and a client's reply (another POST) settles a tool's `ctx.elicit`. Inside
 * one Durable Object every request shares the object's I/O, so the handler
 * runs there whole, as in one Node process: sessions, streams, the event log
 * and the bus in the object's memory. The Worker only forwards.
 *
 * What this does not do: persist anything (an evicted or restarted object
 * loses its sessions, and clients get 404 and initialize again), or spread
 * one server over several objects by session (the object is chosen by
 * `name(request)`: one for everything by default; shard by tenant only when
 * no request of one tenant needs another's state). A Worker without the
 * object can still serve the stateless 2026-07-28 era per request (see
 * docs/hosts.md, "Cloudflare Workers").
 * @module
 */

/**
 * The part of a Durable Object stub this adapter uses (Cloudflare's
 * `DurableObjectStub`).
 *
 * @example
 * ```ts
 * import type { DurableObjectStubLike } from "@tether/mcp/cloudflare";
 * const echo: DurableObjectStubLike = { fetch: (request) => Promise.resolve(new Response(request.url)) };
 * ```
 */
export interface DurableObjectStubLike {
  /** Sends `request` to the object. */
  fetch(request: Request): Promise<Response>;
}

/**
 * The part of a Durable Object namespace binding this adapter uses
 * (Cloudflare's `DurableObjectNamespace`).
 *
 * @example
 * ```ts
 * import type { DurableObjectNamespaceLike } from "@tether/mcp/cloudflare";
 * const namespaceOf = (env: { MCP_OBJECT: DurableObjectNamespaceLike }) => env.MCP_OBJECT;
 * ```
 */
export interface DurableObjectNamespaceLike<Id = unknown> {
  /** The id of the object called `name` (the same name, the same object). */
  idFromName(name: string): Id;
  /** A stub for the object with `id`. */
  get(id: Id): DurableObjectStubLike;
}

/**
 * Options of {@linkcode routeToDurableObject}.
 *
 * @example
 * ```ts
 * import type { DurableObjectRouteOptions } from "@tether/mcp/cloudflare";
 * // One object per tenant, named by a header an upstream gateway sets.
 * const options: DurableObjectRouteOptions = {
 *   name: (request) => request.headers.get("x-tenant") ?? "default",
 * };
 * ```
 */
export interface DurableObjectRouteOptions {
  /**
   * The name of the object that serves `request`. Every request of one
   * session, and every request that must reach another's stream, must get
   * the same name.
   * @default () => "mcp" (one object serves everything)
   */
  name?: (request: Request) => string;
}

/** The object every request goes to unless `name` says otherwise. */
const DEFAULT_OBJECT_NAME = "mcp";

/**
 * A Worker's fetch function that hands each request to the Durable Object
 * `options.name` chooses, unchanged; the object's answer (SSE streams
 * included) goes back as it comes.
 *
 * @example
 * ```ts
 * import { type DurableObjectNamespaceLike, routeToDurableObject } from "@tether/mcp/cloudflare";
 * export default {
 *   fetch: (request: Request, env: { MCP_OBJECT: DurableObjectNamespaceLike }) =>
 *     routeToDurableObject(env.MCP_OBJECT)(request),
 * };
 * ```
 */
export function routeToDurableObject<Id>(
  namespace: DurableObjectNamespaceLike<Id>,
  options: DurableObjectRouteOptions = {},
): (request: Request) => Promise<Response> {
  const name = options.name ?? (() => DEFAULT_OBJECT_NAME);
  return (request) => namespace.get(namespace.idFromName(name(request))).fetch(request);
}

/** A fetch handler a Durable Object serves: a tether `McpHandler`, or anything with its call shape. */
export type ObjectHandler = (request: Request) => Response | Promise<Response>;

/**
 * A Durable Object class (Cloudflare calls its constructor with the object's
 * state and the Worker's environment) whose `fetch` is the handler `create`
 * builds from that environment.
 *
 * @example
 * ```ts
 * import type { DurableObjectClass } from "@tether/mcp/cloudflare";
 * type Env = Record<string, unknown>;
 * const check = (objectClass: DurableObjectClass<Env>) => new objectClass({}, {}).fetch;
 * ```
 */
export type DurableObjectClass<Env> = new (state: unknown, env: Env) => {
  /** Serves one request. */
  fetch(request: Request): Promise<Response>;
};

/**
 * A Durable Object class that serves the handler `create(env)` builds, once
 * per object (in its constructor: the first request's, so nothing runs at a
 * Worker's module scope). Export it from the Worker under the class name
 * the binding names.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { mcpDurableObject } from "@tether/mcp/cloudflare";
 * export const McpObject = mcpDurableObject((_env: Record<string, unknown>) =>
 *   createMcpHandler({ name: "my-server", version: "1.0.0" })
 * );
 * ```
 */
export function mcpDurableObject<Env>(
  create: (env: Env) => ObjectHandler,
): DurableObjectClass<Env> {
  return class McpDurableObject {
    readonly #handler: ObjectHandler;

    /** Builds the object's handler from the Worker's environment. */
    constructor(_state: unknown, env: Env) {
      this.#handler = create(env);
    }

    /** Serves one request with the object's handler. */
    async fetch(request: Request): Promise<Response> {
      return await this.#handler(request);
    }
  };
}
