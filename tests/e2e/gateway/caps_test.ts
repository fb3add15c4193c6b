/**
 * The gateway's caps answered at the door with no wiring beyond the
 * documented `authenticate: gateway.authenticate(yours)`: an SDK upstream,
 * official SDK clients downstream. A new session past the principal's share
 * is `429`, past the process cap `503`, both with `Retry-After` and a
 * JSON-RPC error body; sessions already open keep being served; a
 * 2026-07-28 principal that holds its upstream sessions is not refused.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "../../../src/testing/mod.ts";
import { PROTOCOL_VERSION, rawPost, textOf, waitFor } from "../interop/helpers.ts";
import { startGateway } from "./fixture.ts";

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: "raw", version: "1.0.0" },
  },
};

/** The refusal's status, Retry-After and JSON-RPC error. */
async function refusalOf(response: Response) {
  const body = await response.json() as {
    jsonrpc: string;
    id: unknown;
    error: { code: number; message: string };
  };
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body };
}

describe("gateway caps at the door", () => {
  it("a new session past the principal's share is 429, past the process cap 503, with Retry-After", async () => {
    const fixture = await startGateway({ maxSessionsPerPrincipal: 1, maxSessions: 2 });
    try {
      const alice = await fixture.connect("alice");
      const first = textOf(await alice.client.callTool({ name: "up_whoami", arguments: {} }));

      const refused = await refusalOf(
        await rawPost(fixture.url, undefined, initialize, {
          headers: { authorization: "Bearer down-alice" },
        }),
      );
      assert.equal(refused.status, 429);
      assert.equal(refused.retryAfter, "5");
      assert.equal(refused.body.jsonrpc, "2.0");
      assert.equal(refused.body.error.code, -32004);
      assert.match(
        refused.body.error.message,
        /too many upstream sessions for this caller \(limit 1\)/,
      );
      await assert.rejects(
        fixture.connect("alice"),
        /too many upstream sessions/,
        "the SDK client is refused",
      );

      assert.equal(
        textOf(await alice.client.callTool({ name: "up_whoami", arguments: {} })),
        first,
        "her open session is still served, by the same upstream session",
      );

      const bob = await fixture.connect("bob");
      textOf(await bob.client.callTool({ name: "up_whoami", arguments: {} }));
      const full = await refusalOf(
        await rawPost(fixture.url, undefined, initialize, {
          headers: { authorization: "Bearer down-carol" },
        }),
      );
      assert.equal(full.status, 503);
      assert.equal(full.retryAfter, "5");
      assert.match(full.body.error.message, /holds all the upstream sessions it may \(limit 2\)/);

      await alice.transport.terminateSession();
      await alice.close();
      // Alice's place is given back once her upstream session has closed.
      let status = 0;
      await waitFor(async () => {
        const response = await rawPost(fixture.url, undefined, initialize, {
          headers: { authorization: "Bearer down-carol" },
        });
        await response.body?.cancel();
        status = response.status;
        return status === 200;
      }, "carol to be admitted (still refused: the last answer's status)");
      assert.equal(status, 200);
    } finally {
      await fixture.close();
    }
  });

  it("a 2026-07-28 principal holding its upstream sessions is served; others are refused", async () => {
    const fixture = await startGateway({ maxSessionsPerPrincipal: 1, maxSessions: 1 });
    try {
      const alice = await connect(fixture.handler, {
        era: "2026",
        headers: { authorization: "Bearer down-alice" },
      });
      const first = (await alice.callTool("up_whoami")).result;
      assert.equal((await alice.callTool("up_whoami")).result.isError, undefined);
      assert.deepEqual(
        (await alice.callTool("up_whoami")).result,
        first,
        "still her one upstream session",
      );
      // A 2025 session of hers would open a second: refused at the door.
      const refused = await rawPost(fixture.url, undefined, initialize, {
        headers: { authorization: "Bearer down-alice" },
      });
      await refused.body?.cancel();
      assert.equal(refused.status, 503, "the process holds its one upstream session");
      // Another principal's 2026-07-28 request would open one: refused at the door too.
      const bob = await connect(fixture.handler, {
        era: "2026",
        headers: { authorization: "Bearer down-bob" },
      }).then((client) => client.callTool("up_whoami")).then(
        () => "served",
        (error: Error) => error.message,
      );
      assert.match(bob, /holds all the upstream sessions it may/);
      await alice.close();
    } finally {
      await fixture.close();
    }
  });
});
