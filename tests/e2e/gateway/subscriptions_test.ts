/**
 * Resource subscriptions and completions relayed (an SDK upstream, official
 * SDK clients downstream): `resources/subscribe` of an upstream resource or
 * template URI reaches the caller's own upstream session, the upstream's
 * `notifications/resources/updated` reaches only the downstream session that
 * subscribed, `unsubscribe` reaches the upstream too; `completion/complete`
 * of an upstream prompt's argument and template's variable is answered by
 * the upstream. And the core seam under it: a resource's `subscribe` hook
 * is told with the session's ctx, and its rejection undoes the subscription.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import { initialize, makeHandler, rpc } from "../../helpers.ts";
import { type GatewayFixture, startGateway } from "./fixture.ts";

/** Connects `user`, collecting the resource updates its session gets. */
async function subscriber(fixture: GatewayFixture, user: string) {
  const updates: string[] = [];
  const connection = await fixture.connect(user, {
    setup: (client) =>
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        updates.push(notification.params.uri);
      }),
  });
  const upstreamSession = textOf(
    await connection.client.callTool({ name: "up_whoami", arguments: {} }),
  );
  return { connection, updates, upstreamSession };
}

const subscribedUpstream = (
  fixture: GatewayFixture,
  session: string,
) => [...fixture.upstream.record.subscriptions.get(session) ?? []];

describe("gateway subscriptions and completions", () => {
  it("a subscription reaches the caller's upstream session; its update reaches that session only", async () => {
    const fixture = await startGateway();
    try {
      const a = await subscriber(fixture, "alice");
      const b = await subscriber(fixture, "alice"); // same principal, another session
      await a.connection.client.subscribeResource({ uri: "memo://motd" });
      await b.connection.client.subscribeResource({ uri: "weather://Paris" }); // a template's URI
      assert.deepEqual(subscribedUpstream(fixture, a.upstreamSession), ["memo://motd"]);
      assert.deepEqual(subscribedUpstream(fixture, b.upstreamSession), ["weather://Paris"]);

      assert.equal(await fixture.upstream.touch("memo://motd"), 1);
      await waitFor(() => a.updates.length === 1, "A told of memo://motd");
      assert.equal(await fixture.upstream.touch("weather://Paris"), 1);
      await waitFor(() => b.updates.length === 1, "B told of weather://Paris");
      assert.deepEqual(a.updates, ["memo://motd"], "A never hears of B's subscription");
      assert.deepEqual(b.updates, ["weather://Paris"], "B never hears of A's");

      await a.connection.client.unsubscribeResource({ uri: "memo://motd" });
      assert.deepEqual(subscribedUpstream(fixture, a.upstreamSession), []);
      assert.equal(await fixture.upstream.touch("memo://motd"), 0);
    } finally {
      await fixture.close();
    }
  });

  it("a recreated upstream session subscribes again to what the downstream session subscribed to", async () => {
    const fixture = await startGateway({}, {}, { maxMessageBytes: 8_192 });
    try {
      const a = await subscriber(fixture, "alice");
      await a.connection.client.subscribeResource({ uri: "memo://motd" });
      // An answer over maxMessageBytes ends the upstream session; the next call opens another.
      const big = await a.connection.client.callTool({
        name: "up_echo",
        arguments: { text: "x".repeat(10_000) },
      });
      assert.equal(big.isError, true);
      const next = textOf(await a.connection.client.callTool({ name: "up_whoami", arguments: {} }));
      assert.notEqual(next, a.upstreamSession, "a new upstream session");
      assert.deepEqual(subscribedUpstream(fixture, next), ["memo://motd"]);
      assert.equal(await fixture.upstream.touch("memo://motd"), 1);
      await waitFor(() => a.updates.length === 1, "A told through the new upstream session");
    } finally {
      await fixture.close();
    }
  });

  it("completion/complete of an upstream prompt argument and template variable is the upstream's", async () => {
    const fixture = await startGateway();
    try {
      const { client } = await fixture.connect("alice") as SdkConnection;
      const prompt = await client.complete({
        ref: { type: "ref/prompt", name: "up_travel" },
        argument: { name: "to", value: "L" },
      });
      assert.deepEqual(prompt.completion.values, ["Lisbon", "London"]);
      const template = await client.complete({
        ref: { type: "ref/resource", uri: "weather://{city}" },
        argument: { name: "city", value: "Pr" },
      });
      assert.deepEqual(template.completion.values, ["Prague"]);
    } finally {
      await fixture.close();
    }
  });

  it("a resource's subscribe hook gets the session's ctx; its rejection fails and undoes the subscription", async () => {
    const told: string[] = [];
    const handler = makeHandler({
      resources: [
        {
          uri: "memo://refused",
          name: "refused",
          read: () => "",
          subscribe: () => Promise.reject(new Error("upstream said no")),
        },
        {
          uri: "memo://fine",
          name: "fine",
          read: () => "",
          subscribe: (uri, ctx) => void told.push(`+${uri} ${ctx.session?.id}`),
          unsubscribe: (uri, ctx) => void told.push(`-${uri} ${ctx.session?.id}`),
        },
      ],
      sessions: { maxSubscriptions: 1 },
    });
    try {
      const session = await initialize(handler);
      const refused = await rpc(handler, session, "resources/subscribe", { uri: "memo://refused" });
      assert.ok(refused.message.error, "the hook's rejection fails the request");
      // Only one subscription is allowed: the refused one must not hold the place.
      const fine = await rpc(handler, session, "resources/subscribe", { uri: "memo://fine" });
      assert.deepEqual(fine.message.result, {});
      await rpc(handler, session, "resources/unsubscribe", { uri: "memo://fine" });
      assert.deepEqual(told, [`+memo://fine ${session.id}`, `-memo://fine ${session.id}`]);
    } finally {
      await handler.close();
    }
  });
});
