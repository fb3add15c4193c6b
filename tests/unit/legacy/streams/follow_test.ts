/**
 * Following a stream another instance writes, in process: two handlers
 * share a session store and an event log; a client cut off from A resumes
 * on B, which replays and then follows A's stream live. While the log fails
 * the follower keeps the connection and retries (its pauses on B's
 * `scheduler`, a clock that advances without waiting).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../../mod.ts";
import { MemoryEventLog, MemorySessionStore } from "../../../../src/storage/mod.ts";
import { Faults, faulty } from "../../../faulty_storage.ts";
import {
  bodilessRequest,
  deferred,
  initialize,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
  resumeRequest,
  until,
  VirtualScheduler,
} from "../../../helpers.ts";

describe("following a stream another instance writes", () => {
  it("B replays, then follows A live; a failing log is retried, not fatal", async () => {
    const store = new MemorySessionStore();
    // B's waits fail on cue, as a shared log's do while it is down.
    const faults = new Faults();
    const log = faulty(new MemoryEventLog(), faults);
    const gate = deferred();
    const errors: unknown[] = [];
    const steps = defineTool({
      name: "steps",
      handler: async (_input, ctx) => {
        await ctx.progress(1, 3);
        await ctx.progress(2, 3);
        await gate.promise;
        await ctx.progress(3, 3);
        return "stepped";
      },
    });
    const make = (scheduler?: VirtualScheduler) =>
      makeHandler({
        scheduler,
        tools: [steps],
        streams: {
          heartbeatMs: 0,
          eventLog: log,
        },
        sessions: { store },
        observe: {
          onError: (error) => errors.push(error),
        },
      });
    const a = make();
    const scheduler = new VirtualScheduler();
    const b = make(scheduler);
    try {
      const session = await initialize(a);
      const cut = new AbortController();
      const response = await a(postRequest({
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "steps", _meta: { progressToken: "t" } },
      }, { sessionId: session.id, protocolVersion: session.protocolVersion, signal: cut.signal }));
      const reader = response.body!.getReader();
      const first = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      const firstEvent = first.events.find((e) => e.data !== undefined && e.data !== "")!;
      await reader.cancel();
      cut.abort();

      faults.set("waitAfter", "reject", 3); // B's first waits fail: it keeps the connection and tries again
      const resumed = await b(resumeRequest(session, firstEvent.id!));
      assert.equal(resumed.status, 200);
      const follower = resumed.body!.getReader();
      const replayed = await readSseUntil(follower, (events) => messagesOf(events).length >= 1);
      assert.deepEqual(messagesOf(replayed.events).map((m) => m.params.progress), [2]);

      await until(
        () => faults.failed.length === 3,
        "the follower to retry through the failures",
        5_000,
      );
      assert.ok(scheduler.time >= 500, "it paused between its retries (on B's clock)");
      gate.resolve();
      const live = await readSseUntil(
        follower,
        (events) => messagesOf(events).some((m) => m.id === 3),
        10_000,
      );
      const messages = messagesOf(live.events);
      assert.deepEqual(messages.map((m) => m.params?.progress ?? m.result.content[0].text), [
        3,
        "stepped",
      ]);
      assert.equal(faults.failed.length, 3);
      assert.equal(errors.length, 1, "the outage was reported once");
      const end = await readSseUntil(follower, () => false, 2_000);
      assert.equal(end.ended, true, "the follower closes when the stream ends");
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("a stream its instance ended without finishing is ended in the log: a resume elsewhere replays and does not follow", async () => {
    const store = new MemorySessionStore();
    const log = new MemoryEventLog();
    const started = deferred();
    const forever = defineTool({
      name: "forever",
      handler: async (_input, ctx) => {
        await ctx.progress(1);
        started.resolve();
        await new Promise(() => {}); // never finishes, ignores its signal
        return "unreachable";
      },
    });
    const make = () =>
      makeHandler({
        tools: [forever],
        streams: { heartbeatMs: 0, eventLog: log },
        sessions: { store },
      });
    const a = make();
    const b = make();
    try {
      const session = await initialize(a);
      const response = await a(postRequest({
        jsonrpc: "2.0",
        id: 4,
        method: "tools/call",
        params: { name: "forever", _meta: { progressToken: "f" } },
      }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
      const reader = response.body!.getReader();
      const first = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      const lastId = first.events.find((e) => e.data !== undefined && e.data !== "")!.id!;
      await started.promise;
      await reader.cancel();
      await a.close(); // ends A's streams; the tool never answers

      const resumed = await b(resumeRequest(session, lastId));
      assert.equal(resumed.status, 200);
      // Nothing answered the call: the connection stays open, quietly (a closed one would only
      // bring the client straight back), holds no stream, and ends with the session.
      const quiet = resumed.body!.getReader();
      const replay = await readSseUntil(quiet, () => false, 200);
      assert.deepEqual(messagesOf(replay.events), [], "nothing came after the id");
      assert.equal(replay.ended, false);
      assert.equal((await b.stats()).inFlight, 0, "and follows nothing");
      const deleted = await b(bodilessRequest("DELETE", {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
      }));
      assert.equal(deleted.status, 204);
      const end = await readSseUntil(quiet, () => false, 2_000);
      assert.equal(end.ended, true, "the session's end closes it");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
