/**
 * Replays the memory-exhaustion attacks of the hostile-input review at a
 * scale that would have grown the old code past the budgets set here, and
 * checks the server stays bounded: the event log across many sessions
 * (finding 3), oversized request ids and progress tokens (finding 3), and
 * long URIs in reads, templates and subscriptions (finding 4). Budgets are
 * lowered through options so each attack stays small and fast.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineResourceTemplate } from "../../../mod.ts";
import { MemoryEventLog, MemorySessionStore } from "../../../src/storage/mod.ts";
import { assertHttpError, initialize, makeHandler, postRequest, rpc } from "../../helpers.ts";

const KIB = 1024;

describe("exhaustion: the event log is bounded for the whole process", () => {
  it("400 sessions each logging 160 KB keep at most maxTotalBytes replayable", async () => {
    const budget = 2 * 1024 * KIB;
    const eventLog = new MemoryEventLog({ maxTotalBytes: budget });
    const chunk = "x".repeat(8 * KIB);
    const handler = makeHandler({
      streams: {
        eventLog,
      },
      tools: [{
        name: "chatty",
        handler: async (_input, ctx) => {
          for (let i = 0; i < 20; i++) await ctx.log("info", chunk);
          return "done";
        },
      }],
    });
    try {
      const firstEventIds: { session: string; eventId: string }[] = [];
      for (let n = 0; n < 400; n++) {
        const session = await initialize(handler);
        const outcome = await rpc(handler, session, "tools/call", { name: "chatty" });
        assert.equal(outcome.message.result.content[0].text, "done");
        const first = outcome.events.find((event) => event.data !== undefined && event.data !== "");
        assert.ok(first?.id, "each call is answered on a resumable SSE stream");
        firstEventIds.push({ session: session.id, eventId: first.id });
      }
      // What a client could still get back by resuming: every event after the first of each stream.
      let replayable = 0;
      for (const { session, eventId } of firstEventIds) {
        const replay = await eventLog.replayAfter(session, eventId);
        for (const event of replay?.events ?? []) replayable += event.data.length;
      }
      const written = 400 * 20 * chunk.length;
      assert.ok(
        replayable <= budget,
        `${replayable} bytes replayable of ${written} written, budget ${budget}`,
      );
      assert.ok(eventLog.totalBytes <= budget, `the log holds ${eventLog.totalBytes} bytes`);
      // Positive control: the newest sessions are still fully resumable.
      const newest = firstEventIds[firstEventIds.length - 1];
      assert.equal((await eventLog.replayAfter(newest.session, newest.eventId))?.events.length, 20);
    } finally {
      await handler.close();
    }
  });

  it("a request id longer than maxIdBytes is refused with -32600 and not echoed", async () => {
    const handler = makeHandler({
      http: { maxIdBytes: 64 },
      tools: [{ name: "noop", handler: () => "ok" }],
    });
    try {
      const session = await initialize(handler);
      const longId = "i".repeat(65);
      const response = await handler(postRequest(
        { jsonrpc: "2.0", id: longId, method: "tools/call", params: { name: "noop" } },
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      const body = await assertHttpError(response, 400, { code: -32600, id: null });
      assert.ok(!JSON.stringify(body).includes(longId));
      // Multi-byte characters count in UTF-8 bytes: 22 × "€" is 66 bytes.
      const euro = await rpc(handler, session, "tools/call", { name: "noop" }, {
        id: "€".repeat(22),
      });
      assert.equal(euro.status, 400);
      // Positive control: an id at the limit is served and echoed.
      const atLimit = await rpc(handler, session, "tools/call", { name: "noop" }, {
        id: "i".repeat(64),
      });
      assert.equal(atLimit.message.id, "i".repeat(64));
      assert.equal(atLimit.message.result.content[0].text, "ok");
    } finally {
      await handler.close();
    }
  });

  it("a progress token longer than maxIdBytes is refused with -32602 before the tool runs", async () => {
    let runs = 0;
    const handler = makeHandler({
      http: {
        maxIdBytes: 64,
      },
      tools: [{
        name: "slow",
        handler: async (_input, ctx) => {
          runs++;
          for (let i = 1; i <= 21; i++) await ctx.progress(i, 21);
          return "ok";
        },
      }],
    });
    try {
      const session = await initialize(handler);
      const refused = await rpc(handler, session, "tools/call", {
        name: "slow",
        _meta: { progressToken: "p".repeat(50_000) },
      }, { id: 7 });
      assert.equal(refused.status, 400);
      assert.equal(refused.message.error.code, -32602);
      assert.equal(refused.message.id, 7);
      assert.equal(runs, 0);
      const served = await rpc(handler, session, "tools/call", {
        name: "slow",
        _meta: { progressToken: "p".repeat(64) },
      });
      assert.equal(served.message.result.content[0].text, "ok");
      assert.equal(served.messages.filter((m) => m.method === "notifications/progress").length, 21);
    } finally {
      await handler.close();
    }
  });
});

describe("exhaustion: URIs are bounded in length and subscriptions in bytes", () => {
  const template = defineResourceTemplate({
    uriTemplate: "test://template/{id}/data",
    name: "data",
    read: (uri) => `data of ${uri}`,
  });

  it("read, subscribe, unsubscribe and completion refuse a URI over maxUriBytes with -32602", async () => {
    const handler = makeHandler({
      limits: { maxUriBytes: 1 * KIB },
      resourceTemplates: [template],
    });
    try {
      const session = await initialize(handler);
      const long = `test://template/${"a".repeat(KIB)}/data`;
      for (const method of ["resources/read", "resources/subscribe", "resources/unsubscribe"]) {
        const outcome = await rpc(handler, session, method, { uri: long });
        assert.equal(
          outcome.message.error?.code,
          -32602,
          `${method}: ${JSON.stringify(outcome.message)}`,
        );
        assert.ok(
          !JSON.stringify(outcome.message).includes("a".repeat(300)),
          `${method} echoes the URI`,
        );
      }
      // Positive control: the same template with a short id is read and subscribed.
      const short = "test://template/7/data";
      assert.equal(
        (await rpc(handler, session, "resources/read", { uri: short })).message.result.contents[0]
          .text,
        `data of ${short}`,
      );
      assert.deepEqual(
        (await rpc(handler, session, "resources/subscribe", { uri: short })).message.result,
        {},
      );
    } finally {
      await handler.close();
    }
  });

  it("one session's subscriptions stay within maxSubscriptionBytes however many URIs it sends", async () => {
    const store = new MemorySessionStore();
    const handler = makeHandler({
      resourceTemplates: [template],
      sessions: { store, maxSubscriptionBytes: 16 * KIB, maxSubscriptions: 1_000 },
    });
    try {
      const session = await initialize(handler);
      let refused = 0;
      for (let i = 0; i < 1_000; i++) {
        const uri = `test://template/${String(i).padStart(4, "0")}${"b".repeat(4_000)}/data`;
        const outcome = await rpc(handler, session, "resources/subscribe", { uri });
        if (outcome.message.error !== undefined) {
          assert.equal(outcome.message.error.code, -32602);
          refused++;
        }
      }
      const record = await store.get(session.id, Date.now());
      const held = (record?.subscriptions ?? []).reduce((sum, uri) => sum + uri.length, 0);
      assert.ok(held <= 16 * KIB, `the session holds ${held} bytes of subscriptions`);
      assert.ok(held > 8 * KIB, "positive control: subscriptions up to the budget were accepted");
      assert.equal(refused, 1_000 - (record?.subscriptions?.length ?? 0));
    } finally {
      await handler.close();
    }
  });
});
