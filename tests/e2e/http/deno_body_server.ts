/**
 * A `Deno.serve` child for tests/e2e/http/deno_body_memory_test.ts (Deno only;
 * the test starts it with node_modules/.bin/deno whichever runtime runs the
 * tests). `tether` serves `createMcpHandler` with default options; `bare`
 * answers with the size of `await request.arrayBuffer()`, the yardstick.
 * Both answer `GET /memory` with the process's resident set, now and at its
 * peak (`VmRSS` and `VmHWM` from /proc/self/status; `Deno.memoryUsage().rss`
 * for both where /proc is missing). Prints `listening <port>` once bound on
 * 127.0.0.1, and exits when its stdin closes, so a test that dies leaves
 * nothing behind.
 */

import { createMcpHandler } from "../../../mod.ts";

interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
  readTextFileSync(path: string): string;
  memoryUsage(): { rss: number };
  stdin: { readable: ReadableStream<Uint8Array> };
  exit(code: number): never;
  args: string[];
}
const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;
const mode = deno.args[0];
if (mode !== "tether" && mode !== "bare") throw new Error(`mode ${mode}: tether or bare`);

const tether = createMcpHandler({ name: "deno-body-server", version: "1.0.0" });
const bare = async (request: Request) =>
  new Response(String((await request.arrayBuffer()).byteLength));
const serveBody = mode === "tether" ? tether : bare;

/** Resident set now and at its peak, bytes. */
function memory(): { rss: number; peak: number } {
  try {
    const status = deno.readTextFileSync("/proc/self/status");
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
    return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
  } catch {
    const rss = deno.memoryUsage().rss;
    return { rss, peak: rss };
  }
}

deno.serve({
  port: 0,
  hostname: "127.0.0.1",
  onListen: ({ port }) => console.log(`listening ${port}`),
}, (request) => {
  if (request.method === "GET" && new URL(request.url).pathname === "/memory") {
    return Response.json(memory());
  }
  return serveBody(request);
});

// Exit when the parent closes our stdin (or dies).
void (async () => {
  const reader = deno.stdin.readable.getReader();
  while (!(await reader.read()).done) { /* ignore input */ }
  deno.exit(0);
})();
