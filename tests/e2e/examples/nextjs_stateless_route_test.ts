/**
 * examples/nextjs_stateless/app/mcp/route.ts driven as Next.js drives a
 * route module: a 2025 client served without a session (initialize without
 * an id, calls without one or with a stale one), GET and DELETE answering 405.
 */

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as route from "../../../examples/nextjs_stateless/app/mcp/route.ts";
import { bodilessRequest, initializeMessage, postRequest, readAnswer } from "../../helpers.ts";

/** A route export as Next.js calls it: the Request, then the route's context. */
type RouteExport = (request: Request, context: { params: Promise<object> }) => Promise<Response>;
const context = { params: Promise.resolve({}) };
const POST = route.POST as unknown as RouteExport;
const GET = route.GET as unknown as RouteExport;
const DELETE = route.DELETE as unknown as RouteExport;

describe('a stateless Next.js route (eras: { legacy: "stateless" })', () => {
  after(() => route.POST.close());

  it("serves a 2025 client without a session; GET and DELETE answer 405", async () => {
    const initialized = await POST(postRequest(initializeMessage()), context);
    assert.equal(initialized.status, 200);
    assert.equal(initialized.headers.get("mcp-session-id"), null);
    const { message } = await readAnswer(initialized);
    assert.equal(message.result.serverInfo.name, "nextjs-stateless-example");
    for (const sessionId of [undefined, "from-another-instance"]) {
      const called = await readAnswer(
        await POST(
          postRequest({
            jsonrpc: "2.0",
            id: 2,
            method: "tools/call",
            params: { name: "add", arguments: { a: 2, b: 3 }, _meta: { progressToken: 1 } },
          }, { sessionId, protocolVersion: "2025-11-25" }),
          context,
        ),
      );
      assert.equal(called.status, 200);
      assert.deepEqual(called.message.result.content, [{ type: "text", text: "5" }]);
      assert.equal(called.messages[0].method, "notifications/progress");
    }
    for (const [method, send] of [["GET", GET], ["DELETE", DELETE]] as const) {
      const refused = await send(
        bodilessRequest(method, { protocolVersion: "2025-11-25" }),
        context,
      );
      assert.equal(refused.status, 405, method);
      await refused.body?.cancel();
    }
  });
});
