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
import { afterEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { until, within } from "../../helpers.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE = `${ROOT}node_modules/node24/bin/node`;
const PROXY = `${ROOT}node_modules/mcp-remote/dist/proxy.js`;

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

afterEach(() => {
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
  child.stderr!.resume();
  // deno-lint-ignore no-explicit-any
  const answers = new Map<number, any>();
  // deno-lint-ignore no-explicit-any
  const notifications: any[] = [];
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
  });
  const send = (message: unknown) => child.stdin!.write(`${JSON.stringify(message)}\n`);
  return {
    child,
    notifications,
    async request(id, method, params) {
      send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
      await until(() => answers.has(id), `mcp-remote to answer ${method}`, 15_000);
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

describe("mcp-remote 0.15 against the fixture", () => {
  for (const ending of ["stdin closed", "SIGTERM"] as const) {
    it(`keeps two sessions per launch and sends no DELETE (ended by ${ending})`, async () => {
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
    });
  }

  it("with --protocol auto it speaks 2026-07-28: no session, and a session-only tool answers a tool error", async () => {
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
  });

  it("against the stateless 2025 mode (LEGACY_STATELESS=1): lists, calls with progress and reads without a session; a session-only tool answers its tool error", async () => {
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
  });
});
