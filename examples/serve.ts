/**
 * Serves a fetch handler on whichever runtime runs this file: Deno.serve,
 * Bun.serve, or Node through `@tether/mcp/node`. Used by the examples and
 * tests so one file runs everywhere.
 */

import { serve as serveOnNode } from "../src/adapters/node.ts";
import { peerAddress, recordPeerAddress } from "./peer_address.ts";

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

export { peerAddress };

interface DenoLike {
  serve(
    options: {
      port: number;
      hostname: string;
      onListen?: (addr: { port: number }) => void;
      signal?: AbortSignal;
    },
    handler: (
      request: Request,
      info: { remoteAddr: { hostname?: string } },
    ) => Promise<Response>,
  ): { shutdown(): Promise<void>; finished: Promise<void>; addr: { port: number } };
}
interface BunLike {
  serve(
    options: {
      port: number;
      hostname: string;
      fetch: (
        request: Request,
        server: { requestIP(request: Request): { address: string } | null },
      ) => Promise<Response>;
      idleTimeout?: number;
    },
  ): {
    port: number;
    stop(force?: boolean): Promise<void>;
  };
}

/** How long a closing Deno or Bun server waits for the answers still in progress before it closes every connection. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The answers a Deno server has in progress, counted rather than kept: a
 * Set of them, added to and deleted from on every request, had V8 allocate
 * its rehashed tables in the old generation once the young one reached its
 * largest size (about 140 bytes of old-generation garbage a request on a
 * served echo call, and a mark-compact a second under load).
 */
class AnswersInProgress {
  #count = 0;
  /** What {@linkcode drained} handed out while answers were in progress, with its resolve. */
  #drained: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Shared by every answer: no closure per request. */
  readonly #settled = () => {
    if (--this.#count > 0) return;
    this.#drained?.resolve();
    this.#drained = undefined;
  };

  /** Counts `answer` until it settles. */
  track(answer: Promise<Response>): void {
    this.#count++;
    answer.then(this.#settled, this.#settled);
  }

  /** Resolves once no answer is in progress (at once when none is). */
  drained(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    if (this.#drained === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.#drained = { promise, resolve };
    }
    return this.#drained.promise;
  }
}

/** Resolves when `promise` settles, or after `ms`, whichever comes first (one macrotask later, so answers are written). */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise, late]);
  clearTimeout(timer);
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/** The runtime this code runs on. */
export function runtimeName(): "deno" | "bun" | "node" {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

/** Options of {@linkcode serveHandler}. */
export interface ServeOptions {
  /**
   * Record each request's peer address for {@linkcode peerAddress} (a rate
   * limit keyed on it). Off by default: it costs every request a lookup in
   * the runtime's server and a WeakMap entry (about 3% of a served call's CPU
   * on Deno), for handlers that never ask.
   * @default {false}
   */
  peerAddresses?: boolean;
}

/** Starts `handler` on 127.0.0.1 (port 0 picks a free port). */
export async function serveHandler(
  handler: Handler,
  port = 0,
  hostname = "127.0.0.1",
  options: ServeOptions = {},
): Promise<RunningServer> {
  const runtime = runtimeName();
  const recordPeers = options.peerAddresses === true;
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
    // Closed through the signal, not shutdown(): Deno's graceful shutdown waits until every request
    // has been received in full, so a client that stops halfway through a body would hold it for ever.
    const stop = new AbortController();
    const answering = new AnswersInProgress();
    const server = deno.serve(
      { port, hostname, onListen: () => {}, signal: stop.signal },
      (request, info) => {
        if (recordPeers && info.remoteAddr.hostname !== undefined) {
          recordPeerAddress(request, info.remoteAddr.hostname);
        }
        const answer = handler(request);
        answering.track(answer);
        return answer;
      },
    );
    const bound = server.addr.port;
    return {
      url: `http://${hostname}:${bound}`,
      port: bound,
      async close() {
        await handler.close?.();
        // A closed handler answers what it still holds at once (a pending body read gets 503): let those out first.
        await settleWithin(answering.drained(), CLOSE_GRACE_MS);
        stop.abort();
        await server.finished;
      },
    };
  }
  if (runtime === "bun") {
    const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
    // idleTimeout 0: SSE streams stay open between heartbeats (Bun's default would cut them at 10 s).
    const server = bun.serve({
      port,
      hostname,
      fetch: recordPeers
        ? (request, bunServer) => {
          const address = bunServer.requestIP(request)?.address;
          if (address !== undefined) recordPeerAddress(request, address);
          return handler(request);
        }
        : handler,
      idleTimeout: 0,
    });
    return {
      url: `http://${hostname}:${server.port}`,
      port: server.port,
      async close() {
        await handler.close?.();
        // What the closed handler still answers goes out first (a forced stop cuts it), within the grace.
        await settleWithin(server.stop(false), CLOSE_GRACE_MS);
        await server.stop(true);
      },
    };
  }
  const served = recordPeers
    ? Object.assign(
      (request: Request, connection?: { remoteAddress: string | undefined }) => {
        if (connection?.remoteAddress !== undefined) {
          recordPeerAddress(request, connection.remoteAddress);
        }
        return handler(request);
      },
      { close: handler.close },
    )
    : handler;
  const server = serveOnNode(served, { port, hostname });
  const bound = await server.ready;
  return { url: `http://${hostname}:${bound}`, port: bound, close: () => server.close() };
}
