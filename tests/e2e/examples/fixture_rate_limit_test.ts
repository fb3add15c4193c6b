/**
 * The conformance fixture's rate limit keys on something a client cannot
 * choose: the peer address its server saw (examples/serve.ts records it on
 * every runtime), not `X-Forwarded-For`, which any client sets. Over real
 * HTTP, so the runtime's own server supplies the address.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { peerAddress, serveHandler } from "../../../examples/serve.ts";
import { initializeMessage } from "../../helpers.ts";
import { mcpHeaders } from "../interop/helpers.ts";

describe("the fixture's rate limit", () => {
  it("a client that changes X-Forwarded-For on every request still shares its peer's bucket", async () => {
    const handler = createEverythingHandler({ RATE_LIMIT_PER_MINUTE: "1" });
    const server = await serveHandler(handler, 0, "127.0.0.1", { peerAddresses: true });
    try {
      const statuses: number[] = [];
      for (const forwardedFor of ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) {
        const response = await fetch(`${server.url}/mcp`, {
          method: "POST",
          headers: mcpHeaders(undefined, { "x-forwarded-for": forwardedFor }),
          body: JSON.stringify(initializeMessage()),
        });
        await response.body?.cancel();
        statuses.push(response.status);
      }
      assert.equal(statuses[0], 200, "the first request is served");
      assert.deepEqual(statuses.slice(1), [429, 429], "a made-up X-Forwarded-For buys nothing");
    } finally {
      await server.close();
    }
  });

  it("the server records the peer address of each request it serves, when asked to", async () => {
    let seen: string | undefined;
    const server = await serveHandler(
      (request) => {
        seen = peerAddress(request);
        return Promise.resolve(new Response("ok"));
      },
      0,
      "127.0.0.1",
      { peerAddresses: true },
    );
    try {
      await (await fetch(`${server.url}/`)).text();
      assert.equal(seen, "127.0.0.1");
    } finally {
      await server.close();
    }
  });

  it("without peerAddresses nothing is recorded (no cost per request)", async () => {
    let seen: string | undefined = "not asked";
    const server = await serveHandler((request) => {
      seen = peerAddress(request);
      return Promise.resolve(new Response("ok"));
    }, 0);
    try {
      await (await fetch(`${server.url}/`)).text();
      assert.equal(seen, undefined);
    } finally {
      await server.close();
    }
  });
});
