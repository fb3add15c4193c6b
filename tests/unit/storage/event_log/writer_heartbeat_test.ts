import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WriterHeartbeat } from "../../../../src/storage/event_log/writer_heartbeat.ts";

describe("WriterHeartbeat", () => {
  it("beats once for every start until it fails, then tries again", async () => {
    let beats = 0;
    let fail = true;
    const heartbeat = new WriterHeartbeat(() => {
      beats++;
      return fail ? Promise.reject(new Error("away")) : Promise.resolve();
    }, 600_000);
    assert.equal(heartbeat.started, false);
    await assert.rejects(heartbeat.start(), /away/);
    assert.equal(heartbeat.started, false, "a failed first beat is not a start");
    fail = false;
    await heartbeat.start();
    await heartbeat.start();
    assert.equal(beats, 2, "the first beat is shared once it succeeded");
    assert.equal(heartbeat.started, true);
    heartbeat.stop();
    assert.equal(heartbeat.started, true, "stopping keeps what was written known");
  });

  it("beats every third of the timeout until stopped", async () => {
    let beats = 0;
    const heartbeat = new WriterHeartbeat(() => Promise.resolve(beats++), 30);
    await heartbeat.start();
    const deadline = Date.now() + 5_000;
    while (beats < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(beats >= 3, `${beats} beats`);
    heartbeat.stop();
    const stopped = beats;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(beats, stopped, "no beat after stop");
  });
});
