/**
 * Resource subscriptions through the gateway to a 2026-07-28 upstream
 * (tether's own handler over HTTP, which has no `resources/subscribe`):
 * a 2025 session's `resources/subscribe` becomes an upstream
 * `subscriptions/listen` stream with `resourceSubscriptions`, opened with
 * that caller's own credentials; the upstream's update reaches exactly the
 * sessions subscribed to it; unsubscribing, or the session's end, closes the
 * stream; the bounds refuse; and nothing is opened for an upstream whose
 * discover does not advertise `resources.subscribe`.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayOptions } from "../../../src/gateway/mod.ts";
import {
  connectClient,
  ResourceUpdatedNotificationSchema,
  type SdkConnection,
  waitFor,
} from "../interop/helpers.ts";
import { type Rig, startRig as startModernRig } from "./modern_rig.ts";
import { startUpstream, type Upstream } from "./subscribable_upstream.ts";

/** The gateway in front of `upstreamUrl`, spoken to in 2026-07-28 only. */
const startRig = (upstreamUrl: string, options: Partial<GatewayOptions> = {}) =>
  startModernRig(upstreamUrl, "2026-07-28", options);

/** An official SDK client (2025-11-25) as `user`, collecting its session's resource updates. */
async function subscriber(rig: Rig, user: string) {
  const updates: string[] = [];
  const connection: SdkConnection = await connectClient(rig.url, {
    token: `down-${user}`,
    setup: (client) =>
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        updates.push(notification.params.uri);
      }),
  });
  return { ...connection, updates };
}

/** The JSON-RPC error a rejected SDK request carries. */
async function refusal(request: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await request;
  } catch (error) {
    return error as { code: number; message: string };
  }
  throw new Error("the request was not refused");
}

describe("gateway: resource subscriptions to a 2026-07-28 upstream", () => {
  let upstream: Upstream;
  let rig: Rig;
  /** Streams open on the upstream with no subscription (the gateway's discovery listen). */
  let baseline: number;
  before(async () => {
    upstream = await startUpstream();
    rig = await startRig(`${upstream.url}/mcp`);
    baseline = await upstream.openStreams();
  });
  after(async () => {
    await rig?.close();
    await upstream?.close();
  });

  it("an update reaches the subscribed session only; unsubscribing closes the upstream stream", async () => {
    const a = await subscriber(rig, "alice");
    const sameUser = await subscriber(rig, "alice");
    const other = await subscriber(rig, "bob");
    try {
      await a.client.subscribeResource({ uri: "memo://a" });
      assert.deepEqual(upstream.listens.at(-1), {
        authorization: "Bearer up-alice",
        uris: ["memo://a"],
      });
      assert.equal(rig.gateway.stats().subscriptionStreams, 1);
      await waitFor(async () => await upstream.openStreams() === baseline + 1, "stream open");

      assert.equal(await upstream.handler.resourceUpdated("memo://a"), 1);
      await waitFor(() => a.updates.length === 1, "A told of memo://a");
      assert.deepEqual(a.updates, ["memo://a"]);
      // Once more, then the others are read: each update is sent before the next.
      assert.equal(await upstream.handler.resourceUpdated("memo://a"), 1);
      await waitFor(() => a.updates.length === 2, "A told again");
      assert.deepEqual(sameUser.updates, [], "another session of the same user did not subscribe");
      assert.deepEqual(other.updates, [], "another user did not subscribe");

      await a.client.unsubscribeResource({ uri: "memo://a" });
      assert.equal(rig.gateway.stats().subscriptionStreams, 0);
      await waitFor(async () => await upstream.openStreams() === baseline, "stream closed");
      assert.equal(await upstream.handler.resourceUpdated("memo://a"), 0, "nothing listens");
    } finally {
      await Promise.all([a.close(), sameUser.close(), other.close()]);
    }
  });

  it("two principals get streams of their own, each with its own credentials", async () => {
    const alice = await subscriber(rig, "alice");
    const alice2 = await subscriber(rig, "alice");
    const bob = await subscriber(rig, "bob");
    const before = upstream.listens.length;
    try {
      await alice.client.subscribeResource({ uri: "memo://b" });
      await bob.client.subscribeResource({ uri: "memo://b" });
      // A second session of alice shares her stream.
      await alice2.client.subscribeResource({ uri: "memo://b" });
      const opened = upstream.listens.slice(before);
      assert.deepEqual(opened.map((listen) => listen.authorization).sort(), [
        "Bearer up-alice",
        "Bearer up-bob",
      ]);
      assert.ok(opened.every((listen) => JSON.stringify(listen.uris) === '["memo://b"]'));
      assert.equal(rig.gateway.stats().subscriptionStreams, 2);

      assert.equal(await upstream.handler.resourceUpdated("memo://b"), 2, "one per principal");
      await waitFor(
        () => alice.updates.length === 1 && alice2.updates.length === 1 && bob.updates.length === 1,
        "every subscribed session told once",
      );

      // Alice's first session leaves: her stream stays for her second.
      await alice.client.unsubscribeResource({ uri: "memo://b" });
      assert.equal(rig.gateway.stats().subscriptionStreams, 2);
      assert.equal(await upstream.handler.resourceUpdated("memo://b"), 2);
      await waitFor(() => alice2.updates.length === 2 && bob.updates.length === 2, "told again");
      assert.equal(alice.updates.length, 1, "the session that left is not told");
    } finally {
      await Promise.all([alice.close(), alice2.close(), bob.close()]);
    }
  });

  it("a broken upstream stream is opened again, and its subscribers told the resource may have changed", async () => {
    const open = await upstream.openStreams();
    const a = await subscriber(rig, "erin");
    try {
      await a.client.subscribeResource({ uri: "memo://a" });
      const opened = upstream.listens.length;
      upstream.cut("Bearer up-erin");
      await waitFor(() => upstream.listens.length === opened + 1, "the stream opened again");
      assert.deepEqual(upstream.listens.at(-1), {
        authorization: "Bearer up-erin",
        uris: ["memo://a"],
      });
      await waitFor(() => a.updates.length === 1, "erin told once the stream is back");
      assert.equal(await upstream.handler.resourceUpdated("memo://a"), 1);
      await waitFor(() => a.updates.length === 2, "erin told of the next update");
      await a.client.unsubscribeResource({ uri: "memo://a" });
      await waitFor(async () => await upstream.openStreams() === open, "both streams closed");
    } finally {
      await a.close();
    }
  });

  it("a downstream session's end closes its upstream stream", async () => {
    // (The sessions of the tests before still hold theirs: they were not ended.)
    const held = rig.gateway.stats().subscriptionStreams;
    const open = await upstream.openStreams();
    const a = await subscriber(rig, "dora");
    await a.client.subscribeResource({ uri: "memo://a" });
    assert.equal(rig.gateway.stats().subscriptionStreams, held + 1);
    await waitFor(async () => await upstream.openStreams() === open + 1, "stream open upstream");
    await a.transport.terminateSession();
    await a.close();
    await waitFor(() => rig.gateway.stats().subscriptionStreams === held, "stream released");
    await waitFor(async () => await upstream.openStreams() === open, "stream closed upstream");
  });
});

describe("gateway: resource subscription bounds and advertisement", () => {
  it("past a bound, per principal or in all, the subscribe is refused with -32004", async () => {
    const upstream = await startUpstream();
    const rig = await startRig(`${upstream.url}/mcp`, {
      maxSubscriptionStreams: 2,
      maxSubscriptionStreamsPerPrincipal: 1,
    });
    const alice = await subscriber(rig, "alice");
    const bob = await subscriber(rig, "bob");
    const carol = await subscriber(rig, "carol");
    try {
      await alice.client.subscribeResource({ uri: "memo://a" });
      const own = await refusal(alice.client.subscribeResource({ uri: "memo://b" }));
      assert.equal(own.code, -32004);
      assert.match(own.message, /upstream resource subscriptions for this caller \(limit 1\)/);
      await bob.client.subscribeResource({ uri: "memo://a" });
      const all = await refusal(carol.client.subscribeResource({ uri: "memo://a" }));
      assert.equal(all.code, -32004);
      assert.match(all.message, /limit of 2 upstream resource subscriptions/);
      assert.equal(rig.gateway.stats().subscriptionStreams, 2);
      assert.equal(upstream.listens.length, 2, "nothing opened past the bounds");
      // A place freed is a place taken again.
      await alice.client.unsubscribeResource({ uri: "memo://a" });
      await alice.client.subscribeResource({ uri: "memo://b" });
      assert.equal(await upstream.handler.resourceUpdated("memo://b"), 1);
      await waitFor(() => alice.updates.includes("memo://b"), "alice told of memo://b");
    } finally {
      await Promise.all([alice.close(), bob.close(), carol.close()]);
      await rig.close();
      await upstream.close();
    }
  });

  it("no upstream stream for an upstream whose discover does not advertise resources.subscribe", async () => {
    const upstream = await startUpstream(false);
    const rig = await startRig(`${upstream.url}/mcp`);
    const alice = await subscriber(rig, "alice");
    try {
      // tether records the subscription; no upstream hook is there to relay it.
      await alice.client.subscribeResource({ uri: "memo://a" });
      assert.equal(rig.gateway.stats().subscriptionStreams, 0);
      assert.deepEqual(upstream.listens, []);
    } finally {
      await alice.close();
      await rig.close();
      await upstream.close();
    }
  });
});
