/**
 * examples/gateway.ts end to end (seed 004's counter test) on the gateway
 * API: two downstream sessions of one principal each get their own upstream
 * session (5 and 3); after a downstream DELETE its upstream session is
 * closed, and a new downstream session starts again at 1. With
 * UPSTREAM_STDIO=1 the upstream is examples/everything.ts's server run as a
 * stdio subprocess. Real HTTP on the test's runtime.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  authFromEnv,
  createGatewayHandler,
  createUpstreamHandler,
  namespaceFromEnv,
  upstreamFromEnv,
} from "../../../examples/gateway.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { connectClient, waitFor } from "../interop/helpers.ts";
import { modernRpc } from "../../support/modern_helpers.ts";
import type { McpHandler } from "../../../mod.ts";

/** The tool names `handler` lists to a caller sending `authorization` (none: no header). */
async function toolsSeenBy(handler: McpHandler, authorization?: string): Promise<string[]> {
  const answer = await modernRpc(handler, "tools/list", {}, {
    headers: authorization === undefined ? {} : { authorization },
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.message));
  const tools: { name: string }[] = answer.message.result.tools;
  return tools.map((tool) => tool.name);
}

describe("examples/gateway.ts", () => {
  it("GATEWAY_NAMESPACE=none lists the upstream's entries under their own names", async () => {
    assert.equal(namespaceFromEnv({}), undefined, "the default namespace");
    assert.throws(() => namespaceFromEnv({ GATEWAY_NAMESPACE: "dotted" }), /expected "none"/);
    const upstream = await serveHandler(createUpstreamHandler(), 0);
    const { handler, gateway } = await createGatewayHandler(
      upstreamFromEnv({ UPSTREAM_URL: `${upstream.url}/mcp` }),
      {},
      { namespace: namespaceFromEnv({ GATEWAY_NAMESPACE: "none" }) },
    );
    const served = await serveHandler(handler, 0);
    try {
      const connection = await connectClient(`${served.url}/mcp`);
      const tools = (await connection.client.listTools()).tools.map((tool) => tool.name);
      assert.deepEqual(tools, ["increment"]);
      const result = await connection.client.callTool({ name: "increment", arguments: {} });
      assert.deepEqual(result.content, [{ type: "text", text: "1" }]);
      await connection.close();
    } finally {
      await served.close();
      await gateway.close({ graceMs: 0 });
      await upstream.close();
    }
  });

  it("GATEWAY_AUTH=bearer makes VIEW's principals apply; without it every caller is anonymous", async () => {
    assert.throws(() => authFromEnv({ GATEWAY_AUTH: "basic" }), /expected "bearer"/);
    const upstream = await serveHandler(createUpstreamHandler(), 0);
    // alice sees nothing of the upstream; everyone else sees it whole.
    const view = { principals: { alice: { upstreams: { upstream: { include: [] } } } } };
    const upstreamUrl = { UPSTREAM_URL: `${upstream.url}/mcp` };
    const plain = await createGatewayHandler(upstreamFromEnv(upstreamUrl), authFromEnv({}), {
      view,
    });
    const bearer = await createGatewayHandler(
      upstreamFromEnv(upstreamUrl),
      authFromEnv({ GATEWAY_AUTH: "bearer" }),
      { view },
    );
    try {
      assert.deepEqual(await toolsSeenBy(plain.handler, "Bearer alice"), ["upstream_increment"]);
      assert.deepEqual(await toolsSeenBy(bearer.handler, "Bearer alice"), []);
      assert.deepEqual(await toolsSeenBy(bearer.handler, "Bearer bob"), ["upstream_increment"]);
      assert.deepEqual(await toolsSeenBy(bearer.handler), ["upstream_increment"], "anonymous");
      const other = await bearer.handler(
        new Request("http://127.0.0.1:8787/mcp", {
          method: "POST",
          headers: {
            authorization: "Basic YTpi",
            accept: "application/json, text/event-stream",
            "content-type": "application/json",
          },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
        }),
      );
      assert.equal(other.status, 401);
      await other.body?.cancel();
    } finally {
      for (const { handler, gateway } of [plain, bearer]) {
        await handler.close();
        await gateway.close({ graceMs: 0 });
      }
      await upstream.close();
    }
  });

  it("one upstream session per downstream session: 5 and 3, then DELETE closes it and a new one starts at 1", async () => {
    const upstreamHandler = createUpstreamHandler();
    const upstream = await serveHandler(upstreamHandler, 0);
    const { handler, gateway } = await createGatewayHandler(
      upstreamFromEnv({ UPSTREAM_URL: `${upstream.url}/mcp` }),
    );
    const served = await serveHandler(handler, 0);
    const url = `${served.url}/mcp`;
    try {
      const a = await connectClient(url);
      const b = await connectClient(url);
      const count = async (
        connection: Awaited<ReturnType<typeof connectClient>>,
        times: number,
      ) => {
        let last = "";
        for (let i = 0; i < times; i++) {
          const result = await connection.client.callTool({
            name: "upstream_increment",
            arguments: {},
          });
          last = (result.content as { text: string }[])[0].text;
        }
        return last;
      };
      assert.equal(await count(a, 5), "5");
      assert.equal(await count(b, 3), "3");
      assert.equal(
        (await upstreamHandler.stats()).sessions,
        3,
        "one upstream session per downstream session, and the gateway's discovery session",
      );

      await a.transport.terminateSession();
      await a.close();
      await waitFor(
        async () => (await upstreamHandler.stats()).sessions === 2,
        "the upstream session of A to be closed",
      );

      const c = await connectClient(url);
      assert.equal(
        await count(c, 1),
        "1",
        "a new downstream session starts a new upstream session",
      );
      assert.equal(await count(b, 1), "4", "B's upstream session is untouched");
      await b.close();
      await c.close();
    } finally {
      await served.close();
      await gateway.close();
      await upstream.close();
    }
  });

  it("UPSTREAM_STDIO=1: examples/everything.ts's server as a stdio subprocess", async () => {
    const { handler, gateway } = await createGatewayHandler(
      upstreamFromEnv({ UPSTREAM_STDIO: "1" }),
    );
    const served = await serveHandler(handler, 0);
    try {
      const a = await connectClient(`${served.url}/mcp`);
      const tools = (await a.client.listTools()).tools.map((tool) => tool.name);
      assert.ok(tools.includes("everything_test_simple_text"), String(tools.slice(0, 5)));
      const result = await a.client.callTool({
        name: "everything_test_simple_text",
        arguments: {},
      });
      assert.equal(result.isError, undefined, JSON.stringify(result));
      await a.close();
    } finally {
      await served.close();
      await gateway.close();
    }
  });
});
