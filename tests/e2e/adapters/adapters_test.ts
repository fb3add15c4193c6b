import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Context, Hono } from "hono";
import { attachedPrincipal, createMcpHandler, defineTool } from "../../../mod.ts";
import { serve } from "../../../src/adapters/node.ts";
import { mcpRoute } from "../../../src/adapters/hono.ts";
import { until } from "../../helpers.ts";

const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

function initializeBody(version = "2025-11-25") {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "t", version: "1" } },
  });
}

/** Polls until `check` holds (the shared helper, with this file's 5 s deadline). */
function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  return until(check, "the condition", timeoutMs);
}

describe("node adapter", () => {
  it("serves the handler on a free loopback port and closes cleanly", async () => {
    const handler = createMcpHandler({ name: "n", version: "1", tools: [] });
    const server = serve(handler, { port: 0 });
    const url = await server.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: HEADERS,
      body: initializeBody(),
    });
    assert.equal(response.status, 200);
    assert.ok(response.headers.get("mcp-session-id"));
    await response.body?.cancel();
    await server.close();
    await assert.rejects(
      fetch(`${url}/mcp`, { method: "POST", headers: HEADERS, body: initializeBody() }),
    );
  });

  it("a client disconnect reaches the handler: the SSE connection is released, the tool keeps running", async () => {
    let finished = false;
    let aborted = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handler = createMcpHandler({
      name: "n",
      version: "1",
      streams: {
        heartbeatMs: 0,
      },
      tools: [defineTool({
        name: "ticker",
        description: "emits progress until the test releases it",
        handler: async (_input, ctx) => {
          ctx.signal.addEventListener("abort", () => (aborted = true));
          await ctx.progress(1);
          await released; // held until the test has seen the connection released
          await ctx.progress(2);
          finished = true;
          return "done";
        },
      })],
    });
    const server = serve(handler, { port: 0 });
    const url = await server.url;
    const init = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: HEADERS,
      body: initializeBody(),
    });
    const sessionId = init.headers.get("mcp-session-id")!;
    await init.body?.cancel();

    const controller = new AbortController();
    const call = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { ...HEADERS, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "ticker", _meta: { progressToken: 1 } },
      }),
      signal: controller.signal,
    });
    assert.equal(call.headers.get("content-type"), "text/event-stream");
    const reader = call.body!.getReader();
    await reader.read();
    assert.equal((await handler.stats()).openStreams, 1);
    controller.abort();
    await waitFor(async () => (await handler.stats()).openStreams === 0);
    assert.equal(finished, false, "the connection is released while the tool still runs");
    assert.equal((await handler.stats()).inFlight, 1);
    release();
    await waitFor(() => finished);
    assert.equal(aborted, false, "a disconnect must not cancel the tool");
    await server.close();
  });
});

describe("hono adapter", () => {
  it("mounts at any path behind the app's middleware and receives its principal", async () => {
    const mcp = createMcpHandler({
      name: "h",
      version: "1",
      http: {
        path: null,
      },
      auth: {
        authenticate: attachedPrincipal,
      },
      tools: [
        defineTool({
          name: "whoami",
          description: "caller id",
          handler: (_input, ctx) => ctx.principal.id,
        }),
      ],
    });
    type Env = { Variables: { user: string } };
    const app = new Hono<Env>();
    app.use("/api/*", async (c, next) => {
      const user = c.req.header("x-user");
      if (user === undefined) return c.text("no user", 401);
      c.set("user", user);
      await next();
    });
    app.all("/api/mcp", mcpRoute(mcp, { principal: (c: Context<Env>) => ({ id: c.get("user") }) }));

    const refused = await app.request("http://127.0.0.1/api/mcp", {
      method: "POST",
      headers: HEADERS,
      body: initializeBody(),
    });
    assert.equal(refused.status, 401, "the app's middleware runs first");

    const headers = { ...HEADERS, "x-user": "carol" };
    const init = await app.request("http://127.0.0.1/api/mcp", {
      method: "POST",
      headers,
      body: initializeBody(),
    });
    assert.equal(init.status, 200);
    const sessionId = init.headers.get("mcp-session-id")!;
    const call = await app.request("http://127.0.0.1/api/mcp", {
      method: "POST",
      headers: { ...headers, "mcp-session-id": sessionId },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "whoami" },
      }),
    });
    const body = await call.json();
    assert.equal(body.result.content[0].text, "carol");

    const other = await app.request("http://127.0.0.1/api/mcp", {
      method: "POST",
      headers: { ...HEADERS, "x-user": "mallory", "mcp-session-id": sessionId },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "whoami" },
      }),
    });
    assert.equal(other.status, 403, "the session stays bound to the principal the app established");
    await mcp.close();
  });
});
