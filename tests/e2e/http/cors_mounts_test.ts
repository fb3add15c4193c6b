/**
 * The `cors` option wherever the handler is mounted: over real HTTP on the
 * runtime running the test (Deno.serve, Bun.serve, or Node's adapter, whose
 * lighter Response must take the grant too), behind `path: null`, in a Hono
 * app through `mcpRoute`, and in the conformance fixture through
 * `CORS_ORIGINS` (without it a cross-origin preflight is refused 403, as before).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Hono } from "hono";
import { createMcpHandler, defineTool } from "../../../mod.ts";
import { mcpRoute } from "../../../src/adapters/hono.ts";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { ACCEPT_BOTH, assertHttpError, initializeMessage, makeHandler } from "../../helpers.ts";
import {
  assertGranted,
  assertNotGranted,
  headerList,
  PAGE,
  preflightRequest,
  STRANGER,
} from "../../support/cors_helpers.ts";

const REQUESTED = "content-type, mcp-protocol-version";

/** A POST of `body` as a page at `origin` sends it. */
function pagePost(origin: string, body: unknown, sessionId?: string): RequestInit {
  const headers: Record<string, string> = {
    origin,
    accept: ACCEPT_BOTH,
    "content-type": "application/json",
  };
  if (sessionId !== undefined) {
    headers["mcp-session-id"] = sessionId;
    headers["mcp-protocol-version"] = "2025-11-25";
  }
  return { method: "POST", headers, body: JSON.stringify(body) };
}

describe("cors over real HTTP", () => {
  it("preflight, initialize and a streamed call get the grant; a stranger gets 403 and none", async () => {
    const handler = createMcpHandler({
      name: "cors-http",
      version: "1.0.0",
      observe: {
        onError: () => {},
      },
      streams: {
        responseMode: "sse",
      },
      security: {
        cors: { origins: [PAGE] },
      },
      tools: [defineTool({ name: "hello", description: "says hello", handler: () => "hello" })],
    });
    const server = await serveHandler(handler);
    try {
      const url = `${server.url}/mcp`;
      const preflight = await fetch(url, {
        method: "OPTIONS",
        headers: {
          origin: PAGE,
          "access-control-request-method": "POST",
          "access-control-request-headers": REQUESTED,
        },
      });
      assert.equal(preflight.status, 204);
      assertGranted(preflight, PAGE);
      assert.deepEqual(
        headerList(preflight.headers.get("access-control-allow-headers")),
        headerList(REQUESTED),
      );
      await preflight.body?.cancel();

      const init = await fetch(url, pagePost(PAGE, initializeMessage()));
      assert.equal(init.status, 200);
      assertGranted(init, PAGE);
      const sessionId = init.headers.get("mcp-session-id");
      assert.ok(sessionId);
      await init.text();

      const call = await fetch(
        url,
        pagePost(PAGE, {
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "hello", arguments: {} },
        }, sessionId),
      );
      assert.equal(call.headers.get("content-type"), "text/event-stream");
      assertGranted(call, PAGE);
      assert.match(await call.text(), /"text":"hello"/);

      const stranger = await fetch(url, {
        method: "OPTIONS",
        headers: { origin: STRANGER, "access-control-request-method": "POST" },
      });
      assertNotGranted(stranger);
      await assertHttpError(stranger, 403);
    } finally {
      await server.close();
    }
  });
});

describe("cors behind path: null and in Hono", () => {
  it("path: null: a preflight and a POST at any path get the grant", async () => {
    const handler = makeHandler({
      tools: [],
      http: { path: null },
      security: { cors: { origins: [PAGE] } },
    });
    const url = "http://127.0.0.1:8787/some/mount";
    const preflight = await handler(preflightRequest(PAGE, { url, headers: REQUESTED }));
    assert.equal(preflight.status, 204);
    assertGranted(preflight, PAGE);
    const response = await handler(new Request(url, pagePost(PAGE, initializeMessage())));
    assert.equal(response.status, 200);
    assertGranted(response, PAGE);
    await response.body?.cancel();
    const refused = await handler(preflightRequest(STRANGER, { url }));
    assertNotGranted(refused);
    await assertHttpError(refused, 403);
    await handler.close();
  });

  it("mcpRoute: the app's preflight, POST and refusal go through the handler's CORS", async () => {
    const handler = makeHandler({
      tools: [],
      http: { path: null },
      security: { cors: { origins: [PAGE] } },
    });
    const app = new Hono();
    app.all("/api/mcp", mcpRoute(handler));
    const url = "http://127.0.0.1/api/mcp";
    const preflight = await app.request(preflightRequest(PAGE, { url, headers: REQUESTED }));
    assert.equal(preflight.status, 204);
    assertGranted(preflight, PAGE);
    assert.deepEqual(
      headerList(preflight.headers.get("access-control-allow-headers")),
      headerList(REQUESTED),
    );
    const response = await app.request(url, pagePost(PAGE, initializeMessage()));
    assert.equal(response.status, 200);
    assertGranted(response, PAGE);
    assert.ok(response.headers.get("mcp-session-id"));
    await response.body?.cancel();
    const refused = await app.request(url, pagePost(STRANGER, initializeMessage()));
    assertNotGranted(refused);
    await assertHttpError(refused, 403);
    await handler.close();
  });
});

describe("the fixture's CORS_ORIGINS", () => {
  it("grants the comma-separated origins; any other is refused", async () => {
    const other = "https://second.example";
    const handler = createEverythingHandler({ CORS_ORIGINS: ` ${PAGE} ,${other},` });
    for (const origin of [PAGE, other]) {
      const preflight = await handler(preflightRequest(origin, { headers: REQUESTED }));
      assert.equal(preflight.status, 204, origin);
      assertGranted(preflight, origin);
    }
    const refused = await handler(preflightRequest(STRANGER, { headers: REQUESTED }));
    assertNotGranted(refused);
    await assertHttpError(refused, 403);
    await handler.close();
  });

  it("without CORS_ORIGINS the fixture behaves as before: a cross-origin preflight is 403 with no grant", async () => {
    for (const env of [{}, { CORS_ORIGINS: "" }]) {
      const handler = createEverythingHandler(env);
      const response = await handler(preflightRequest(PAGE, { headers: REQUESTED }));
      assertNotGranted(response);
      assert.equal(response.headers.get("vary"), null);
      await assertHttpError(response, 403);
      await handler.close();
    }
  });
});
