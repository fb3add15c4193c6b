/**
 * The contract every `EventLog` must meet, as a test suite any
 * implementation runs with its own factory: `describeEventLog(name,
 * factory)`. It pins what resumability relies on: ids name their stream and
 * grow, a replay returns exactly the events after the given id of that
 * stream only, completion is reported, unknown or malformed ids replay
 * nothing, sessions are isolated, and deleting a session forgets it. Logs
 * that tail (`waitAfter`, asked for with `{ tailing: true }`) also: a
 * follower gets every event exactly once, in order, wakes for the end,
 * stops when asked or when the session goes, and times out with nothing.
 * Logs with bounds (`{ bounded }`: a factory taking them) also keep the
 * budget behaviours the memory log defined, so no log can drift from them:
 * events per stream, bytes per session (oldest events, oldest streams
 * first, sessions apart) and bytes for the whole log (finished streams
 * whole before running ones, least recently written first; a running
 * stream that lost events cannot be resumed from before the loss, never
 * with a gap; ids never repeat; a deleted session's bytes are reusable),
 * and with `appendMany` the same of events written together
 * (event_log_batch_contract.ts). Not a test file itself; tests/contracts/*_test.ts run it.
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EventLog } from "../../src/storage/mod.ts";
import { sleep } from "../helpers.ts";
import { describeEventLogBatches } from "./event_log_batch_contract.ts";

/** Makes a fresh, empty log for one test. */
export type EventLogFactory = () => EventLog | Promise<EventLog>;

/** The bounds a budget test sets (the rest stay at the log's defaults). */
export interface EventLogBounds {
  maxEventsPerStream?: number;
  maxBytesPerSession?: number;
  maxTotalBytes?: number;
}

/** Makes a fresh, empty log with these bounds, alone in its budget (nothing else counts against it). */
export type BoundedEventLogFactory = (bounds: EventLogBounds) => EventLog | Promise<EventLog>;

/** What the log under test claims beyond the interface's required part. */
export interface EventLogClaims {
  /** It has byte budgets; made with these bounds by this factory. */
  bounded?: BoundedEventLogFactory;
  /** It implements `waitAfter` (live tailing). */
  tailing?: boolean;
  /** It implements `appendMany`. */
  appendMany?: boolean;
}

/** Logs with a `close()` (connections of their own) are closed after each tailing test. */
async function closeLog(log: EventLog): Promise<void> {
  await (log as { close?: () => Promise<void> }).close?.();
}

/** `waitAfter` of `log`, which must have one. */
function tail(log: EventLog): NonNullable<EventLog["waitAfter"]> {
  assert.equal(typeof log.waitAfter, "function", "a tailing log implements waitAfter");
  return log.waitAfter!.bind(log);
}

/** Runs the EventLog contract against logs made by `factory`. */
export function describeEventLog(
  name: string,
  factory: EventLogFactory,
  claims: EventLogClaims = {},
): void {
  if (claims.tailing) describeTailing(name, factory);
  if (claims.bounded !== undefined) describeBudgets(name, claims.bounded);
  if (claims.bounded !== undefined && claims.appendMany) {
    describeEventLogBatches(name, claims.bounded);
  }
  describe(`EventLog contract: ${name}`, () => {
    if (claims.appendMany) {
      it("appendMany appends in order, with ids that follow single appends", async () => {
        const log = await factory();
        try {
          assert.equal(typeof log.appendMany, "function", "claimed: appendMany");
          await log.open("s", "a");
          const first = await log.append("s", "a", "one");
          const many = await log.appendMany!("s", "a", ["two", "three", "four"]);
          const last = await log.append("s", "a", "five");
          assert.equal(new Set([first, ...many, last]).size, 5, "ids are unique");
          const replay = await log.replayAfter("s", first);
          assert.deepEqual(replay?.events.map((e) => e.data), ["two", "three", "four", "five"]);
          assert.deepEqual(replay?.events.map((e) => e.id), [...many, last]);
          assert.deepEqual(await log.appendMany!("s", "a", []), []);
          const fresh = await log.appendMany!("s", "b", ["x", "y"]);
          assert.deepEqual(
            (await log.replayAfter("s", fresh[0]))?.events.map((e) => e.data),
            ["y"],
            "a stream appendMany creates is resumable",
          );
          assert.equal((await log.replayAfter("s", fresh[0]))?.complete, false);
          const ended = await log.appendMany!("s", "b", ["z"], { complete: true });
          const endReplay = await log.replayAfter("s", fresh[1]);
          assert.deepEqual(endReplay?.events.map((e) => e.id), ended);
          assert.equal(
            endReplay?.complete,
            true,
            "{ complete: true } ends the stream after its events",
          );
          const whole = await log.appendMany!("s", "c", ["only"], { complete: true });
          assert.deepEqual(await log.replayAfter("s", whole[0]), {
            streamId: "c",
            events: [],
            complete: true,
          }, "created, filled and ended in one call");
        } finally {
          await closeLog(log);
        }
      });
    }

    it("replays exactly the events after the given id, in order", async () => {
      const log = await factory();
      await log.open("s", "a");
      const ids = [];
      for (const data of ["one", "two", "three"]) ids.push(await log.append("s", "a", data));
      assert.equal(new Set(ids).size, 3, "ids are unique");
      const replay = await log.replayAfter("s", ids[0]);
      assert.equal(replay?.streamId, "a");
      assert.deepEqual(replay?.events.map((e) => e.data), ["two", "three"]);
      assert.deepEqual(replay?.events.map((e) => e.id), ids.slice(1));
      assert.equal(replay?.complete, false);
      assert.deepEqual(
        (await log.replayAfter("s", ids[2]))?.events,
        [],
        "after the last event: nothing, but known",
      );
    });

    it("a stream opened without events can be resumed from its priming id", async () => {
      const log = await factory();
      await log.open("s", "a");
      const replay = await log.replayAfter("s", "a:0");
      assert.ok(replay !== undefined);
      assert.deepEqual(replay.events, []);
    });

    it("reports completion", async () => {
      const log = await factory();
      const first = await log.append("s", "a", "x");
      await log.complete("s", "a");
      assert.equal((await log.replayAfter("s", first))?.complete, true);
    });

    it("a replay never crosses streams", async () => {
      const log = await factory();
      const a1 = await log.append("s", "a", "a1");
      await log.append("s", "b", "b1");
      await log.append("s", "a", "a2");
      assert.deepEqual((await log.replayAfter("s", a1))?.events.map((e) => e.data), ["a2"]);
    });

    it("unknown, malformed and future ids replay nothing", async () => {
      const log = await factory();
      await log.append("s", "a", "x");
      for (const id of ["nope:1", "a", "a:x", "", ":1", "a:999999"]) {
        assert.equal(await log.replayAfter("s", id), undefined, `id ${JSON.stringify(id)}`);
      }
    });

    it("sessions are isolated: another session's event id replays nothing", async () => {
      const log = await factory();
      const victim = await log.append("victim", "a", "secret");
      await log.append("attacker", "a", "mine");
      assert.equal(
        await log.replayAfter("attacker", victim.replace(/:\d+$/, ":0")).then((r) =>
          r?.events.some((e) => e.data === "secret") ?? false
        ),
        false,
      );
      assert.ok(await log.replayAfter("victim", victim), "positive control: the victim resumes");
    });

    it("deleting a session forgets its streams", async () => {
      const log = await factory();
      const id = await log.append("s", "a", "x");
      await log.deleteSession("s");
      assert.equal(await log.replayAfter("s", id), undefined);
    });
  });
}

function describeTailing(name: string, factory: EventLogFactory): void {
  describe(`EventLog contract (tailing): ${name}`, () => {
    it("waits for the next event and returns it", async () => {
      const log = await factory();
      try {
        await log.open("s", "a");
        const first = await log.append("s", "a", "one");
        let settled = false;
        const waiting = tail(log)("s", first, { timeoutMs: 20_000 }).finally(() => settled = true);
        await sleep(50);
        assert.equal(settled, false, "nothing new yet: still waiting");
        const second = await log.append("s", "a", "two");
        const got = await waiting;
        assert.deepEqual(got?.events, [{ id: second, data: "two" }]);
        assert.equal(got?.complete, false);
      } finally {
        await closeLog(log);
      }
    });

    it("returns at once what is already there", async () => {
      const log = await factory();
      try {
        const first = await log.append("s", "a", "one");
        await log.append("s", "a", "two");
        await log.append("s", "a", "three");
        const got = await tail(log)("s", first, { timeoutMs: 20_000 });
        assert.deepEqual(got?.events.map((e) => e.data), ["two", "three"]);
      } finally {
        await closeLog(log);
      }
    });

    it("wakes for the end of the stream", async () => {
      const log = await factory();
      try {
        await log.open("s", "a");
        const last = await log.append("s", "a", "one");
        const waiting = tail(log)("s", last, { timeoutMs: 20_000 });
        await sleep(30);
        await log.complete("s", "a");
        const got = await waiting;
        assert.deepEqual(got?.events, []);
        assert.equal(got?.complete, true);
        assert.equal(got?.writerLost, undefined);
      } finally {
        await closeLog(log);
      }
    });

    it("a follower gets every event exactly once, in order, then the end", async () => {
      const log = await factory();
      try {
        await log.open("s", "a");
        const written: string[] = [];
        const writer = (async () => {
          for (let i = 0; i < 60; i++) {
            written.push(`e${i}`);
            await log.append("s", "a", `e${i}`);
            await log.append("s", "other", `noise${i}`);
            if (i % 7 === 0) await sleep(5);
          }
          await log.complete("s", "a");
        })();
        const seen: string[] = [];
        let last = "a:0";
        for (;;) {
          const got = await tail(log)("s", last, { timeoutMs: 20_000 });
          assert.ok(got !== undefined, "the stream stays known while it runs");
          for (const event of got.events) seen.push(event.data);
          if (got.events.length > 0) last = got.events[got.events.length - 1].id;
          if (got.complete) break;
        }
        await writer;
        assert.deepEqual(seen, written);
      } finally {
        await closeLog(log);
      }
    });

    it("times out with nothing on a running stream, and stops when its signal aborts", async () => {
      const log = await factory();
      try {
        const last = await log.append("s", "a", "one");
        const quiet = await tail(log)("s", last, { timeoutMs: 30 });
        assert.deepEqual(quiet, { streamId: "a", events: [], complete: false });
        const stop = new AbortController();
        const waiting = tail(log)("s", last, { timeoutMs: 600_000, signal: stop.signal });
        setTimeout(() => stop.abort(), 20);
        const stopped = await waiting; // a wait that ignored its signal would time the test out
        assert.deepEqual(stopped?.events, []);
        assert.equal(stopped?.complete, false);
      } finally {
        await closeLog(log);
      }
    });

    it("ends with undefined when the session is deleted, or the id names nothing", async () => {
      const log = await factory();
      try {
        const last = await log.append("s", "a", "one");
        assert.equal(await tail(log)("s", "nope:1", { timeoutMs: 30 }), undefined);
        assert.equal(await tail(log)("other", last, { timeoutMs: 30 }), undefined);
        const waiting = tail(log)("s", last, { timeoutMs: 20_000 });
        await sleep(30);
        await log.deleteSession("s");
        assert.equal(await waiting, undefined);
      } finally {
        await closeLog(log);
      }
    });
  });
}

/** Runs `body` on a log made with `bounds`, closing it after. */
async function withLog(
  factory: BoundedEventLogFactory,
  bounds: EventLogBounds,
  body: (log: EventLog) => Promise<void>,
): Promise<void> {
  const log = await factory(bounds);
  try {
    await body(log);
  } finally {
    await closeLog(log);
  }
}

/** The number of events a resume from the stream's priming id replays; undefined when refused. */
async function held(log: EventLog, session: string, stream: string): Promise<number | undefined> {
  return (await log.replayAfter(session, `${stream}:0`))?.events.length;
}

/** Writes a stream whole and ends it, as the hub writes an answered POST: in one call where the log can. */
async function writeWhole(log: EventLog, session: string, stream: string, data: string[]) {
  if (log.appendMany !== undefined) {
    await log.appendMany(session, stream, data, { complete: true });
    return;
  }
  for (const one of data) await log.append(session, stream, one);
  await log.complete(session, stream);
}

function describeBudgets(name: string, factory: BoundedEventLogFactory): void {
  describe(`EventLog contract (budgets): ${name}`, () => {
    it("keeps at most maxEventsPerStream events per stream, the newest", async () => {
      await withLog(factory, { maxEventsPerStream: 3 }, async (log) => {
        for (let i = 0; i < 10; i++) await log.append("s", "a", `e${i}`);
        const replay = await log.replayAfter("s", "a:0");
        assert.deepEqual(replay?.events.map((e) => e.data), ["e7", "e8", "e9"]);
      });
    });

    it("drops the oldest events once a session's data passes maxBytesPerSession", async () => {
      await withLog(factory, { maxBytesPerSession: 1_000 }, async (log) => {
        await log.open("s", "a");
        const first = await log.append("s", "a", "x".repeat(400));
        await log.append("s", "a", "y".repeat(400));
        await log.append("s", "a", "z".repeat(400)); // 1,200 bytes: the first event must go
        const replay = await log.replayAfter("s", "a:0");
        assert.deepEqual(replay?.events.map((e) => e.data[0]), ["y", "z"]);
        assert.notEqual(replay?.events[0].id, first);
      });
    });

    it("counts bytes, not characters (UTF-8)", async () => {
      await withLog(factory, { maxBytesPerSession: 1_000 }, async (log) => {
        await log.append("s", "a", "é".repeat(300)); // 600 bytes, 300 characters
        await log.append("s", "a", "é".repeat(300));
        assert.equal(await held(log, "s", "a"), 1);
      });
    });

    it("trims older streams of the session before the stream being written", async () => {
      await withLog(factory, { maxBytesPerSession: 1_000 }, async (log) => {
        await log.append("s", "old", "o".repeat(600));
        await log.append("s", "new", "n".repeat(600));
        assert.deepEqual((await log.replayAfter("s", "old:0"))?.events, []);
        assert.equal(await held(log, "s", "new"), 1);
      });
    });

    it("an answer over the session budget alone takes none of the session's other streams' events", async () => {
      await withLog(factory, { maxBytesPerSession: 1_000 }, async (log) => {
        await writeWhole(log, "s", "old", ["o".repeat(300)]);
        // One answer bigger than the whole budget: it cannot be kept, and takes nothing with it.
        await writeWhole(log, "s", "big", ["b".repeat(1_200)]);
        assert.deepEqual((await log.replayAfter("s", "old:0"))?.events.map((e) => e.data.length), [
          300,
        ]);
        assert.deepEqual(await log.replayAfter("s", "big:0"), {
          streamId: "big",
          events: [],
          complete: true,
          gap: true,
        });
      });
    });

    it("a running stream over the session budget alone sheds its own oldest events first", async () => {
      await withLog(factory, { maxBytesPerSession: 1_000 }, async (log) => {
        await writeWhole(log, "s", "old", ["o".repeat(100)]);
        for (const letter of ["x", "y", "z"]) await log.append("s", "new", letter.repeat(400));
        // "new" alone holds 1,200 bytes: its first event goes, and then the session fits.
        assert.deepEqual((await log.replayAfter("s", "new:0"))?.events.map((e) => e.data[0]), [
          "y",
          "z",
        ]);
        assert.equal(await held(log, "s", "old"), 1);
      });
    });

    it("a replay says when the budgets dropped events after its id (gap), and only then", async () => {
      await withLog(factory, { maxBytesPerSession: 1_000 }, async (log) => {
        await log.open("s", "a");
        const first = await log.append("s", "a", "x".repeat(600));
        const second = await log.append("s", "a", "y".repeat(600)); // the first goes
        const fromStart = await log.replayAfter("s", "a:0");
        assert.deepEqual(fromStart?.events.map((e) => e.id), [second]);
        assert.equal(fromStart?.gap, true);
        assert.equal(
          (await log.replayAfter("s", first))?.gap,
          undefined,
          "nothing missing after it",
        );
        await writeWhole(log, "s", "kept", ["k"]);
        assert.equal((await log.replayAfter("s", "kept:0"))?.gap, undefined);
        await writeWhole(log, "s", "gone", ["g".repeat(1_100)]); // over the budget alone
        const gone = await log.replayAfter("s", "gone:0");
        assert.deepEqual([gone?.events, gone?.complete, gone?.gap], [[], true, true]);
        await log.open("s", "quiet");
        await log.complete("s", "quiet");
        assert.equal(
          (await log.replayAfter("s", "quiet:0"))?.gap,
          undefined,
          "ended without events",
        );
      });
    });

    it("budgets are per session: one session's traffic never evicts another's events", async () => {
      await withLog(factory, { maxBytesPerSession: 1_000 }, async (log) => {
        await log.append("quiet", "a", "q".repeat(500));
        for (let i = 0; i < 50; i++) await log.append("noisy", "a", "n".repeat(500));
        assert.equal(await held(log, "quiet", "a"), 1);
        assert.equal(await held(log, "noisy", "a"), 2);
      });
    });

    it("holds at most maxTotalBytes across sessions: only the newest finished streams stay", async () => {
      await withLog(factory, { maxTotalBytes: 10_000 }, async (log) => {
        for (let s = 0; s < 60; s++) {
          await log.open(`s${s}`, "a");
          await log.append(`s${s}`, "a", "x".repeat(500));
          await log.complete(`s${s}`, "a");
        }
        // 60 × 500 bytes were written; the newest 20 fit, the older ones were dropped whole.
        for (let s = 0; s < 60; s++) {
          assert.equal(
            await held(log, `s${s}`, "a"),
            s >= 40 ? 1 : undefined,
            `session s${s}`,
          );
        }
      });
    });

    it("evicts finished streams before running ones, least recently written first", async () => {
      await withLog(factory, { maxTotalBytes: 1_000 }, async (log) => {
        await log.append("s1", "running", "r".repeat(300));
        await log.append("s2", "done-old", "o".repeat(300));
        await log.complete("s2", "done-old");
        await log.append("s3", "done-new", "n".repeat(300));
        await log.complete("s3", "done-new");
        await log.append("s4", "current", "c".repeat(300)); // 1,200 bytes: one 300-byte stream must go
        assert.equal(
          await held(log, "s2", "done-old"),
          undefined,
          "the oldest finished goes first",
        );
        assert.equal(
          await held(log, "s1", "running"),
          1,
          "a running stream outlives finished ones",
        );
        assert.equal(await held(log, "s3", "done-new"), 1);
        assert.equal(await held(log, "s4", "current"), 1);
      });
    });

    it("a running stream that loses events cannot be resumed from before them, never with a gap", async () => {
      await withLog(factory, { maxTotalBytes: 1_000 }, async (log) => {
        await log.open("victim", "a");
        const first = await log.append("victim", "a", "v".repeat(600));
        await log.append("other", "b", "o".repeat(600)); // over: only the victim's running stream is left
        assert.equal(
          await log.replayAfter("victim", "a:0"),
          undefined,
          "a resume would skip an event",
        );
        // Later events are kept, and a resume from the loss point on works.
        const later = await log.append("victim", "a", "w".repeat(100));
        assert.deepEqual((await log.replayAfter("victim", first))?.events.map((e) => e.id), [
          later,
        ]);
        assert.equal(await held(log, "other", "b"), 1);
      });
    });

    it("a follower from before a loss gets nothing of the stream, never a gap", async () => {
      await withLog(factory, { maxTotalBytes: 1_000 }, async (log) => {
        if (log.waitAfter === undefined) return; // a log that does not tail has nothing to follow
        await log.open("victim", "a");
        await log.append("victim", "a", "v".repeat(600));
        await log.append("other", "b", "o".repeat(600));
        const following = log.waitAfter("victim", "a:0", { timeoutMs: 20_000 });
        await log.append("victim", "a", "w".repeat(100));
        assert.equal(await following, undefined);
      });
    });

    it("the stream being written keeps its newest event, whatever the budget", async () => {
      await withLog(factory, { maxTotalBytes: 1_000 }, async (log) => {
        await log.append("s", "a", "x".repeat(800));
        const last = await log.append("s", "a", "y".repeat(800));
        const replay = await log.replayAfter("s", "a:1");
        assert.deepEqual(replay?.events.map((e) => e.id), [last]);
        assert.equal(await log.replayAfter("s", "a:0"), undefined, "the first event was lost");
      });
    });

    it("event ids never repeat after a loss", async () => {
      await withLog(factory, { maxTotalBytes: 100 }, async (log) => {
        const ids = new Set<string>();
        for (let i = 0; i < 50; i++) ids.add(await log.append("s", "a", "x".repeat(60)));
        assert.equal(ids.size, 50);
      });
    });

    it("deleting a session returns its bytes to the budget", async () => {
      await withLog(factory, { maxTotalBytes: 10_000 }, async (log) => {
        await log.append("s", "a", "x".repeat(4_000));
        await log.append("t", "a", "y".repeat(4_000));
        await log.deleteSession("s");
        await log.append("u", "a", "z".repeat(4_000));
        assert.equal(await held(log, "t", "a"), 1, "room freed by the delete is reused");
        assert.equal(await held(log, "u", "a"), 1);
      });
    });
  });
}
