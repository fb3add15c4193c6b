/**
 * Session isolation and owner binding, seen from the official SDK client and
 * raw HTTP.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AuthenticationError, defineTool, type Principal } from "../../../mod.ts";
import { mcpHeaders, rawDelete, rawGet, rawPost, textOf, withServer } from "./helpers.ts";

const increment = defineTool({
  name: "increment",
  description: "Counts calls in this session",
  handler: async (_input, ctx) =>
    String(await ctx.session!.update<number>("count", (n) => (n ?? 0) + 1)),
});

const whoami = defineTool({
  name: "whoami",
  handler: (_input, ctx) => ctx.principal.id,
});

function bearer(request: Request): Principal | undefined {
  const header = request.headers.get("authorization");
  if (header === null) throw new AuthenticationError();
  const match = /^Bearer (\S+)$/.exec(header);
  if (match === null) throw new AuthenticationError();
  return { id: match[1] };
}

describe("sessions", () => {
  it("two sessions of one principal keep separate counters, and a deleted session's successor starts from 1", async () => {
    await withServer({ tools: [increment] }, async (server) => {
      const first = await server.connect();
      const second = await server.connect();
      assert.notEqual(first.sessionId, second.sessionId);

      const firstCounts: string[] = [];
      const secondCounts: string[] = [];
      // Interleave the calls so the sessions run side by side.
      for (let i = 0; i < 5; i++) {
        const calls: Promise<void>[] = [
          first.client.callTool({ name: "increment", arguments: {} }).then((r) =>
            void firstCounts.push(textOf(r))
          ),
        ];
        if (i < 3) {
          calls.push(
            second.client.callTool({ name: "increment", arguments: {} }).then((r) =>
              void secondCounts.push(textOf(r))
            ),
          );
        }
        await Promise.all(calls);
      }
      assert.deepEqual(firstCounts, ["1", "2", "3", "4", "5"]);
      assert.deepEqual(secondCounts, ["1", "2", "3"]);

      await first.transport.terminateSession();
      await first.close();
      const third = await server.connect();
      assert.notEqual(third.sessionId, first.sessionId);
      assert.equal(textOf(await third.client.callTool({ name: "increment", arguments: {} })), "1");
      // The surviving session kept its own count.
      assert.equal(textOf(await second.client.callTool({ name: "increment", arguments: {} })), "4");
    });
  });

  it("a session used with another principal's token answers 403 on POST, GET and DELETE and stays usable by its owner", async () => {
    await withServer({ tools: [whoami], auth: { authenticate: bearer } }, async (server) => {
      const alice = await server.connect({ token: "alice" });
      assert.equal(textOf(await alice.client.callTool({ name: "whoami", arguments: {} })), "alice");
      const mallory = { authorization: "Bearer mallory" };

      const post = await rawPost(server.url, alice.sessionId, {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "whoami", arguments: {} },
      }, { headers: mallory });
      const postBody = await post.text();
      assert.equal(post.status, 403);
      assert.doesNotMatch(postBody, /alice/, "the refusal reveals nothing about the owner");

      const notification = await rawPost(server.url, alice.sessionId, {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 1 },
      }, { headers: mallory });
      await notification.body?.cancel();
      assert.equal(notification.status, 403);

      const get = await rawGet(server.url, alice.sessionId, { headers: mallory });
      await get.body?.cancel();
      assert.equal(get.status, 403);

      assert.equal(await rawDelete(server.url, alice.sessionId, mallory), 403);

      // Without credentials the request is refused before the session is looked at.
      const anonymous = await fetch(server.url, {
        method: "POST",
        headers: mcpHeaders(alice.sessionId),
        body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
      });
      await anonymous.body?.cancel();
      assert.equal(anonymous.status, 401);

      // The owner's session survived all of it.
      assert.equal(textOf(await alice.client.callTool({ name: "whoami", arguments: {} })), "alice");
      assert.equal((await server.handler.stats()).sessions, 1);
    });
  });
});
