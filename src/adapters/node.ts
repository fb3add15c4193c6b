/**
 * Serves a tether handler on Node through `@hono/node-server`. Client
 * disconnects reach the handler: the Request's signal aborts and SSE bodies
 * are cancelled. Bun and Deno need no adapter (`Bun.serve`, `Deno.serve`).
 * @module
 */

import { serve as serveWithHono } from "@hono/node-server";
import { releaseAtTurnEnd } from "./turn_end.ts";

/**
 * What {@linkcode serve} knows of the connection a request came on (the
 * second argument of a {@linkcode FetchHandler}, as Deno.serve passes
 * `info.remoteAddr` and Bun `server.requestIP(request)`).
 *
 * @example
 * ```ts
 * import type { FetchHandler, NodeConnectionInfo } from "@tether/mcp/node";
 * const whoAmI: FetchHandler = (_request, connection?: NodeConnectionInfo) =>
 *   new Response(connection?.remoteAddress ?? "unknown");
 * ```
 */
export interface NodeConnectionInfo {
  /** The peer's IP address (the socket's `remoteAddress`); a proxy's, when there is one. */
  remoteAddress: string | undefined;
}

/**
 * Any fetch-style handler, a tether `McpHandler` included. A handler that
 * declares a second parameter gets the connection's peer address there (a
 * rate limiter's key: see examples/serve.ts).
 *
 * @example
 * ```ts
 * import type { FetchHandler } from "@tether/mcp/node";
 * const hello: FetchHandler = () => new Response("hello");
 * ```
 */
export type FetchHandler =
  & ((request: Request, connection?: NodeConnectionInfo) => Response | Promise<Response>)
  & { close?: (options?: { graceMs?: number }) => Promise<void> };

/**
 * Options of {@linkcode serve}.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { type NodeServeOptions, serve } from "@tether/mcp/node";
 * const options: NodeServeOptions = { port: 0, hostname: "127.0.0.1" };
 * const server = serve(createMcpHandler({ name: "demo", version: "1.0.0", tools: [] }), options);
 * ```
 */
export interface NodeServeOptions {
  /** TCP port; 0 picks a free one. Default 8787. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (loopback only). */
  hostname?: string;
  /**
   * Let `@hono/node-server` replace the global Request/Response with its
   * lighter versions (its fast path). Default: true on Node, false on Bun and
   * Deno, where replacing them would break the runtime's own server.
   */
  overrideGlobalObjects?: boolean;
}

/**
 * A running Node server.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { type NodeServer, serve } from "@tether/mcp/node";
 * const server: NodeServer = serve(createMcpHandler({ name: "demo", version: "1.0.0", tools: [] }), { port: 0 });
 * console.log(`listening on port ${await server.ready}`);
 * await server.close();
 * ```
 */
export interface NodeServer {
  /** Resolves with the bound port once listening. */
  readonly ready: Promise<number>;
  /** The base URL once listening, e.g. `http://127.0.0.1:8787`. */
  readonly url: Promise<string>;
  /**
   * Closes the handler (when it has `close`, passing `options` on: with
   * `graceMs` a tether handler answers new requests 503 while its work in
   * flight finishes, on connections that stay open meanwhile), then open
   * connections and the listener.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** What {@linkcode closeConnections} uses of Node's `http.Server` (Bun's and Deno's may lack the last two). */
interface ClosableHttpServer {
  close(callback: () => void): void;
  closeIdleConnections?: () => void;
  closeAllConnections?: () => void;
}

/** What the adapter uses of a connection: whether a byte came on it, and ending it. */
interface Connection {
  readonly bytesRead: number;
  destroy(): void;
  once(event: "close", listener: () => void): unknown;
}

/**
 * The open connections of `server`, kept from its start to close those no
 * byte has come on yet: Node's `closeIdleConnections` leaves such a
 * connection open (it counts as busy from its start, for `headersTimeout`),
 * and clients open them ahead of use (Node's fetch replaces a connection it
 * aborted, such as an SSE stream a client closed, with a fresh one at once),
 * so each one held `close()` for the whole {@linkcode WRITE_DRAIN_MS}.
 */
function openConnections(
  server: { on(event: "connection", listener: (socket: Connection) => void): unknown },
): Set<Connection> {
  const open = new Set<Connection>();
  server.on("connection", (socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  return open;
}

/** How long a closing server lets answers still being written finish before it cuts their connections. */
const WRITE_DRAIN_MS = 1_000;

/**
 * Stops listening, then closes each connection once it is idle: answers the
 * handler finished while closing (held to the turn's end, or streams it
 * just ended) are written first. A connection no request has come on is
 * closed at once. What is still open after {@linkcode WRITE_DRAIN_MS} is
 * cut. Without `closeIdleConnections`, every connection is closed at once.
 */
async function closeConnections(
  http: ClosableHttpServer,
  connections: Set<Connection>,
): Promise<void> {
  let closed = false;
  const done = new Promise<void>((resolve) =>
    http.close(() => {
      closed = true;
      resolve();
    })
  );
  if (http.closeIdleConnections === undefined) {
    http.closeAllConnections?.();
    return await done;
  }
  const deadline = Date.now() + WRITE_DRAIN_MS;
  while (!closed && Date.now() < deadline) {
    http.closeIdleConnections();
    for (const connection of connections) if (connection.bytesRead === 0) connection.destroy();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (!closed) http.closeAllConnections?.();
  await done;
}

/** An answer passed on as it is (Deno and Bun running this adapter). */
const asIs = <T>(answer: T | Promise<T>): T | Promise<T> => answer;

/**
 * Starts an HTTP server for `handler`. On Node, the answers made in one turn
 * of the event loop are written together at its end, not one by one as each
 * is made: on loopback or behind a proxy on the same host, that spares a
 * wake-up of the reader per answer (see turn_end.ts).
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { serve } from "@tether/mcp/node";
 * const handler = createMcpHandler({ name: "demo", version: "1.0.0", tools: [] });
 * const server = serve(handler, { port: 8787 });
 * console.log(`listening on ${await server.url}/mcp`);
 * ```
 */
export function serve(handler: FetchHandler, options: NodeServeOptions = {}): NodeServer {
  const hostname = options.hostname ?? "127.0.0.1";
  let onReady!: (port: number) => void;
  const ready = new Promise<number>((resolve) => (onReady = resolve));
  const onNode = !("Bun" in globalThis) && !("Deno" in globalThis);
  // On Node the answers of one turn are written together, after it (see turn_end.ts). Deno's
  // and Bun's servers write on their own schedule: held there, a served call cost more, not less.
  const release = onNode ? releaseAtTurnEnd() : asIs;
  const server = serveWithHono(
    {
      // Only a handler that declares the second parameter gets it: an McpHandler pays nothing.
      fetch: handler.length < 2
        ? (request: Request) => release(handler(request))
        : (request: Request, env: { incoming?: { socket?: { remoteAddress?: string } } }) =>
          release(handler(request, { remoteAddress: env?.incoming?.socket?.remoteAddress })),
      port: options.port ?? 8787,
      hostname,
      overrideGlobalObjects: options.overrideGlobalObjects ?? onNode,
    },
    (info) => onReady(info.port),
  );
  // Bun's sockets count no bytesRead (always 0), and its server closes without waiting for them.
  const connections = "Bun" in globalThis ? new Set<Connection>() : openConnections(server);
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    ready,
    url: ready.then((port) => `http://${host}:${port}`),
    async close(options?: { graceMs?: number }): Promise<void> {
      await handler.close?.(options);
      await closeConnections(server as unknown as ClosableHttpServer, connections);
    },
  };
}
