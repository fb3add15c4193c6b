/**
 * The contract every `EventLog` must meet, as a test suite any
 * implementation runs with its own factory: `describeEventLog(name,
 * factory)`. It pins what resumability relies on: ids name their stream and
 * grow, a replay returns exactly the events after the given id of that
 * stream only, completion is reported, unknown or malformed ids replay
 * nothing, sessions are isolated, and deleting a session forgets it. Not a
 * test file itself; tests/contracts/*_test.ts run it.
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EventLog } from "../../mod.ts";

/** Makes a fresh, empty log for one test. */
export type EventLogFactory = () => EventLog | Promise<EventLog>;

/** Runs the EventLog contract against logs made by `factory`. */
export function describeEventLog(name: string, factory: EventLogFactory): void {
  describe(`EventLog contract: ${name}`, () => {
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
