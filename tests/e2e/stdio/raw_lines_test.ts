/**
 * `@tether/mcp/stdio` spoken to in raw lines, as a subprocess on the test's
 * runtime: stdout carries only JSON-RPC while tools log to the console; a
 * malformed line gets -32700 and serving goes on; a 2026-07-28 request with
 * its envelope is answered (headers and all: Mcp-Param-* from the tool's
 * schema), an `input_required` round too; `notifications/cancelled` reaches
 * the tool's signal in both eras; the principal option reaches `ctx`; and
 * the process exits 0 when stdin closes or on SIGTERM.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { within } from "../../helpers.ts";
import { together } from "../../support/together.ts";
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

/** Opens a 2025 session and starts the fixture's `wait` tool (request id 2) in it. */
async function startWaiting(server: StdioProcess) {
  await initialize(server);
  server.send({
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: { name: "wait", arguments: {} },
  });
  await waitForText(server.stderr, "wait started");
}

function textOf(answer: Record<string, unknown>): string {
  const result = answer.result as { content?: { text: string }[] } | undefined;
  return result?.content?.[0]?.text ?? JSON.stringify(answer);
}

// Each test has its own process; they all start at once (see tests/support/together.ts).
const run = together({
  quietStdout: () =>
    withProcess(FIXTURE, async (server) => {
      await initialize(server);
      const answer = await server.request(2, "tools/call", { name: "chatty", arguments: {} });
      assert.equal(textOf(answer), "chatted");
      await waitForText(server.stderr, "noise");
      server.child.stdin!.end();
      assert.equal(await within(server.exited, 20_000, "the process exits"), 0);
      assert.deepEqual(server.strays, [], "every stdout line is a JSON-RPC message");
      assert.match(server.stderr(), /log noise/);
      assert.match(server.stderr(), /info noise/);
    }),
  malformedLine: () =>
    withProcess(EXAMPLE, async (server) => {
      server.send("{not json");
      const refused = await server.waitFor((m) => m.id === null, "the parse error");
      assert.equal((refused.error as { code: number }).code, -32700);
      server.send('{"jsonrpc":"2.0","id":7}');
      const invalid = await server.waitFor((m) => m.id === 7, "the invalid request answered");
      assert.equal((invalid.error as { code: number }).code, -32600);
      await initialize(server, 8);
      const pong = await server.request(2, "ping");
      assert.deepEqual(pong.result, {});
    }),
  modernRequests: () =>
    withProcess(EXAMPLE, async (server) => {
      const discovered = await server.request(1, "server/discover", { _meta: envelope() });
      const versions = (discovered.result as { supportedVersions: string[] }).supportedVersions;
      assert.ok(versions.includes("2026-07-28"));
      const echoed = await server.request(2, "tools/call", {
        name: "test_header_param",
        arguments: { value: "héllo wörld" },
        _meta: envelope(),
      });
      assert.equal(textOf(echoed), "echo: héllo wörld");
      const params = { name: "test_streaming_elicitation", arguments: {} };
      const asked = await server.request(3, "tools/call", {
        ...params,
        _meta: envelope({ elicitation: {} }),
      });
      const round = asked.result as {
        resultType: string;
        inputRequests: Record<string, { method: string }>;
        requestState?: string;
      };
      assert.equal(round.resultType, "input_required");
      assert.equal(round.inputRequests.user_name.method, "elicitation/create");
      const answered = await server.request(4, "tools/call", {
        ...params,
        inputResponses: { user_name: { action: "accept", content: { name: "Ada" } } },
        ...(round.requestState === undefined ? {} : { requestState: round.requestState }),
        _meta: envelope({ elicitation: {} }),
      });
      assert.equal(textOf(answered), "Hello, Ada");
      assert.deepEqual(server.strays, []);
    }),
  cancelledLegacy: () =>
    withProcess(FIXTURE, async (server) => {
      await startWaiting(server);
      server.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 2 } });
      await waitForText(server.stderr, "wait aborted");
      const pong = await server.request(3, "ping");
      assert.deepEqual(pong.result, {});
      server.child.stdin!.end();
      assert.equal(await within(server.exited, 20_000, "the process exits"), 0);
      assert.deepEqual(server.messages.filter((message) => message.id === 2), [], "no response");
    }),
  cancelledModern: async () => {
    for (const progress of [false, true]) {
      await withProcess(FIXTURE, async (server) => {
        const meta = progress ? { ...envelope(), progressToken: "p-1" } : envelope();
        server.send({
          jsonrpc: "2.0",
          id: "call-1",
          method: "tools/call",
          params: { name: "wait", arguments: {}, _meta: meta },
        });
        await waitForText(server.stderr, "wait started");
        server.send({
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: "call-1" },
        });
        await waitForText(server.stderr, "wait aborted");
        const who = await server.request(2, "tools/call", {
          name: "whoami",
          arguments: {},
          _meta: envelope(),
        });
        assert.equal(textOf(who), "anonymous");
        // Once stdin closes the process ends after every answer in flight: all it wrote is in.
        server.child.stdin!.end();
        assert.equal(await within(server.exited, 20_000, "the process exits"), 0);
        const late = server.messages.filter((message) => message.id === "call-1");
        assert.deepEqual(late, [], `no response for the cancelled call (progress: ${progress})`);
      });
    }
  },
  principal: () =>
    withProcess(FIXTURE, async (server) => {
      const modern = await server.request(1, "tools/call", {
        name: "whoami",
        arguments: {},
        _meta: envelope(),
      });
      assert.equal(textOf(modern), "desktop-user");
      await initialize(server, 3);
      const legacy = await server.request(2, "tools/call", { name: "whoami", arguments: {} });
      assert.equal(textOf(legacy), "desktop-user");
    }, { STDIO_PRINCIPAL: "desktop-user" }),
  sigterm: () =>
    withProcess(FIXTURE, async (server) => {
      await startWaiting(server);
      server.child.kill("SIGTERM");
      const exit = await within(server.exited, 20_000, "the process exits");
      // Deno's child_process reports the signal it sent, even when the child handled it and
      // exited 0; the child's last words on stderr show that it did.
      assert.ok(exit === 0 || (IS_DENO && exit === "SIGTERM"), `exit ${exit}`);
      assert.match(server.stderr(), /wait aborted/, "the drain aborted the call");
      assert.match(server.stderr(), /stdio served/, "serveStdio returned");
    }, { STDIO_DRAIN_MS: "200" }),
  hostileClaim: () =>
    withProcess(EXAMPLE, async (server) => {
      // String() of this claim threw in the binding and ended the process (until 2026-11-29).
      const refused = await server.request(1, "tools/list", {
        _meta: { ...envelope(), "io.modelcontextprotocol/protocolVersion": { toString: 1 } },
      });
      assert.equal((refused.error as { code: number }).code, -32602, JSON.stringify(refused));
      const answered = await server.request(2, "tools/call", {
        name: "test_simple_text",
        arguments: {},
        _meta: envelope(),
      });
      assert.equal(textOf(answered), "This is a simple text response for testing.");
      assert.deepEqual(server.strays, []);
    }),
  stdinCloses: () =>
    withProcess(EXAMPLE, async (server) => {
      await initialize(server);
      await server.request(2, "tools/list");
      server.child.stdin!.end();
      assert.equal(await within(server.exited, 20_000, "the process exits"), 0);
    }),
});

describe("stdio in raw lines", () => {
  it("stdout carries only JSON-RPC while a tool logs to the console", () => run.quietStdout());

  it("a malformed line gets -32700 (id null) and the process lives on", () => run.malformedLine());

  it("serves 2026-07-28 requests: the envelope, Mcp-Param-*, an input_required round", () =>
    run.modernRequests());

  it("notifications/cancelled reaches the tool's signal in a 2025 session; no response follows", () =>
    run.cancelledLegacy());

  it("notifications/cancelled reaches the tool's signal in 2026-07-28; no response follows", () =>
    run.cancelledModern());

  it("the principal option reaches ctx.principal in both eras", () => run.principal());

  it("exits 0 on SIGTERM, after a bounded drain that aborts the call still running", () =>
    run.sigterm());

  it("a 2026-07-28 claim of {toString: 1} gets -32602 for its id; the next call is served", () =>
    run.hostileClaim());

  it("exits 0 when stdin closes", () => run.stdinCloses());
});
