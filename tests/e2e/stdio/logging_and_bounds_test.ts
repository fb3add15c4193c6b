/**
 * `@tether/mcp/stdio` as a subprocess on the test's runtime, in raw lines:
 * a tool's `ctx.log` reaches the client as `notifications/message` in a
 * 2025 session (after `logging/setLevel`) and in 2026-07-28 (the request's
 * log level in `_meta`), before the call's result; a line past the 4 MiB
 * bound, written through a real pipe, is answered -32600 (`id: null`) and
 * serving goes on; SIGINT ends the process as SIGTERM does, after a
 * bounded drain.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { within } from "../../helpers.ts";
import {
  envelope,
  EXAMPLE,
  FIXTURE,
  initialize,
  type StdioProcess,
  waitForText,
  withProcess,
} from "./stdio_process.ts";

const IS_DENO = "Deno" in globalThis;

const LOGGED = ["Tool execution started", "Tool processing data", "Tool execution completed"];

/** The data of the `notifications/message` written before the answer to `id`. */
function logsBefore(server: StdioProcess, id: number): unknown[] {
  const answer = server.messages.findIndex((message) => message.id === id && "result" in message);
  assert.ok(answer > 0, "the call was answered");
  return server.messages.slice(0, answer)
    .filter((message) => message.method === "notifications/message")
    .map((message) => (message.params as { data: unknown }).data);
}

describe("stdio logging and bounds", () => {
  it("ctx.log reaches the client in a 2025 session, after logging/setLevel", async () => {
    await withProcess(EXAMPLE, async (server) => {
      await initialize(server);
      const set = await server.request(2, "logging/setLevel", { level: "info" });
      assert.deepEqual(set.result, {});
      const answer = await server.request(3, "tools/call", {
        name: "test_tool_with_logging",
        arguments: {},
      });
      assert.ok(!("error" in answer), JSON.stringify(answer));
      assert.deepEqual(logsBefore(server, 3), LOGGED);
      assert.deepEqual(server.strays, []);
    });
  });

  it("ctx.log reaches the client in 2026-07-28, at the request's log level", async () => {
    await withProcess(EXAMPLE, async (server) => {
      const answer = await server.request(1, "tools/call", {
        name: "test_tool_with_logging",
        arguments: {},
        _meta: { ...envelope(), "io.modelcontextprotocol/logLevel": "info" },
      });
      assert.ok(!("error" in answer), JSON.stringify(answer));
      assert.deepEqual(logsBefore(server, 1), LOGGED);
      assert.deepEqual(server.strays, []);
    });
  });

  it("a line past 4 MiB through the pipe gets -32600 (id null); the next is served", async () => {
    await withProcess(EXAMPLE, async (server) => {
      await initialize(server);
      const long = JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "test_simple_text", arguments: { text: "y".repeat(4 * 1024 * 1024) } },
      });
      server.send(long);
      const refused = await server.waitFor((m) => m.id === null, "the over-long line refused");
      const error = refused.error as { code: number; message: string };
      assert.equal(error.code, -32600);
      assert.match(error.message, /longer than 4194304 bytes/);
      const pong = await server.request(3, "ping");
      assert.deepEqual(pong.result, {});
      assert.ok(!server.messages.some((message) => message.id === 2), "the long call never ran");
    });
  });

  it("exits 0 on SIGINT, after a bounded drain that aborts the call still running", async () => {
    await withProcess(FIXTURE, async (server) => {
      await initialize(server);
      server.send({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "wait", arguments: {} },
      });
      await waitForText(server.stderr, "wait started");
      server.child.kill("SIGINT");
      const exit = await within(server.exited, 60_000, "the process exits");
      // Deno's child_process reports the signal it sent even when the child handled it.
      assert.ok(exit === 0 || (IS_DENO && exit === "SIGINT"), `exit ${exit}`);
      assert.match(server.stderr(), /wait aborted/, "the drain aborted the call");
      assert.match(server.stderr(), /stdio served/, "serveStdio returned");
    }, { STDIO_DRAIN_MS: "200" });
  });
});
