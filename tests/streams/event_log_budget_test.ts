import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryEventLog } from "../../mod.ts";

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

  it("budgets are per session: one session's traffic never evicts another's events", async () => {
    const log = new MemoryEventLog({ maxBytesPerSession: 1_000 });
    await log.append("quiet", "a", "q".repeat(500));
    for (let i = 0; i < 50; i++) await log.append("noisy", "a", "n".repeat(500));
    assert.equal((await log.replayAfter("quiet", "a:0"))?.events.length, 1);
    assert.equal((await log.replayAfter("noisy", "a:0"))?.events.length, 2);
  });
});
