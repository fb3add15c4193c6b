/**
 * What a downstream client learns of an upstream's failures, through real
 * parts: a hostile upstream (errors_upstream.ts) on loopback, tether as the
 * gateway in front of it, an official SDK client downstream. A transport
 * failure (a 500 with secrets in its body, a redirect, a wrong content type)
 * reads `Upstream "evil" is unavailable` and nothing of the upstream's
 * insides; redirects are not followed (within the origin only when asked);
 * the upstream's own JSON-RPC error and its `isError` result are passed on;
 * an SSE stream that ends without the answer fails its call at once, unless
 * the SDK client can resume it with `Last-Event-ID`.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMcpHandler, type McpHandler, type McpHandlerOptions } from "../../../mod.ts";
import { connect, type McpClientError } from "../../../src/testing/mod.ts";
import {
  createGateway,
  type Gateway,
  httpUpstream,
  type HttpUpstreamOptions,
} from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { connectClient, type SdkConnection, textOf, WAIT_MS } from "../interop/helpers.ts";
import { within } from "../../helpers.ts";
import { type HostileUpstream, SECRETS, startHostileUpstream } from "./errors_upstream.ts";

const UNAVAILABLE = 'Upstream "evil" is unavailable';
const UNANSWERED = 'Upstream "evil" ended the response without an answer';

interface Rig {
  upstream: HostileUpstream;
  gateway: Gateway;
  handler: McpHandler;
  server: RunningServer;
  client: SdkConnection;
  /** Calls tool `evil_<name>` within the test's deadline. */
  call(name: string): Promise<Record<string, unknown>>;
}

/**
 * Runs `body` against a gateway in front of a hostile upstream, its handler
 * built with `handlerOptions`. The call timeout is far past the test's
 * deadline: a call left to wait for it fails the test.
 */
async function withHostile(
  options: Partial<HttpUpstreamOptions>,
  body: (rig: Rig) => Promise<void>,
  handlerOptions: Partial<McpHandlerOptions> = {},
): Promise<void> {
  const upstream = await startHostileUpstream();
  let gateway: Gateway | undefined;
  let server: RunningServer | undefined;
  let client: SdkConnection | undefined;
  try {
    gateway = await createGateway({
      upstreams: [httpUpstream({ name: "evil", url: `${upstream.url}/mcp`, ...options })],
      callTimeoutMs: 600_000,
      graceMs: 1_000,
      onError: () => {},
    });
    const handler = createMcpHandler({
      name: "gateway",
      version: "1.0.0",
      ...gateway.definitions(),
      ...handlerOptions,
    });
    gateway.attach(handler);
    server = await serveHandler(handler, 0);
    client = await connectClient(`${server.url}/mcp`);
    const connected = client;
    await body({
      upstream,
      gateway,
      handler,
      server,
      client,
      call: (name) =>
        within(
          connected.client.callTool({ name: `evil_${name}`, arguments: {} }),
          WAIT_MS,
          `the call of evil_${name}`,
        ),
    });
  } finally {
    await client?.close();
    await server?.close();
    await gateway?.close({ graceMs: 0 });
    await upstream.close();
  }
}

/** Asserts `result` is a tool error reading exactly `text`, with none of the upstream's secrets. */
function assertToolError(result: Record<string, unknown>, text: string): void {
  const seen = JSON.stringify(result);
  assert.equal(result.isError, true, seen);
  assert.equal(textOf(result), text);
  for (const secret of SECRETS) assert.ok(!seen.includes(secret), `${secret} leaked: ${seen}`);
}

describe("gateway: upstream failures downstream", () => {
  it("a 500 with secrets, a redirect out of the origin or a wrong content type reads only 'unavailable'", async () => {
    await withHostile({}, async ({ call }) => {
      assertToolError(await call("boom"), UNAVAILABLE);
      assertToolError(await call("away"), UNAVAILABLE);
      assertToolError(await call("html"), UNAVAILABLE);
      assert.equal(textOf(await call("fine")), "fine", "the upstream session still serves");
    });
  });

  it("a redirect within the upstream's origin is not followed: no body or credentials go there", async () => {
    await withHostile({
      credentials: () => ({ authorization: "Bearer upstream-secret" }),
    }, async ({ call, upstream }) => {
      assertToolError(await call("moved"), UNAVAILABLE);
      assert.ok(!upstream.requests.includes("POST /reroute"), upstream.requests.join(", "));
    });
  });

  it("followSameOriginRedirects follows a 307 within the origin, never one out of it", async () => {
    await withHostile({ followSameOriginRedirects: true }, async ({ call, upstream }) => {
      assert.equal(textOf(await call("moved")), "rerouted");
      assert.ok(upstream.requests.includes("POST /reroute"), upstream.requests.join(", "));
      assertToolError(await call("away"), UNAVAILABLE);
    });
  });

  it("the upstream's own JSON-RPC error is passed on; its isError result is relayed as sent", async () => {
    await withHostile({}, async ({ call }) => {
      const refused = await call("refused");
      assert.equal(refused.isError, true, JSON.stringify(refused));
      assert.equal(textOf(refused), 'Upstream "evil": MCP error -32602: No such region: mars');
      assert.deepEqual(await call("failed"), {
        content: [{ type: "text", text: "the upstream says no" }],
        isError: true,
      });
    });
  });

  it("the upstream's refusal of an undeclared capability (-32021) is passed back as it is", async () => {
    // Answers in one JSON body, whose status is the error's: in the default "auto" mode a call
    // that outlasts 200 ms is answered on an SSE stream, its status 200 sent before the upstream
    // refuses, and under load the upstream session this 2026-07-28 call opens took longer.
    const json: Partial<McpHandlerOptions> = { streams: { responseMode: "json" } };
    await withHostile({}, async ({ client, handler }) => {
      const error = await within(
        client.client.callTool({ name: "evil_undeclared", arguments: {} }).then(
          (result) => assert.fail(`expected -32021, got ${JSON.stringify(result)}`),
          (error: unknown) => error as { code: number; message: string; data: unknown },
        ),
        WAIT_MS,
        "the call of evil_undeclared",
      );
      assert.equal(error.code, -32021, error.message);
      assert.ok(
        error.message.endsWith("This tool needs sampling, which the client did not declare"),
        error.message,
      );
      // Its requiredCapabilities, and nothing else the upstream put in data.
      assert.deepEqual(error.data, { requiredCapabilities: { sampling: {} } });
      // A 2026-07-28 client gets it as that revision answers it: HTTP 400.
      const modern = await connect(handler, { era: "2026" });
      const refused = await modern.callTool("evil_undeclared").then(
        (answer) => assert.fail(`expected -32021, got ${JSON.stringify(answer)}`),
        (error: unknown) => error as McpClientError,
      );
      assert.equal(refused.status, 400);
      assert.equal(refused.error?.code, -32021);
      assert.deepEqual(refused.error?.data, { requiredCapabilities: { sampling: {} } });
      await modern.close();
    }, json);
  });

  it("an SSE stream that ends without the answer fails the call at once, naming only the upstream", async () => {
    await withHostile({}, async ({ call, gateway }) => {
      assertToolError(await call("cut"), UNANSWERED);
      assert.equal(textOf(await call("fine")), "fine", "the session, alive, is kept");
      assert.equal(gateway.stats().upstreamSessionsOpened, 1);
    });
  });

  it("a stream with an event id is resumed with Last-Event-ID; a refused resume fails the call at once", async () => {
    await withHostile({}, async ({ call, upstream }) => {
      assert.equal(textOf(await call("resumable")), "resumed");
      assert.equal(upstream.resumes.length, 1, "resumed once");
      assertToolError(await call("unresumable"), UNANSWERED);
      assert.equal(upstream.resumes.length, 2, "its resume was tried");
    });
  });
});
