/**
 * A tether 2026-07-28 upstream for the gateway's subscription tests: two
 * resources, the resource listens it receives recorded with their
 * credentials, streams that can be cut, and `memo://a`'s subscribe hook
 * keeping each listen stream (by the caller of `Bearer up-<id>`) so an
 * update can be told to one caller's streams alone. Not a test file itself.
 * @module
 */

import { createMcpHandler, defineResource, type McpHandler } from "../../../mod.ts";
import type { ListenTarget } from "../../../src/types/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";

/** One `subscriptions/listen` the upstream received that asked for resources. */
export interface SeenListen {
  authorization: string;
  uris: unknown;
}

/** A tether 2026-07-28 upstream with two resources, recording its resource listens. */
export interface Upstream extends RunningServer {
  handler: McpHandler;
  listens: SeenListen[];
  /** Streams open on the upstream now (the gateway's discovery listen among them). */
  openStreams(): Promise<number>;
  /** Ends the resource listen streams opened with `authorization` (as a dropped connection would). */
  cut(authorization: string): void;
  /** Tells the open listen streams of caller `id` (`Bearer up-<id>`) alone that `memo://a` changed; how many were told. */
  tell(id: string): number;
}

/** The caller of `Bearer up-<id>`: `<id>`. */
function upstreamCaller(request: Request): { id: string } | undefined {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
  return token?.startsWith("up-") ? { id: token.slice(3) } : undefined;
}

/** The upstream, on a free port; without `advertiseSubscribe` its discover hides `resources.subscribe`. */
export async function startUpstream(advertiseSubscribe = true): Promise<Upstream> {
  const listens: SeenListen[] = [];
  const targets = new Map<string, { caller: string; target: ListenTarget }>();
  const cuts: { authorization: string; cut: AbortController }[] = [];
  const handler = createMcpHandler({
    name: "subscribable-upstream",
    version: "1.0.0",
    resources: [
      defineResource({
        uri: "memo://a",
        name: "a",
        read: () => "A",
        subscribe: (_uri, ctx) => {
          if (ctx.listen) {
            targets.set(ctx.listen.id, { caller: ctx.principal.id, target: ctx.listen });
          }
        },
        unsubscribe: (_uri, ctx) => {
          if (ctx.listen) targets.delete(ctx.listen.id);
        },
      }),
      defineResource({ uri: "memo://b", name: "b", read: () => "B" }),
    ],
    auth: { authenticate: upstreamCaller },
    observe: { onError: () => {} },
  });
  const running = await serveHandler(async (request) => {
    const method = request.headers.get("mcp-method");
    if (request.method === "POST" && method === "subscriptions/listen") {
      const body = await request.clone().json() as {
        params?: { notifications?: { resourceSubscriptions?: unknown } };
      };
      const uris = body.params?.notifications?.resourceSubscriptions;
      if (uris !== undefined) {
        const authorization = request.headers.get("authorization") ?? "";
        listens.push({ authorization, uris });
        const response = await handler(request);
        if (response.body === null) return response;
        const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
        const cut = new AbortController();
        cuts.push({ authorization, cut });
        // Cut: the upstream's stream is cancelled, the gateway's ends.
        response.body.pipeTo(writable, { signal: cut.signal, preventAbort: true })
          .catch(() => writable.close().catch(() => {}));
        return new Response(readable, response);
      }
    }
    const response = await handler(request);
    if (advertiseSubscribe || method !== "server/discover") return response;
    const answer = await response.json() as {
      result: { capabilities: { resources: Record<string, unknown> } };
    };
    delete answer.result.capabilities.resources.subscribe;
    return Response.json(answer);
  }, 0);
  return {
    ...running,
    handler,
    listens,
    openStreams: async () => (await handler.stats()).openStreams,
    tell: (id) =>
      [...targets.values()].filter(({ caller, target }) =>
        caller === id && target.resourceUpdated("memo://a")
      ).length,
    cut: (authorization) => {
      for (const held of cuts) if (held.authorization === authorization) held.cut.abort();
    },
    async close() {
      await running.close();
      await handler.close();
    },
  };
}
