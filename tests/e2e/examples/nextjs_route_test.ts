/**
 * examples/nextjs/app/mcp/route.ts driven as Next.js drives a route module:
 * its `POST`, `GET` and `DELETE` exports are called with a Request and a
 * context argument (`{ params }`), in process, no Next.js installed. A 2025
 * session from initialize to DELETE, a GET stream, and a stateless
 * 2026-07-28 call.
 */

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as route from "../../../examples/nextjs/app/mcp/route.ts";
import { bodilessRequest, initializeMessage, postRequest, readAnswer } from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";

/** A route export as Next.js calls it: the Request, then the route's context. */
type RouteExport = (request: Request, context: { params: Promise<object> }) => Promise<Response>;
const context = { params: Promise.resolve({}) };
const POST = route.POST as unknown as RouteExport;
const GET = route.GET as unknown as RouteExport;
const DELETE = route.DELETE as unknown as RouteExport;

describe("a Next.js route handler (export const POST = handler)", () => {
  // The three exports are one handler: closing it ends the session sweep and what is left open.
  after(() => route.POST.close());

  it("serves a 2025 session through POST, GET and DELETE", async () => {
    const initialized = await POST(postRequest(initializeMessage()), context);
    assert.equal(initialized.status, 200);
    const sessionId = initialized.headers.get("mcp-session-id");
    assert.ok(sessionId !== null);
    const { message } = await readAnswer(initialized);
    assert.equal(message.result.serverInfo.name, "nextjs-example");
    const session = { sessionId, protocolVersion: message.result.protocolVersion };

    const ack = await POST(
      postRequest({ jsonrpc: "2.0", method: "notifications/initialized" }, session),
      context,
    );
    assert.equal(ack.status, 202);
    const called = await readAnswer(
      await POST(
        postRequest({
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "add", arguments: { a: 2, b: 3 } },
        }, session),
        context,
      ),
    );
    assert.deepEqual(called.message.result.content, [{ type: "text", text: "5" }]);

    const stream = await GET(bodilessRequest("GET", session), context);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
    await stream.body?.cancel();

    const ended = await DELETE(bodilessRequest("DELETE", session), context);
    assert.equal(ended.status, 204);
    const after = await POST(
      postRequest({ jsonrpc: "2.0", id: 3, method: "ping" }, session),
      context,
    );
    assert.equal(after.status, 404);
    await after.body?.cancel();
  });

  it("serves a stateless 2026-07-28 call through POST", async () => {
    const answer = await readAnswer(
      await POST(modernRequest("tools/call", { name: "add", arguments: { a: 1, b: 1 } }), context),
    );
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.message.result.content, [{ type: "text", text: "2" }]);
  });

  it("exports the route segment config Next.js reads", () => {
    assert.equal(route.dynamic, "force-dynamic");
    assert.equal(route.runtime, "nodejs");
  });
});
