/**
 * What a server does when it runs out of file descriptors: each bench server
 * runs under `ulimit -n` (1,024 by default) in a child shell, on Deno, Bun
 * and Node, and gets more loopback connections than the limit allows, in
 * batches, of one kind:
 *
 * - `idle`: connected, nothing sent (pure runtime: no request exists yet);
 * - `slow-headers`: a request line and one header, never finished (no
 *   request reaches the handler);
 * - `listen`: complete 2026-07-28 `subscriptions/listen` POSTs, each answered
 *   with a stream that stays open (tether only: the bare server has no
 *   long-lived answers).
 *
 * `ceiling` (bench/servers/ceiling.ts) is a bare fetch handler on the same
 * runtime server (`Deno.serve`, `Bun.serve`, `@hono/node-server`), `tether`
 * is bench/servers/tether.ts with default options. Once every batch is in
 * (or the process has exited), and again after all the connections are
 * closed, the driver checks that the process is alive and answers a fresh
 * request (a 2026-07-28 `tools/call` of echo, 5 s to answer). It prints one row per runtime, server and kind:
 * how many connections were held open, answered with a refusal (listen
 * beyond `maxListenStreams`) or dropped, whether a fresh request was
 * answered at the limit and after, and whether the process survived (with
 * its exit code or signal and the last line it wrote).
 *
 *   node_modules/node24/bin/node bench/lab/fd_limit.ts [--runtime deno,bun,node]
 *        [--servers ceiling,tether] [--kinds idle,slow-headers,listen]
 *        [--ulimit 1024] [--connections 1200] [--batch 100] [--max-listen-streams N]
 *        [--close-refused]
 *
 * `--max-listen-streams` sets tether's `maxListenStreams` (default 1,024).
 * A refused listen request is answered, and its connection is kept open, as
 * an HTTP/1.1 client's pool keeps it, unless `--close-refused` is given.
 *
 * Loopback only; at most `--connections` sockets per case, each case bounded
 * to about a minute; every server is stopped at the end of its case.
 */

import { spawn } from "node:child_process";
import net from "node:net";
import process from "node:process";
import { join } from "node:path";
import { BINARIES, commandFor, ROOT, type Runtime } from "../lib/proc.ts";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : argv[i + 1];
};
const runtimes = opt("runtime", "deno,bun,node").split(",") as Runtime[];
const servers = opt("servers", "ceiling,tether").split(",");
const kinds = opt("kinds", "idle,slow-headers,listen").split(",");
const limit = Number(opt("ulimit", "1024"));
const total = Number(opt("connections", "1200"));
const batch = Number(opt("batch", "100"));
const maxListenStreams = opt("max-listen-streams", "");
const closeRefused = argv.includes("--close-refused");
for (const runtime of runtimes) if (BINARIES[runtime] === undefined) throw new Error(runtime);

const MODERN = "2026-07-28";
const envelope = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "fd-limit", version: "1.0.0" },
};

/** A raw HTTP/1.1 POST of a 2026-07-28 request. */
function modernPost(port: number, method: string, params: Record<string, unknown>): string {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method,
    params: { ...params, _meta: envelope },
  });
  const name = method === "tools/call" ? `Mcp-Name: ${params.name}\r\n` : "";
  return `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    "Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n" +
    `MCP-Protocol-Version: ${MODERN}\r\nMcp-Method: ${method}\r\n${name}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** How one connection went: held open (a listen stream: answered 200), answered otherwise, or dropped. */
type Outcome = "held" | "refused" | "dropped";

/** One connection. */
interface Held {
  socket: net.Socket;
  /** Settles once the connection is usable for this kind (listen: the answer's head arrived), or not. */
  ready: Promise<Outcome>;
}

/** Opens one connection of `kind`; `ready` tells how it went within 5 s. */
function open(port: number, kind: string): Held {
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  let received = "";
  const ready = new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve("dropped"), 5_000);
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    socket.on("error", () => done("dropped"));
    socket.on("close", () => done("dropped"));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      // A listen stream is acknowledged first; a refused one is answered with an error.
      if (kind === "listen" && received.includes("\r\n\r\n")) {
        if (received.includes("notifications/subscriptions/acknowledged")) done("held");
        else if (received.includes('"error"') || !received.startsWith("HTTP/1.1 200")) {
          done("refused");
        }
      }
    });
    socket.once("connect", () => {
      if (kind === "idle") setTimeout(() => done(socket.destroyed ? "dropped" : "held"), 200);
      else if (kind === "slow-headers") {
        socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
        setTimeout(() => done(socket.destroyed ? "dropped" : "held"), 200);
      } else {
        socket.write(modernPost(port, "subscriptions/listen", {
          notifications: { toolsListChanged: true },
        }));
      }
    });
  });
  return { socket, ready };
}

/** Whether a fresh 2026-07-28 echo call is answered 200 within 5 s. */
async function answers(port: number): Promise<string> {
  const held = net.connect(port, "127.0.0.1");
  let received = "";
  return await new Promise<string>((resolve) => {
    const timer = setTimeout(() => {
      held.destroy();
      resolve("no answer in 5 s");
    }, 5_000);
    const finish = (what: string) => {
      clearTimeout(timer);
      held.destroy();
      resolve(what);
    };
    held.on("error", (error: Error) => finish(`error: ${error.message}`));
    held.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.includes("\r\n\r\n")) finish(received.split("\r\n")[0].slice(9));
    });
    held.on("close", () => finish(received === "" ? "closed without answer" : received));
    held.once(
      "connect",
      () => held.write(modernPost(port, "tools/call", { name: "echo", arguments: { text: "hi" } })),
    );
  });
}

interface Row {
  runtime: Runtime;
  server: string;
  kind: string;
  counts: Record<Outcome, number>;
  atLimit: string;
  after: string;
  survived: string;
}

async function runCase(runtime: Runtime, server: string, kind: string): Promise<Row> {
  const extra = server === "tether" && maxListenStreams !== ""
    ? ["--max-listen-streams", maxListenStreams]
    : [];
  // Port 0: the server picks a free one and prints it on its READY line.
  const command = commandFor(
    runtime,
    join(ROOT, `bench/servers/${server}.ts`),
    ["--port", "0", ...extra],
    false,
  );
  // The limit applies to the server only: the shell lowers it, then becomes the server.
  const child = spawn("bash", ["-c", `ulimit -n ${limit} && exec "$@"`, "bash", ...command], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output = (output + chunk).slice(-4000)));
  child.stderr!.on("data", (chunk: Buffer) => (output = (output + chunk).slice(-4000)));
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = signal ?? `exit ${code}`;
      resolve();
    })
  );
  const started = Date.now();
  while (!output.includes("READY ")) {
    if (exit !== undefined || Date.now() - started > 60_000) {
      throw new Error(`${runtime} ${server}: did not start\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const port = (JSON.parse(/READY (.*)/.exec(output)![1]) as { port: number }).port;
  const held: net.Socket[] = [];
  const counts: Record<Outcome, number> = { held: 0, refused: 0, dropped: 0 };
  try {
    let tried = 0;
    while (tried < total && exit === undefined) {
      const size = Math.min(batch, total - tried);
      tried += size;
      const round = Array.from({ length: size }, () => open(port, kind));
      const outcomes = await Promise.all(round.map((h) => h.ready));
      for (const [i, h] of round.entries()) {
        counts[outcomes[i]]++;
        if (closeRefused && outcomes[i] === "refused") h.socket.destroy();
        else held.push(h.socket);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const atLimit = exit === undefined ? await answers(port) : "-";
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = exit === undefined ? await answers(port) : "-";
    const lines = output.trim().split("\n").filter((l) => !l.startsWith("READY"));
    // The error's own line, not the stack under it.
    const lastLine = lines.find((l) => /error/i.test(l)) ?? lines.pop() ?? "";
    return {
      runtime,
      server,
      kind,
      counts,
      atLimit,
      after,
      survived: exit === undefined ? "yes" : `no (${exit}: ${lastLine.trim().slice(0, 120)})`,
    };
  } finally {
    for (const socket of held) socket.destroy();
    if (exit === undefined) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(killer);
    }
  }
}

console.log(
  `ulimit -n ${limit} on the server; ${total} loopback connections in batches of ${batch}`,
);
console.log(
  "runtime | server | kind | held / refused / dropped | fresh call at the limit | after closing them | process survived",
);
for (const runtime of runtimes) {
  for (const server of servers) {
    for (const kind of kinds) {
      if (kind === "listen" && server !== "tether") continue;
      const row = await runCase(runtime, server, kind);
      console.log(
        [
          row.runtime,
          row.server,
          row.kind,
          `${row.counts.held} / ${row.counts.refused} / ${row.counts.dropped}`,
          row.atLimit,
          row.after,
          row.survived,
        ]
          .join(" | "),
      );
    }
  }
}
