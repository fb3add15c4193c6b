/**
 * Serves a fetch handler on whichever runtime runs this file: Deno.serve,
 * Bun.serve, or Node through `@tether/mcp/node`. Used by the examples and
 * tests so one file runs everywhere.
 */

import { serve as serveOnNode } from "../src/adapters/node.ts";

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** Bound port. */
  port: number;
  /** Stops the handler (if it has close) and the listener. */
  close(): Promise<void>;
}

type Handler = ((request: Request) => Promise<Response>) & { close?: () => Promise<void> };

interface DenoLike {
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Promise<Response>,
  ): { shutdown(): Promise<void>; finished: Promise<void>; addr: { port: number } };
}
interface BunLike {
  serve(options: { port: number; hostname: string; fetch: (request: Request) => Promise<Response>; idleTimeout?: number }): {
    port: number;
    stop(force?: boolean): Promise<void> | void;
  };
}

/** The runtime this code runs on. */
export function runtimeName(): "deno" | "bun" | "node" {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

/** Starts `handler` on 127.0.0.1 (port 0 picks a free port). */
export async function serveHandler(handler: Handler, port = 0, hostname = "127.0.0.1"): Promise<RunningServer> {
  const runtime = runtimeName();
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
    const server = deno.serve({ port, hostname, onListen: () => {} }, handler);
    const bound = server.addr.port;
    return {
      url: `http://${hostname}:${bound}`,
      port: bound,
      async close() {
        await handler.close?.();
        await server.shutdown();
      },
    };
  }
  if (runtime === "bun") {
    const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
    // idleTimeout 0: SSE streams stay open between heartbeats (Bun's default would cut them at 10 s).
    const server = bun.serve({ port, hostname, fetch: handler, idleTimeout: 0 });
    return {
      url: `http://${hostname}:${server.port}`,
      port: server.port,
      async close() {
        await handler.close?.();
        await server.stop(true);
      },
    };
  }
  const server = serveOnNode(handler, { port, hostname });
  const bound = await server.ready;
  return { url: `http://${hostname}:${bound}`, port: bound, close: () => server.close() };
}
