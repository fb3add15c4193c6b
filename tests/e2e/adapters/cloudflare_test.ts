/**
 * @tether/mcp/cloudflare without workerd: routeToDurableObject picks the
 * object by name (one for everything by default) and forwards the Request
 * unchanged; mcpDurableObject builds one handler per object from the
 * Worker's environment. tests/e2e/edge/workerd_test.ts runs both on workerd.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type DurableObjectNamespaceLike,
  mcpDurableObject,
  routeToDurableObject,
} from "../../../src/adapters/cloudflare.ts";

/** A namespace whose objects answer with their own name, recording the requests they got. */
function fakeNamespace() {
  const received: { name: string; request: Request }[] = [];
  const namespace: DurableObjectNamespaceLike<{ name: string }> = {
    idFromName: (name) => ({ name }),
    get: (id) => ({
      fetch: (request) => {
        received.push({ name: id.name, request });
        return Promise.resolve(new Response(id.name));
      },
    }),
  };
  return { namespace, received };
}

describe("routeToDurableObject", () => {
  it("sends every request to the one object named mcp by default, unchanged", async () => {
    const { namespace, received } = fakeNamespace();
    const route = routeToDurableObject(namespace);
    const request = new Request("https://example.com/mcp", { method: "POST", body: "{}" });
    assert.equal(await (await route(request)).text(), "mcp");
    assert.equal(await (await route(new Request("https://example.com/mcp"))).text(), "mcp");
    assert.equal(received.length, 2);
    assert.equal(received[0].request, request);
  });

  it("shards by the name the option gives", async () => {
    const { namespace, received } = fakeNamespace();
    const route = routeToDurableObject(namespace, {
      name: (request) => request.headers.get("x-tenant") ?? "default",
    });
    await route(new Request("https://example.com/mcp", { headers: { "x-tenant": "acme" } }));
    await route(new Request("https://example.com/mcp"));
    assert.deepEqual(received.map((entry) => entry.name), ["acme", "default"]);
  });
});

describe("mcpDurableObject", () => {
  it("builds one handler per object from the environment, and serves every request with it", async () => {
    const built: unknown[] = [];
    const McpObject = mcpDurableObject((env: { GREETING: string }) => {
      built.push(env);
      return (request) => new Response(`${env.GREETING} ${new URL(request.url).pathname}`);
    });
    const object = new McpObject({}, { GREETING: "hello" });
    assert.equal(
      await (await object.fetch(new Request("https://example.com/a"))).text(),
      "hello /a",
    );
    assert.equal(
      await (await object.fetch(new Request("https://example.com/b"))).text(),
      "hello /b",
    );
    assert.deepEqual(built, [{ GREETING: "hello" }]);
  });
});
