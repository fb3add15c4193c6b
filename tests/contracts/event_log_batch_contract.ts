/**
 * The part of the `EventLog` contract about events written together (`appendMany`) under the
 * bounds: a resume from inside a batch gets the rest of it, and every bound that sheds the oldest
 * events cuts into a batch where it must, keeping the newest of it with the ids they were given.
 * Logs that store a batch as one record (Postgres, from schema 6) split it; the others shed event
 * by event, and the two must not differ. Run by event_log_contract.ts for a log that claims both
 * `appendMany` and bounds. Not a test file itself.
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EventLog } from "../../src/storage/mod.ts";
import type { BoundedEventLogFactory, EventLogBounds } from "./event_log_contract.ts";

/** Runs the batch part of the contract against logs made by `factory`. */
export function describeEventLogBatches(name: string, factory: BoundedEventLogFactory): void {
  describe(`EventLog contract (batches): ${name}`, () => {
    it("a resume from inside a batch replays the rest of it, then what followed", async () => {
      await withLog(factory, {}, async (log, many) => {
        await log.open("s", "a");
        const first = await many("s", "a", ["a", "b", "c", "d"]);
        const second = await many("s", "a", ["e", "f"]);
        const last = await log.append("s", "a", "g");
        const after = async (id: string) =>
          (await log.replayAfter("s", id))?.events.map((e) => e.data).join("");
        assert.equal(await after(first[1]), "cdefg");
        assert.equal(await after(first[3]), "efg", "from a batch's last event");
        assert.equal(await after(second[0]), "fg");
        assert.equal(await after(last), "");
        const replay = await log.replayAfter("s", first[2]);
        assert.deepEqual(replay?.events.map((e) => e.id), [first[3], ...second, last]);
        assert.equal(replay?.gap, undefined);
      });
    });

    it("maxEventsPerStream keeps the newest events of a batch, with their ids", async () => {
      await withLog(factory, { maxEventsPerStream: 3 }, async (log, many) => {
        await log.open("s", "a");
        const first = await many("s", "a", ["e0", "e1", "e2", "e3", "e4"]);
        let replay = await log.replayAfter("s", "a:0");
        assert.deepEqual(replay?.events.map((e) => e.data), ["e2", "e3", "e4"]);
        assert.deepEqual(replay?.events.map((e) => e.id), first.slice(2));
        assert.equal(replay?.gap, true, "e0 and e1 are gone");
        const second = await many("s", "a", ["e5", "e6"]);
        replay = await log.replayAfter("s", first[4]);
        assert.deepEqual(replay?.events.map((e) => e.id), second);
        assert.equal(replay?.gap, undefined);
        assert.deepEqual(
          (await log.replayAfter("s", first[1]))?.events.map((e) => e.data),
          ["e4", "e5", "e6"],
        );
      });
    });

    it("maxBytesPerSession takes the oldest events of a batch, then of the next", async () => {
      await withLog(factory, { maxBytesPerSession: 1_000 }, async (log, many) => {
        await log.open("s", "a");
        await many("s", "a", ["x".repeat(400), "y".repeat(400), "z".repeat(400)]);
        const letters = async () =>
          (await log.replayAfter("s", "a:0"))?.events.map((e) => e.data[0]).join("");
        assert.equal(await letters(), "yz", "1,200 bytes in one batch: its first event goes");
        await many("s", "a", ["w".repeat(150)]);
        assert.equal(await letters(), "yzw", "950 bytes fit");
        await many("s", "a", ["v".repeat(100)]);
        assert.equal(await letters(), "zwv", "1,050 bytes: the cut batch's first left goes");
      });
    });

    it("the whole log's budget cuts a running stream's batch, and no resume crosses the cut", async () => {
      await withLog(factory, { maxTotalBytes: 1_000 }, async (log, many) => {
        await log.open("s", "a");
        const first = await many("s", "a", ["a".repeat(300), "b".repeat(300), "c".repeat(300)]);
        const last = await many("s", "a", ["d".repeat(300)]);
        assert.equal(await log.replayAfter("s", "a:0"), undefined, "the first event was lost");
        const replay = await log.replayAfter("s", first[0]);
        assert.deepEqual(replay?.events.map((e) => e.id), [first[1], first[2], ...last]);
        assert.equal(replay?.gap, undefined);
      });
    });
  });
}

/** Runs `body` on a log made with `bounds` (its `appendMany` handed over), closing it after. */
async function withLog(
  factory: BoundedEventLogFactory,
  bounds: EventLogBounds,
  body: (
    log: EventLog,
    many: (session: string, stream: string, data: string[]) => Promise<string[]>,
  ) => Promise<void>,
): Promise<void> {
  const log = await factory(bounds);
  try {
    assert.equal(typeof log.appendMany, "function", "claimed: appendMany");
    await body(log, (session, stream, data) => log.appendMany!(session, stream, data));
  } finally {
    await (log as { close?: () => Promise<void> }).close?.();
  }
}
