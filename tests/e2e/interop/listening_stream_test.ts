/**
 * The GET listening stream: server-initiated notifications reach it, a new
 * GET (or resume) of the owner takes over its one connection, nothing logged
 * meanwhile is lost, and resource updates go only to subscribers.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineResource } from "../../../mod.ts";
import { MemoryEventLog } from "../../../src/storage/mod.ts";
import { Faults, faulty } from "../../faulty_storage.ts";
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
  it("a GET listening stream receives handler.notify, and a second GET of the owner takes it over", async () => {
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

      // A second GET (the client reconnecting over a half-open connection) takes over: the first ends.
      const second = await rawGet(server.url, sessionId);
      assert.equal(second.status, 200);
      const secondReader = new SseReader(second.body);
      assert.ok((await secondReader.next())?.id, "the new connection starts with a priming event");
      assert.equal(await reader.next(), undefined, "the old connection was ended");
      assert.equal((await server.handler.stats()).openStreams, 1);
      await server.handler.notify(sessionId, {
        method: "notifications/message",
        params: { level: "info", data: "to the new one" },
      });
      assert.equal(
        (messageOf((await secondReader.next())!)?.params as { data: string }).data,
        "to the new one",
      );
      assert.equal(
        await server.handler.notify("no-such-session", { method: "notifications/message" }),
        false,
      );

      // Once the stream is gone, a new GET may open it again.
      await secondReader.cancel();
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

  it("concurrent GETs on one session leave exactly one listening connection open, even with an asynchronous event log", async () => {
    // The log's open() answers after 2-6 ms, so the GETs overlap inside the server.
    const eventLog = new DelayedEventLog({ open: [2, 6] });
    await withServer({ tools: [], streams: { eventLog } }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => rawGet(server.url, sessionId)),
      );
      assert.deepEqual(
        responses.map((r) => r.status),
        [200, 200, 200, 200, 200],
        "each GET takes over the one before",
      );
      const readers = responses.map((r) => new SseReader(r.body));
      server.defer(() => Promise.all(readers.map((r) => r.cancel())));
      assert.equal(
        (await server.handler.stats()).openStreams,
        1,
        "no orphaned listening connection",
      );
      // Every reader gets its priming event; then all but one end, and the live one gets the notification.
      for (const reader of readers) assert.ok((await reader.next())?.id);
      assert.equal(
        await server.handler.notify(sessionId, {
          method: "notifications/message",
          params: { level: "info", data: "one" },
        }),
        true,
      );
      const received = await Promise.all(readers.map((reader) => reader.next()));
      const live = received.filter((event) => event !== undefined);
      assert.equal(live.length, 1, "exactly one connection is live");
      assert.equal((messageOf(live[0]!)?.params as { data: string }).data, "one");
    });
  });

  it("concurrent resumes of the listening stream (GET + Last-Event-ID) each replay, and one connection stays", async () => {
    const eventLog = new DelayedEventLog({ replayAfter: [2, 6], open: [2, 6] });
    await withServer({ tools: [], streams: { eventLog } }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const first = await rawGet(server.url, sessionId);
      const firstReader = new SseReader(first.body);
      const priming = await firstReader.next();
      assert.ok(priming?.id);
      await server.handler.notify(sessionId, {
        method: "notifications/message",
        params: { level: "info", data: "missed" },
      });
      await firstReader.next();
      await firstReader.cancel();
      await waitFor(
        async () => (await server.handler.stats()).openStreams === 0,
        "the first stream is gone",
      );

      const responses = await Promise.all(
        Array.from(
          { length: 5 },
          () => rawGet(server.url, sessionId, { lastEventId: priming!.id! }),
        ),
      );
      assert.deepEqual(responses.map((r) => r.status), [200, 200, 200, 200, 200]);
      const readers = responses.map((r) => new SseReader(r.body));
      server.defer(() => Promise.all(readers.map((r) => r.cancel())));
      assert.equal((await server.handler.stats()).openStreams, 1, "no orphaned connection");
      for (const reader of readers) {
        const replayed = await reader.next();
        assert.equal(
          (messageOf(replayed!)?.params as { data: string }).data,
          "missed",
          "every resume gets the replay",
        );
      }
    });
  });

  it("a resume of the listening stream while its old connection is open takes it over: the replay, then later notifications, go to the new one; another principal gets 403", async () => {
    await withServer({
      tools: [],
      auth: {
        authenticate: (request) => ({ id: request.headers.get("x-user") ?? "alice" }),
      },
    }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const first = new SseReader((await rawGet(server.url, sessionId)).body);
      server.defer(() => first.cancel());
      const primingId = (await first.next())?.id;
      assert.ok(primingId !== undefined);
      await server.handler.notify(sessionId, message("before"));
      assert.equal(dataOf(await first.next()), "before");

      const stranger = await rawGet(server.url, sessionId, {
        lastEventId: primingId,
        headers: { "x-user": "mallory" },
      });
      await stranger.body?.cancel();
      assert.equal(stranger.status, 403, "no takeover across principals");
      assert.equal((await server.handler.stats()).openStreams, 1);

      const resumed = await rawGet(server.url, sessionId, { lastEventId: primingId });
      assert.equal(resumed.status, 200);
      const second = new SseReader(resumed.body);
      server.defer(() => second.cancel());
      assert.equal(dataOf(await second.next()), "before", "the resume replays what followed");
      assert.equal(await first.next(), undefined, "the old connection was ended");
      await server.handler.notify(sessionId, message("after"));
      assert.equal(dataOf(await second.next()), "after");
      assert.equal((await server.handler.stats()).openStreams, 1);
    });
  });

  it("a notification being logged while a new GET replaces the stream is not lost: a resume of the old stream replays it, and the new one never gets it", async () => {
    // The log holds the append's answer back (a latch, not a timing guess) while the second GET
    // takes over; the append itself takes effect at once. Only the five required methods.
    const faults = new Faults();
    const eventLog = faulty(new MemoryEventLog(), faults, { without: ["appendMany", "waitAfter"] });
    await withServer({ tools: [], streams: { eventLog } }, async (server) => {
      const sessionId = await rawInitialize(server.url);
      const first = new SseReader((await rawGet(server.url, sessionId)).body);
      server.defer(() => first.cancel());
      const firstSeen = (await first.next())?.id;
      assert.ok(firstSeen);

      faults.set("append", "late", 1);
      const sending = server.handler.notify(sessionId, message("while switching"));
      await waitFor(() => faults.heldCount === 1, "the append to be held");

      const takeover = await rawGet(server.url, sessionId);
      assert.equal(takeover.status, 200);
      const second = new SseReader(takeover.body);
      server.defer(() => second.cancel());
      assert.ok((await second.next())?.id, "priming");
      assert.equal(await first.next(), undefined, "the old connection was ended");

      faults.release();
      assert.equal(await sending, true);
      // It was sent on the old stream: its client gets it by resuming that one, and only there.
      const resumed = new SseReader(
        (await rawGet(server.url, sessionId, { lastEventId: firstSeen })).body,
      );
      server.defer(() => resumed.cancel());
      assert.equal(dataOf(await resumed.next()), "while switching", "nothing logged is lost");
      assert.equal(await server.handler.notify(sessionId, message("after")), true);
      assert.equal(dataOf(await second.next()), "after", "the new stream has only what came after");
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

function message(data: string) {
  return { method: "notifications/message", params: { level: "info", data } };
}

function dataOf(event: Awaited<ReturnType<SseReader["next"]>>): unknown {
  assert.ok(event !== undefined, "an event, not the end of the stream");
  return (messageOf(event)?.params as { data?: unknown } | undefined)?.data;
}
