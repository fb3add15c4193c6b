import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryEventLog } from "../../../../src/storage/mod.ts";
import { defaultEventLogBudget } from "../../../../src/storage/event_log/memory_budget.ts";

describe("MemoryEventLog byte budget", () => {
  it("drops the oldest events once a session's data passes maxBytesPerSession", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 1_000 });
    await log.open("s", "a");
    const first = await log.append("s", "a", "x".repeat(400));
    await log.append("s", "a", "y".repeat(400));
    await log.append("s", "a", "z".repeat(400)); // 1,200 bytes: the first event must go
    const replay = await log.replayAfter("s", "a:0");
    assert.ok(replay !== undefined);
    assert.deepEqual(replay.events.map((e) => e.data[0]), ["y", "z"]);
    assert.notEqual(replay.events[0].id, first);
  });

  it("trims older streams of the session before the stream being written", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 1_000 });
    await log.append("s", "old", "o".repeat(600));
    await log.append("s", "new", "n".repeat(600));
    assert.deepEqual((await log.replayAfter("s", "old:0"))?.events, []);
    assert.equal((await log.replayAfter("s", "new:0"))?.events.length, 1);
  });

  it("with finished streams emptied before them, the oldest stream holding events goes first", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 1_000 });
    for (let i = 0; i < 10; i++) {
      await log.append("s", `old${i}`, "o".repeat(600)); // each empties the one before
      await log.complete("s", `old${i}`);
    }
    await log.append("s", "x", "x".repeat(300));
    await log.append("s", "y", "y".repeat(300)); // 1,200 bytes: old9 goes
    assert.deepEqual((await log.replayAfter("s", "old9:0"))?.events, []);
    await log.append("s", "z", "z".repeat(500)); // 1,100 bytes: x, the oldest left, goes
    assert.deepEqual((await log.replayAfter("s", "x:0"))?.events, []);
    assert.equal((await log.replayAfter("s", "y:0"))?.events.length, 1);
    assert.equal((await log.replayAfter("s", "z:0"))?.events.length, 1);
  });

  it("a finished stream written again counts, and is trimmed, like any other", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 1_000 });
    await log.append("s", "a", "a".repeat(600));
    await log.complete("s", "a");
    await log.append("s", "b", "b".repeat(600)); // a is emptied
    await log.complete("s", "b");
    await log.append("s", "a", "A".repeat(300)); // a holds again: 900 bytes
    await log.append("s", "c", "c".repeat(300)); // 1,200 bytes: b's event, the oldest, goes
    assert.deepEqual((await log.replayAfter("s", "b:0"))?.events, []);
    assert.deepEqual((await log.replayAfter("s", "a:1"))?.events.map((e) => e.data[0]), ["A"]);
    await log.append("s", "c", "c".repeat(500)); // 1,100 bytes: a's event goes before c's
    assert.deepEqual((await log.replayAfter("s", "a:1"))?.events, []);
    assert.equal((await log.replayAfter("s", "c:0"))?.events.length, 2);
  });

  it("budgets are per session: one session's traffic never evicts another's events", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 1_000 });
    await log.append("quiet", "a", "q".repeat(500));
    for (let i = 0; i < 50; i++) await log.append("noisy", "a", "n".repeat(500));
    assert.equal((await log.replayAfter("quiet", "a:0"))?.events.length, 1);
    assert.equal((await log.replayAfter("noisy", "a:0"))?.events.length, 2);
  });
});

describe("MemoryEventLog global budget (maxTotalBytes)", () => {
  it("holds at most maxTotalBytes across sessions, whatever the number of sessions", async () => {
    const log = new MemoryEventLog({ maxTotalBytes: 10_000 });
    for (let s = 0; s < 200; s++) {
      await log.open(`s${s}`, "a");
      await log.append(`s${s}`, "a", "x".repeat(500));
      await log.complete(`s${s}`, "a");
      assert.ok(
        log.totalBytes <= 10_000,
        `after ${s + 1} sessions the log holds ${log.totalBytes} bytes`,
      );
    }
    // 200 × 500 bytes were written; only the newest fit.
    assert.equal(log.totalBytes, 10_000);
    assert.equal((await log.replayAfter("s199", "a:0"))?.events.length, 1);
    assert.equal(await log.replayAfter("s0", "a:0"), undefined);
  });

  it("evicts finished streams before running ones, least recently written first", async () => {
    const log = new MemoryEventLog({ maxTotalBytes: 1_000 });
    await log.append("s1", "running", "r".repeat(300));
    await log.append("s2", "done-old", "o".repeat(300));
    await log.complete("s2", "done-old");
    await log.append("s3", "done-new", "n".repeat(300));
    await log.complete("s3", "done-new");
    await log.append("s4", "current", "c".repeat(300)); // 1,200 bytes: one 300-byte stream must go
    assert.equal(
      await log.replayAfter("s2", "done-old:0"),
      undefined,
      "the oldest finished stream goes first",
    );
    assert.equal(
      (await log.replayAfter("s1", "running:0"))?.events.length,
      1,
      "a running stream outlives finished ones",
    );
    assert.equal((await log.replayAfter("s3", "done-new:0"))?.events.length, 1);
    assert.equal(log.totalBytes, 900);
  });

  it("a finished stream the session budget emptied stays on record as ended", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 1_000, maxTotalBytes: 1_000 });
    await log.append("s1", "a", "a".repeat(600));
    await log.complete("s1", "a");
    await log.append("s1", "b", "b".repeat(600)); // the session is over: a's event goes
    await log.complete("s1", "b");
    await log.append("s2", "c", "c".repeat(600)); // the process is over: b, finished, goes
    assert.equal(await log.replayAfter("s1", "b:0"), undefined);
    // A client that had all of a is told it has ended; one that had less, that events are gone.
    assert.deepEqual(await log.replayAfter("s1", "a:1"), {
      streamId: "a",
      events: [],
      complete: true,
    });
    assert.equal((await log.replayAfter("s1", "a:0"))?.gap, true);
    assert.equal(log.totalBytes, 600);
  });

  it("a running stream that loses events cannot be resumed from before them", async () => {
    const log = new MemoryEventLog({ maxTotalBytes: 1_000 });
    await log.open("victim", "a");
    const first = await log.append("victim", "a", "v".repeat(600));
    await log.append("other", "b", "o".repeat(600)); // over budget: only the victim's running stream is left to evict
    assert.equal(
      await log.replayAfter("victim", "a:0"),
      undefined,
      "resuming from before the loss would skip an event",
    );
    // Later events of the stream are kept, and a resume from the loss point on works.
    const later = await log.append("victim", "a", "w".repeat(100));
    assert.deepEqual((await log.replayAfter("victim", first))?.events.map((e) => e.id), [later]);
    assert.ok(log.totalBytes <= 1_000);
  });

  it("event ids never repeat after a loss", async () => {
    const log = new MemoryEventLog({ maxTotalBytes: 100 });
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(await log.append("s", "a", "x".repeat(60)));
    assert.equal(ids.size, 50);
  });

  it("deleting a session returns its bytes to the budget", async () => {
    const log = new MemoryEventLog({ maxTotalBytes: 10_000 });
    await log.append("s", "a", "x".repeat(4_000));
    await log.append("t", "a", "y".repeat(4_000));
    await log.deleteSession("s");
    assert.equal(log.totalBytes, 4_000);
    await log.append("u", "a", "z".repeat(4_000));
    assert.equal(
      (await log.replayAfter("t", "a:0"))?.events.length,
      1,
      "room freed by the delete is reused without eviction",
    );
  });

  it("the default budget is derived from the heap: at least 16 MiB, bounded by it", () => {
    const budget = defaultEventLogBudget();
    assert.ok(budget >= 16 * 1024 * 1024, `budget ${budget}`);
    assert.ok(budget <= 4 * 1024 * 1024 * 1024, `budget ${budget}`);
  });

  it("refuses a non-positive bound", () => {
    assert.throws(() => new MemoryEventLog({ maxTotalBytes: 0 }), RangeError);
  });
});
