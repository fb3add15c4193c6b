/**
 * A 2026-07-28 downstream client's `subscriptions/listen` with
 * `resourceSubscriptions`, through the gateway (raw 2026-07-28 requests over
 * HTTP): a 2026-07-28 upstream's resource is subscribed upstream with the
 * caller's own credentials, its updates reach exactly the downstream listen
 * streams subscribed (and the 2025 sessions sharing the caller's upstream
 * stream), closing the downstream stream closes the upstream one, the bounds
 * leave a URI out of the acknowledgement, and a 2025 upstream's resource is
 * not honoured.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { GatewayOptions, UpstreamProtocol } from "../../../src/gateway/mod.ts";
import { messagesOf, readSseUntil } from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";
import { connectClient, ResourceUpdatedNotificationSchema, waitFor } from "../interop/helpers.ts";
import { type Rig, startRig } from "./modern_rig.ts";
import { startUpstream, type Upstream } from "./subscribable_upstream.ts";

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

type Reader = ReadableStreamDefaultReader<Uint8Array>;
/** A JSON-RPC message read from a stream (as `messagesOf` parses it). */
type Message = ReturnType<typeof messagesOf>[number];

/** A downstream 2026-07-28 listen stream of `user`, acknowledged. */
interface DownstreamListen {
  reader: Reader;
  /** The URIs its acknowledgement honours. */
  honoured: unknown;
  /** The messages read from it within `ms`, or once `count` came. */
  next(count?: number, ms?: number): Promise<Message[]>;
}

/** Opens a listen stream on the gateway as `user` (request id `id`) and reads its acknowledgement. */
async function listen(
  rig: Rig,
  user: string,
  id: string,
  uris: string[],
): Promise<DownstreamListen> {
  const request = modernRequest("subscriptions/listen", {
    notifications: { resourceSubscriptions: uris },
  }, { id, headers: { authorization: `Bearer down-${user}` } });
  const response = await fetch(rig.url, {
    method: "POST",
    headers: request.headers,
    body: await request.text(),
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const next = async (count = 1, ms = 5_000) =>
    messagesOf((await readSseUntil(reader, (e) => messagesOf(e).length >= count, ms)).events);
  const [ack] = await next();
  assert.equal(ack?.method, "notifications/subscriptions/acknowledged");
  assert.equal(ack.params._meta[SUBSCRIPTION_ID], id);
  return { reader, honoured: ack.params.notifications.resourceSubscriptions, next };
}

const gatewayFor = (upstream: Upstream, protocol: UpstreamProtocol, options = {}) =>
  startRig(`${upstream.url}/mcp`, protocol, options as Partial<GatewayOptions>);

describe("gateway: a 2026-07-28 listen's resource subscriptions to a 2026-07-28 upstream", () => {
  let upstream: Upstream;
  let rig: Rig;
  /** Streams open on the upstream with no subscription (the gateway's discovery listen). */
  let baseline: number;
  before(async () => {
    upstream = await startUpstream();
    rig = await gatewayFor(upstream, "2026-07-28");
    // The gateway opens its discovery listen after it starts: counted once it is open.
    await waitFor(async () => await upstream.openStreams() === 1, "the gateway's discovery listen");
    baseline = await upstream.openStreams();
  });
  after(async () => {
    await rig?.close();
    await upstream?.close();
  });

  it("subscribed upstream with the caller's credentials; an update reaches that caller's streams only; closing it closes the upstream stream", async () => {
    const alice = await listen(rig, "alice", "DA", ["memo://a"]);
    const bob = await listen(rig, "bob", "DB", ["memo://a"]);
    const sessionUpdates: string[] = [];
    const session = await connectClient(rig.url, {
      token: "down-alice",
      setup: (client) =>
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
          sessionUpdates.push(notification.params.uri);
        }),
    });
    try {
      assert.deepEqual(alice.honoured, ["memo://a"], "acknowledged once the upstream took it");
      assert.deepEqual(bob.honoured, ["memo://a"]);
      assert.deepEqual(
        upstream.listens.map((seen) => [seen.authorization, seen.uris]).sort(),
        [["Bearer up-alice", ["memo://a"]], ["Bearer up-bob", ["memo://a"]]],
        "one upstream stream per caller, each with the caller's own credentials",
      );
      assert.equal(rig.gateway.stats().subscriptionStreams, 2);
      // Alice's 2025 session shares her upstream stream.
      await session.client.subscribeResource({ uri: "memo://a" });
      assert.equal(rig.gateway.stats().subscriptionStreams, 2);

      // The upstream tells alice's stream alone: alice's listen and session hear it, bob does not.
      assert.equal(upstream.tell("alice"), 1);
      const [update] = await alice.next();
      assert.equal(update.method, "notifications/resources/updated");
      assert.equal(update.params.uri, "memo://a");
      assert.equal(update.params._meta[SUBSCRIPTION_ID], "DA");
      await waitFor(() => sessionUpdates.length === 1, "alice's session told");
      assert.deepEqual(await bob.next(1, 300), [], "bob's listen is not told of alice's update");
      // The positive control: bob's own update reaches bob.
      assert.equal(upstream.tell("bob"), 1);
      assert.equal((await bob.next())[0].params._meta[SUBSCRIPTION_ID], "DB");

      // Alice's session leaves, then her listen closes: her upstream stream closes.
      await session.client.unsubscribeResource({ uri: "memo://a" });
      assert.equal(rig.gateway.stats().subscriptionStreams, 2, "her listen still holds it");
      await alice.reader.cancel();
      await waitFor(() => rig.gateway.stats().subscriptionStreams === 1, "alice's stream released");
      await waitFor(async () => await upstream.openStreams() === baseline + 1, "closed upstream");
      assert.equal(upstream.tell("alice"), 0, "nothing of alice listens upstream");
      await bob.reader.cancel();
      await waitFor(async () => await upstream.openStreams() === baseline, "bob's closed upstream");
      assert.equal(rig.gateway.stats().subscriptionStreams, 0);
    } finally {
      await alice.reader.cancel().catch(() => {});
      await bob.reader.cancel().catch(() => {});
      await session.close();
    }
  });

  it("an update of the whole URI reaches each listen stream subscribed to it, once", async () => {
    const first = await listen(rig, "carol", "C1", ["memo://b"]);
    const second = await listen(rig, "carol", "C2", ["memo://b", "memo://a"]);
    try {
      assert.equal(rig.gateway.stats().subscriptionStreams, 2, "carol's two URIs: two streams");
      assert.equal(await upstream.handler.resourceUpdated("memo://b"), 1, "one stream upstream");
      for (const [listen, id] of [[first, "C1"], [second, "C2"]] as const) {
        const [update] = await listen.next();
        assert.equal(update.params.uri, "memo://b");
        assert.equal(update.params._meta[SUBSCRIPTION_ID], id);
      }
    } finally {
      await first.reader.cancel();
      await second.reader.cancel();
    }
    await waitFor(() => rig.gateway.stats().subscriptionStreams === 0, "carol's streams released");
  });
});

describe("gateway: a 2026-07-28 listen's subscriptions past a bound, and to a 2025 upstream", () => {
  it("past the per-caller bound a URI is left out of the acknowledgement", async () => {
    const upstream = await startUpstream();
    const rig = await gatewayFor(upstream, "2026-07-28", { maxSubscriptionStreamsPerPrincipal: 1 });
    try {
      const alice = await listen(rig, "alice", "L1", ["memo://a", "memo://b"]);
      assert.equal((alice.honoured as string[]).length, 1, "one of the two URIs is honoured");
      assert.equal(rig.gateway.stats().subscriptionStreams, 1);
      assert.equal(upstream.listens.length, 1, "nothing opened past the bound");
      await alice.reader.cancel();
      await waitFor(() => rig.gateway.stats().subscriptionStreams === 0, "released");
    } finally {
      await rig.close();
      await upstream.close();
    }
  });

  it("a 2025 upstream's resource is not honoured (a listen has no upstream session)", async () => {
    const upstream = await startUpstream();
    const rig = await gatewayFor(upstream, "2025");
    try {
      const alice = await listen(rig, "alice", "L2", ["memo://a"]);
      assert.deepEqual(alice.honoured, []);
      assert.deepEqual(upstream.listens, [], "no listen upstream");
      await alice.reader.cancel();
    } finally {
      await rig.close();
      await upstream.close();
    }
  });
});
