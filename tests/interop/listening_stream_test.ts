/**
 * The GET listening stream: server-initiated notifications reach it, only one
 * may be open per session, and resource updates go only to subscribers.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineResource } from "../../mod.ts";
import {
  DelayedEventLog,
  LoggingMessageNotificationSchema,
  messageOf,
  rawGet,
  rawInitialize,
  ResourceUpdatedNotificationSchema,
  SseReader,
  waitFor,
  withServer,
} from "./helpers.ts";

const readme = defineResource({ uri: "docs://readme", name: "readme", read: () => "# Readme" });
const changelog = defineResource({
  uri: "docs://changelog",
  name: "changelog",
  read: () => "# Changes",
});

describe("listening stream", () => {
  it("a GET listening stream receives handler.notify, and a second concurrent GET answers 409", async () => {
    await withServer({ tools: [] }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const response = await rawGet(server.url, sessionId);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const reader = new SseReader(response.body);
      server.defer(() => reader.cancel());
      const priming = await reader.next();
      assert.ok(priming?.id, "the listening stream starts with a priming event");

      const sent = await server.handler.notify(sessionId, {
        method: "notifications/message",
        params: { level: "info", data: "hello from the server" },
      });
      assert.equal(sent, true);
      const event = await reader.next();
      assert.ok(event?.id, "the notification carries an event id");
      assert.deepEqual(messageOf(event!), {
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "info", data: "hello from the server" },
      });

      const second = await rawGet(server.url, sessionId);
      await second.body?.cancel();
      assert.equal(second.status, 409);
      assert.equal(
        await server.handler.notify("no-such-session", { method: "notifications/message" }),
        false,
      );

      // Once the first stream is gone, a new GET may take its place.
      await reader.cancel();
      await waitFor(
        async () => (await server.handler.stats()).openStreams === 0,
        "the server notices the closed stream",
      );
      const third = await rawGet(server.url, sessionId);
      assert.equal(third.status, 200);
      const thirdReader = new SseReader(third.body);
      server.defer(() => thirdReader.cancel());
      await thirdReader.next();
      assert.equal(
        await server.handler.notify(sessionId, {
          method: "notifications/message",
          params: { level: "info", data: "again" },
        }),
        true,
      );
      assert.equal(
        (messageOf((await thirdReader.next())!)?.params as { data: string }).data,
        "again",
      );
    });
  });

  it("concurrent GETs on one session open exactly one listening stream and the rest answer 409, even with an asynchronous event log", async () => {
    // The log's open() answers after 2-6 ms, so the GETs overlap inside the server.
    const eventLog = new DelayedEventLog({ open: [2, 6] });
    await withServer({ tools: [], eventLog }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => rawGet(server.url, sessionId)),
      );
      const open = responses.filter((r) => r.status === 200);
      for (const r of responses) if (r.status !== 200) await r.body?.cancel();
      const readers = open.map((r) => new SseReader(r.body));
      server.defer(() => Promise.all(readers.map((r) => r.cancel())));
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, 409, 409, 409, 409]);
      assert.equal(
        (await server.handler.stats()).openStreams,
        1,
        "no orphaned listening connection",
      );

      await readers[0].next();
      assert.equal(
        await server.handler.notify(sessionId, {
          method: "notifications/message",
          params: { level: "info", data: "one" },
        }),
        true,
      );
      assert.equal(
        (messageOf((await readers[0].next())!)?.params as { data: string }).data,
        "one",
        "the open stream is the live one",
      );
    });
  });

  it("concurrent resumes of the listening stream (GET + Last-Event-ID) attach exactly one connection; the rest answer 409", async () => {
    const eventLog = new DelayedEventLog({ replayAfter: [2, 6], open: [2, 6] });
    await withServer({ tools: [], eventLog }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const first = await rawGet(server.url, sessionId);
      const firstReader = new SseReader(first.body);
      const priming = await firstReader.next();
      assert.ok(priming?.id);
      await server.handler.notify(sessionId, { method: "notifications/message", params: { level: "info", data: "missed" } });
      await firstReader.next();
      await firstReader.cancel();
      await waitFor(async () => (await server.handler.stats()).openStreams === 0, "the first stream is gone");

      const responses = await Promise.all(
        Array.from({ length: 5 }, () => rawGet(server.url, sessionId, { lastEventId: priming!.id! })),
      );
      const open = responses.filter((r) => r.status === 200);
      for (const r of responses) if (r.status !== 200) await r.body?.cancel();
      const readers = open.map((r) => new SseReader(r.body));
      server.defer(() => Promise.all(readers.map((r) => r.cancel())));
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, 409, 409, 409, 409]);
      assert.equal((await server.handler.stats()).openStreams, 1, "no orphaned or replaced connection");
      const replayed = await readers[0].next();
      assert.equal((messageOf(replayed!)?.params as { data: string }).data, "missed", "the winner gets the replay");
    });
  });

  it("handler.resourceUpdated reaches the subscribed session's GET stream and not an unsubscribed one", async () => {
    await withServer({ resources: [readme, changelog] }, async (server) => {
      const updates = { subscriber: [] as string[], bystander: [] as string[] };
      const logs = { subscriber: [] as unknown[], bystander: [] as unknown[] };
      const connectAs = (who: "subscriber" | "bystander") =>
        server.connect({
          setup: (client) => {
            client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
              void updates[who].push(n.params.uri));
            client.setNotificationHandler(LoggingMessageNotificationSchema, (n) =>
              void logs[who].push(n.params.data));
          },
        });
      const subscriber = await connectAs("subscriber");
      const bystander = await connectAs("bystander");
      await subscriber.client.subscribeResource({ uri: "docs://readme" });
      await bystander.client.subscribeResource({ uri: "docs://changelog" });
      // The SDK opens each session's GET stream in the background after initialization.
      await waitFor(
        async () => (await server.handler.stats()).openStreams === 2,
        "both listening streams are open",
      );

      assert.equal(
        await server.handler.resourceUpdated("docs://readme"),
        1,
        "exactly one session is told",
      );
      await waitFor(() => updates.subscriber.length === 1, "the subscriber hears of the update");
      assert.deepEqual(updates.subscriber, ["docs://readme"]);

      // A marker sent after the update on the bystander's stream: once it arrives, the update would have too.
      assert.equal(
        await server.handler.notify(bystander.sessionId, {
          method: "notifications/message",
          params: { level: "info", data: "marker" },
        }),
        true,
      );
      await waitFor(() => logs.bystander.length === 1, "the bystander receives the marker");
      assert.deepEqual(logs.bystander, ["marker"]);
      assert.deepEqual(updates.bystander, [], "the unsubscribed session is not told");

      await subscriber.client.unsubscribeResource({ uri: "docs://readme" });
      assert.equal(
        await server.handler.resourceUpdated("docs://readme"),
        0,
        "nobody is subscribed any more",
      );
    });
  });
});
