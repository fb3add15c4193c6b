/**
 * What every benchmark server shares: argument parsing, serving on the
 * current runtime (examples/serve.ts: Deno.serve, Bun.serve, or
 * @hono/node-server on Node), a READY line on stdout, and the bench-only
 * admin routes under `/__bench/`:
 *
 *   GET  /__bench/mem[?reduce=1]       forced GC (when exposed), then
 *                                      {rss, heapUsed, heapTotal, external, sessions, gc};
 *                                      with reduce=1 on V8, the memory-reducing GC
 *                                      (see forceGc)
 *   POST /__bench/exit                 exits cleanly (so `--cpu-prof` writes its profile)
 *   POST /__bench/sessions?n=N[&ids=1] creates N sessions IN-PROCESS: calls this
 *                                      server's own fetch handler with N synthetic
 *                                      `initialize` + `notifications/initialized`
 *                                      Requests (64 at a time), exactly as an HTTP
 *                                      client would send them but without the socket.
 *                                      Answers {created, ms} or, with ids=1, the
 *                                      session ids one per line.
 *
 * The admin routes exist only so the memory and scaling workloads can build
 * 100k sessions in seconds; they are never part of a measured request path
 * (the only cost they add to measured requests is one `indexOf` on the URL,
 * identical for every server).
 */

import { runtimeName, serveHandler } from "../../examples/serve.ts";
import {
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  MCP_PATH,
  POST_HEADERS,
} from "../lib/protocol.ts";

/** A web-standard request handler. */
export type FetchFn = (request: Request) => Promise<Response>;

interface DenoNs {
  args: string[];
  pid: number;
  version: { deno: string; v8: string };
  memoryUsage(): { rss: number; heapUsed: number; heapTotal: number; external: number };
}
interface ProcessNs {
  argv: string[];
  exit(code: number): void;
  pid: number;
  version: string;
  versions: Record<string, string>;
  memoryUsage(): { rss: number; heapUsed: number; heapTotal: number; external: number };
}

const g = globalThis as unknown as {
  Deno?: DenoNs;
  Bun?: { version: string; gc(full: boolean): void };
  process?: ProcessNs;
  gc?: (options?: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;
};

/** `--key value` pairs after the script name. */
export function serverArgs(): Record<string, string> {
  const argv = g.Deno ? g.Deno.args : g.process!.argv.slice(2);
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) out[a.slice(2)] = "true";
      else out[a.slice(2)] = argv[++i];
    }
  }
  return out;
}

function pid(): number {
  return g.Deno ? g.Deno.pid : g.process!.pid;
}

/** "deno 2.9.5 (v8 ...)", "bun 1.4.4", "node v20.20.2 (v8 ...)". */
export function runtimeVersion(): string {
  if (g.Deno) return `deno ${g.Deno.version.deno} (V8 ${g.Deno.version.v8})`;
  if (g.Bun) return `bun ${g.Bun.version} (JavaScriptCore)`;
  return `node ${g.process!.version} (V8 ${g.process!.versions.v8})`;
}

/**
 * Runs a full GC where the runtime exposes one; returns whether it could. With `reduce`, V8
 * (Node, Deno) runs its memory-reducing GC (`flavor: "last-resort"`, what it runs under memory
 * pressure): it also shrinks the young generation to its least and releases its pages. Without
 * it, those pages stay resident in proportion to the garbage made since the space last grew
 * (up to 64 MiB a process on Node 24), whatever the process holds. Bun's `gc(true)` is already
 * JavaScriptCore's full, synchronous collection.
 */
async function forceGc(reduce: boolean): Promise<boolean> {
  let done = false;
  for (let i = 0; i < 3; i++) {
    if (g.Bun) {
      g.Bun.gc(true);
      done = true;
    } else if (typeof g.gc === "function") {
      if (reduce) g.gc({ type: "major", execution: "sync", flavor: "last-resort" });
      else g.gc();
      done = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return done;
}

function memoryUsage() {
  return g.Deno ? g.Deno.memoryUsage() : g.process!.memoryUsage();
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json" },
  });
}

const utf8 = new TextEncoder();
/** The UTF-8 length of `text`, bytes. */
const byteLength = (text: string) => utf8.encode(text).length;

/** Options of {@linkcode startBenchServer}. */
export interface BenchServer {
  /** The server under test. */
  fetch: FetchFn;
  /** Live sessions, for the mem report (optional). */
  sessions?: () => number | Promise<number>;
}

/** Serves `server` plus the admin routes on `--port`, then prints `READY {json}`. */
export async function startBenchServer(server: BenchServer): Promise<void> {
  const args = serverArgs();
  const port = Number(args.port ?? 0);
  let base = "";
  let counter = 0;

  async function createOne(): Promise<string | undefined> {
    const n = ++counter;
    // The Host and Content-Length headers an HTTP client sends (the floors check both).
    const host = new URL(base).host;
    const initBody = initializeBody(`bench-${n}`);
    const init = await server.fetch(
      new Request(base + MCP_PATH, {
        method: "POST",
        headers: { ...INIT_HEADERS, host, "content-length": String(byteLength(initBody)) },
        body: initBody,
      }),
    );
    const sessionId = init.headers.get("mcp-session-id") ?? undefined;
    const text = await init.text();
    if (init.status !== 200 || !text.includes('"protocolVersion"')) {
      throw new Error(`initialize answered ${init.status}: ${text.slice(0, 200)}`);
    }
    const headers: Record<string, string> = {
      ...POST_HEADERS,
      host,
      "content-length": String(byteLength(INITIALIZED_BODY)),
    };
    if (sessionId !== undefined) headers["mcp-session-id"] = sessionId;
    const note = await server.fetch(
      new Request(base + MCP_PATH, { method: "POST", headers, body: INITIALIZED_BODY }),
    );
    await note.text();
    if (note.status !== 202) throw new Error(`notifications/initialized answered ${note.status}`);
    return sessionId;
  }

  async function createSessions(url: URL): Promise<Response> {
    const n = Number(url.searchParams.get("n") ?? "0");
    const wantIds = url.searchParams.get("ids") === "1";
    const ids: string[] = [];
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        const id = await createOne();
        if (wantIds && id !== undefined) ids.push(id);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(64, n) }, worker));
    } catch (error) {
      return json({ error: String(error) }, 500);
    }
    const ms = performance.now() - started;
    if (wantIds) {
      return new Response(ids.join("\n"), {
        headers: { "content-type": "text/plain", "x-ms": String(ms) },
      });
    }
    return json({ created: n, ms });
  }

  async function admin(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/mem") {
      const gc = await forceGc(url.searchParams.get("reduce") === "1");
      const m = memoryUsage();
      return json({
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        sessions: server.sessions ? await server.sessions() : null,
        gc,
      });
    }
    if (url.pathname === "/__bench/sessions" && request.method === "POST") {
      return await createSessions(url);
    }
    if (url.pathname === "/__bench/exit" && request.method === "POST") {
      // A clean exit, so `--cpu-prof` (profiling runs) writes its profile.
      setTimeout(
        () => (g.Deno
          ? (g.Deno as unknown as { exit(code: number): void }).exit(0)
          : g.process!.exit(0)),
        50,
      );
      return json({ exiting: true });
    }
    return json({ error: "unknown admin route" }, 404);
  }

  const fetch = server.fetch;
  const handler = (request: Request): Promise<Response> =>
    request.url.indexOf("/__bench/") === -1 ? fetch(request) : admin(request);

  const running = await serveHandler(handler, port);
  base = running.url;
  printReady(running.port);
}

/**
 * Prints the `READY {json}` line the driver waits for. For servers that
 * listen themselves (fastmcp's own Node HTTP server) instead of through
 * {@linkcode startBenchServer}; those have no admin routes.
 */
export function printReady(port: number): void {
  console.log(
    "READY " +
      JSON.stringify({ port, pid: pid(), runtime: runtimeName(), version: runtimeVersion() }),
  );
}
