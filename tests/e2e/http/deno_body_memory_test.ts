/**
 * Issue 20, item 5: on Deno, every read of a streamed request body used to
 * make Deno allocate a fresh 64 KiB buffer (its default reader's chunk size)
 * however few bytes had arrived, so a body sent in 1-byte chunks cost 64 KiB
 * per byte in garbage, and the server's resident set grew by hundreds of MB
 * for a few 20 KB bodies. A bare `Deno.serve` reading `await
 * request.arrayBuffer()` grows a few MB under the same load.
 *
 * The test runs both servers (tests/e2e/http/deno_body_server.ts) as Deno child
 * processes, whichever runtime runs the test, sends each a warm-up body and
 * then several 20 KB `initialize` bodies as chunked HTTP/1.1 with one byte
 * per chunk over a raw loopback socket, and compares how far each one's
 * resident set rose (its peak, VmHWM) above where it stood after the
 * warm-up. What it asserts is memory, not time: tether's growth stays within
 * three times the bare server's plus 16 MiB (for the per-read promises a
 * JavaScript reader makes and a bare `arrayBuffer()`, read in Rust, does
 * not). Measured on this machine: bare about 1 MiB, tether 3-5 MiB with
 * the BYOB reader and 90-140 MiB with the default reader before it.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import process from "node:process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { initializeMessage, within } from "../../helpers.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DENO = `${ROOT}node_modules/.bin/deno`;
const SERVER = fileURLToPath(new URL("./deno_body_server.ts", import.meta.url));

const MIB = 1024 * 1024;
const BODY_BYTES = 20_000;
const BODIES = 4;
/** What tether may grow beyond three times the bare server's growth. */
const ALLOWANCE_BYTES = 16 * MIB;
/** A first Deno run may type-strip and cache the modules it loads. */
const START_MS = 60_000;
/** One body of 20,000 one-byte chunks (under a second on an idle machine). */
const BODY_MS = 60_000;

interface Memory {
  rss: number;
  peak: number;
}

interface DenoServer {
  port: number;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

/** Starts the fixture in `mode` and resolves once it listens. */
async function startServer(mode: "tether" | "bare"): Promise<DenoServer> {
  const child: ChildProcess = spawn(
    DENO,
    ["run", "--allow-net=127.0.0.1", "--allow-read", SERVER, mode],
    {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      const collect = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const match = /listening (\d+)/.exec(output);
        if (match !== null) resolve(Number(match[1]));
      };
      child.stdout!.on("data", collect);
      child.stderr!.on("data", collect);
      child.once("exit", (code) => reject(new Error(`${mode} server exited (${code}): ${output}`)));
    }),
    START_MS,
    `the ${mode} Deno server to listen`,
  ).catch((error) => {
    child.kill("SIGKILL");
    throw error;
  });
  return {
    port,
    async memory() {
      const response = await within(
        fetch(`http://127.0.0.1:${port}/memory`),
        10_000,
        `${mode} /memory`,
      );
      return await response.json() as Memory;
    },
    async stop() {
      child.stdin!.end();
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      try {
        await within(exited, 10_000, `the ${mode} server to exit`);
      } finally {
        clearTimeout(killer);
      }
    },
  };
}

/** An `initialize` body of exactly `size` bytes (trailing whitespace pads it). */
function initializeBody(size: number): Uint8Array {
  const json = JSON.stringify(initializeMessage());
  return new TextEncoder().encode(json + " ".repeat(size - json.length));
}

/**
 * POSTs `body` to the server as chunked HTTP/1.1, one byte per chunk, each
 * chunk written on its own once the previous one has gone to the socket, and
 * resolves with the whole response once the server closes the connection.
 */
async function postInOneByteChunks(port: number, body: Uint8Array): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("close", () => resolve());
    socket.once("error", reject);
  });
  const write = (data: string | Uint8Array) =>
    new Promise<void>((resolve, reject) =>
      socket.write(data, (error) => (error ? reject(error) : resolve()))
    );
  try {
    await write(
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
        "Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = new Uint8Array([0x31, 0x0d, 0x0a, 0, 0x0d, 0x0a]); // "1\r\n" byte "\r\n"
    for (const byte of body) {
      chunk[3] = byte;
      await write(chunk.slice());
    }
    await write("0\r\n\r\n");
    await closed;
  } finally {
    socket.destroy();
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** How far `server`'s resident set rises above its level after a warm-up, while it reads BODIES bodies. */
async function growthUnderTinyChunks(server: DenoServer, expect: RegExp): Promise<number> {
  const warmUp = await within(
    postInOneByteChunks(server.port, initializeBody(2_000)),
    BODY_MS,
    "the warm-up body",
  );
  assert.match(warmUp, expect);
  const before = await server.memory();
  for (let i = 0; i < BODIES; i++) {
    const answer = await within(
      postInOneByteChunks(server.port, initializeBody(BODY_BYTES)),
      BODY_MS,
      `body ${i + 1} of ${BODIES}`,
    );
    assert.match(answer, expect);
  }
  const after = await server.memory();
  return Math.max(after.peak, after.rss) - before.rss;
}

describe("Deno: a body in 1-byte chunks", () => {
  it("grows the server's memory within 3× a bare Deno.serve's growth + 16 MiB", {
    timeout: 240_000,
  }, async () => {
    const bare = await startServer("bare");
    let bareGrowth: number;
    try {
      bareGrowth = await growthUnderTinyChunks(
        bare,
        new RegExp(`^HTTP/1.1 200[^]*\\r\\n\\r\\n\\d+$`),
      );
    } finally {
      await bare.stop();
    }
    const tether = await startServer("tether");
    let tetherGrowth: number;
    try {
      tetherGrowth = await growthUnderTinyChunks(
        tether,
        /^HTTP\/1.1 200[^]*"serverInfo":\{"name":"deno-body-server"/,
      );
    } finally {
      await tether.stop();
    }
    const bound = 3 * Math.max(bareGrowth, 0) + ALLOWANCE_BYTES;
    const mib = (bytes: number) => (bytes / MIB).toFixed(1);
    assert.ok(
      tetherGrowth <= bound,
      `tether grew ${
        mib(tetherGrowth)
      } MiB reading ${BODIES} bodies of ${BODY_BYTES} 1-byte chunks; ` +
        `bare Deno.serve grew ${mib(bareGrowth)} MiB (bound ${mib(bound)} MiB)`,
    );
  });
});
