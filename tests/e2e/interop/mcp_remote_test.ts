/**
 * What the README promises about mcp-remote 0.15 (the stdio bridge desktop
 * clients launch), checked with its own proxy against the fixture: by
 * default it keeps a session (two per launch: a probe, then the one it
 * uses) and never sends DELETE, so both stay until the idle TTL; with
 * `--protocol auto` it speaks 2026-07-28, where a session-only tool answers
 * a tool error.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { within } from "../../helpers.ts";
import { together } from "../../support/together.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE = `${ROOT}node_modules/node24/bin/node`;
const PROXY = `${ROOT}node_modules/mcp-remote/dist/proxy.js`;

/**
 * How long mcp-remote may take to start and connect: a second and more of CPU (it loads 2 MB of
 * JavaScript), many more on a loaded machine; a request's deadline starts once it has.
 */
const START_MS = 60_000;
/** How long a request through a started bridge may take. */
const ANSWER_MS = 15_000;

/** An mcp-remote proxy on stdio, with line-delimited JSON-RPC in and out. */
interface Bridge {
  child: ChildProcess;
  /** Sends one message; resolves with the response of a request (by id). */
  // deno-lint-ignore no-explicit-any
  request(id: number, method: string, params?: Record<string, unknown>): Promise<any>;
  notify(method: string): void;
  /** The notifications it wrote, in order. */
  // deno-lint-ignore no-explicit-any
  notifications: any[];
}

const children: ChildProcess[] = [];
const configDirs: string[] = [];

after(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  for (const dir of configDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function bridge(url: string, extra: string[] = []): Bridge {
  const configDir = mkdtempSync(join(tmpdir(), "tether-mcp-remote-"));
  configDirs.push(configDir);
  const child = spawn(NODE, [PROXY, url, ...extra], {
    env: { ...process.env, MCP_REMOTE_CONFIG_DIR: configDir },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.push(child);
  // deno-lint-ignore no-explicit-any
  const answers = new Map<number, any>();
  // deno-lint-ignore no-explicit-any
  const notifications: any[] = [];
  const wakes = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...wakes]) waiter();
  };
  /** Resolves when `condition` holds, checked whenever the bridge writes or exits. */
  const when = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!condition()) return;
        wakes.delete(check);
        resolve();
      };
      wakes.add(check);
      check();
    });
  let stderr = "";
  let started = false;
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    // Its own words once it serves stdio, connected to the server.
    started ||= (stderr + chunk).includes("Proxy established successfully");
    stderr = (stderr + chunk).slice(-4_000); // bounded, for failure messages
    wake();
  });
  child.once("exit", wake);
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === "") continue;
      const message = JSON.parse(line);
      if (typeof message.id === "number") answers.set(message.id, message);
      else if (message.id === undefined) notifications.push(message);
    }
    wake();
  });
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  const ready = within(when(() => started || ended()), START_MS, "mcp-remote to start");
  ready.catch(() => {}); // reported by the request that waits for it
  const send = (message: unknown) => child.stdin!.write(`${JSON.stringify(message)}\n`);
  const failing = (error: unknown): never => {
    throw new Error(`${(error as Error).message}; its stderr ends with:\n${stderr}`);
  };
  return {
    child,
    notifications,
    async request(id, method, params) {
      // Sent at once, as a host does; answered once the bridge has started.
      send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
      await ready.catch(failing);
      await within(
        when(() => answers.has(id) || ended()),
        ANSWER_MS,
        `mcp-remote to answer ${method}`,
      ).catch(failing);
      if (!answers.has(id)) failing(new Error(`mcp-remote exited before it answered ${method}`));
      return answers.get(id);
    },
    notify(method) {
      send({ jsonrpc: "2.0", method });
    },
  };
}

/** initialize as a stdio client does, then notifications/initialized. */
async function handshake(remote: Bridge): Promise<void> {
  const answer = await remote.request(1, "initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "stdio-host", version: "1.0.0" },
  });
  assert.ok(answer.result !== undefined, JSON.stringify(answer));
  remote.notify("notifications/initialized");
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** One launch, ended by `ending`: two sessions per launch, and no DELETE. */
async function keepsTwoSessions(ending: "stdin closed" | "SIGTERM"): Promise<void> {
  const handler = createEverythingHandler({});
  const server = await serveHandler(handler, 0);
  try {
    const remote = bridge(`${server.url}/mcp`);
    await handshake(remote);
    const counted = await remote.request(2, "tools/call", { name: "increment", arguments: {} });
    assert.deepEqual(counted.result?.content, [{ type: "text", text: "1" }]);
    assert.equal((await handler.stats()).sessionsCreated, 2, "a probe session, then its own");

    if (ending === "stdin closed") remote.child.stdin!.end();
    else remote.child.kill("SIGTERM");
    const gone = exited(remote.child);
    // A bridge that lingers after its stdin closed is stopped: what matters is what it sent.
    await within(gone, 5_000, "mcp-remote to exit on its own").catch(() => {});
    if (remote.child.exitCode === null) remote.child.kill("SIGKILL");
    await within(gone, 5_000, "mcp-remote to exit");
    const stats = await handler.stats();
    assert.equal(stats.sessionsEnded.delete, 0, "no DELETE");
    assert.equal(stats.sessions, 2, "both sessions wait for the idle TTL");
  } finally {
    await server.close();
  }
}

// Each test has its own server and bridge; they all start at once (see tests/support/together.ts).
const run = together({
  "stdin closed": () => keepsTwoSessions("stdin closed"),
  SIGTERM: () => keepsTwoSessions("SIGTERM"),
  protocolAuto: async () => {
    const handler = createEverythingHandler({});
    const server = await serveHandler(handler, 0);
    try {
      const remote = bridge(`${server.url}/mcp`, ["--protocol", "auto"]);
      await handshake(remote);
      const whoami = await remote.request(2, "tools/call", { name: "whoami", arguments: {} });
      assert.deepEqual(whoami.result?.content, [{ type: "text", text: "anonymous" }]);
      const counted = await remote.request(3, "tools/call", { name: "increment", arguments: {} });
      assert.equal(counted.result?.isError, true, JSON.stringify(counted));
      assert.match(counted.result.content[0].text, /session/);
      assert.equal((await handler.stats()).sessionsCreated, 0, "no session was opened");
      remote.child.kill("SIGTERM");
      await within(exited(remote.child), 5_000, "mcp-remote to exit");
    } finally {
      await server.close();
    }
  },
  legacyStateless: async () => {
    const handler = createEverythingHandler({ LEGACY_STATELESS: "1" });
    const server = await serveHandler(handler, 0);
    try {
      const remote = bridge(`${server.url}/mcp`);
      await handshake(remote);
      const listed = await remote.request(2, "tools/list");
      const names = listed.result?.tools?.map((tool: { name: string }) => tool.name) ?? [];
      assert.ok(names.includes("whoami") && names.includes("increment"), JSON.stringify(listed));
      const simple = await remote.request(3, "tools/call", { name: "test_simple_text" });
      assert.deepEqual(simple.result?.content, [{
        type: "text",
        text: "This is a simple text response for testing.",
      }]);
      const stepped = await remote.request(6, "tools/call", {
        name: "test_tool_with_progress",
        _meta: { progressToken: "steps" },
      });
      assert.equal(stepped.result?.content?.[0]?.text, "Tool with progress executed successfully");
      const progress = remote.notifications.filter((note) =>
        note.method === "notifications/progress" && note.params.progressToken === "steps"
      );
      assert.deepEqual(progress.map((note) => note.params.progress), [0, 50, 100]);
      const read = await remote.request(4, "resources/read", { uri: "test://static-text" });
      assert.equal(
        read.result?.contents?.[0]?.text,
        "This is the content of the static text resource.",
      );
      const counted = await remote.request(5, "tools/call", { name: "increment", arguments: {} });
      assert.equal(counted.result?.isError, true, JSON.stringify(counted));
      assert.match(counted.result.content[0].text, /keeps its counter in a session/);
      const stats = await handler.stats();
      assert.equal(stats.sessionsCreated, 0, "no session was opened");
      remote.child.kill("SIGTERM");
      await within(exited(remote.child), 5_000, "mcp-remote to exit");
    } finally {
      await server.close();
    }
  },
});

describe("mcp-remote 0.15 against the fixture", () => {
  for (const ending of ["stdin closed", "SIGTERM"] as const) {
    it(`keeps two sessions per launch and sends no DELETE (ended by ${ending})`, () =>
      run[ending]());
  }

  it("with --protocol auto it speaks 2026-07-28: no session, and a session-only tool answers a tool error", () =>
    run.protocolAuto());

  it("against the stateless 2025 mode (LEGACY_STATELESS=1): lists, calls with progress and reads without a session; a session-only tool answers its tool error", () =>
    run.legacyStateless());
});
