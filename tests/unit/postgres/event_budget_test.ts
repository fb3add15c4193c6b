/**
 * One instance's watch on the Postgres event budget (src/postgres/event_log/event_log_budget.ts), on
 * a gate that records each statement and answers when told (no sockets): a look every chunk
 * written, and the bytes written while a look runs looked at once they reach a chunk, before
 * their writes resolve.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PostgresGate } from "../../../src/postgres/connection/postgres_gate.ts";
import { EventBudget, lookEvery } from "../../../src/postgres/event_log/event_log_budget.ts";

/** A gate whose statements wait until `answer` is called; `statements` names each one. */
function heldGate() {
  const statements: string[] = [];
  const waiting: ((rows: unknown[]) => void)[] = [];
  const sql = (strings: TemplateStringsArray) => strings.join("?");
  const gate = {
    run(_seam: string, make: (sql: unknown) => string) {
      statements.push(/tether_event_(\w+)/.exec(make(sql))![1]);
      return new Promise((resolve) => waiting.push(resolve));
    },
  } as unknown as PostgresGate;
  /** Answers the oldest statement waiting with `over` bytes over the budget. */
  const answer = async (over: number) => {
    waiting.shift()!([{ over }]);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { gate, statements, answer, waiting };
}

/** Whether `promise` has settled once pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("EventBudget", () => {
  it("looks at the total once a chunk is written, not before", async () => {
    const { gate, statements, answer } = heldGate();
    const budget = new EventBudget({ gate, namespace: "n", maxTotalBytes: 6_400 }); // chunk 100
    assert.equal(lookEvery(6_400), 100);
    await budget.written(99, "s1");
    assert.deepEqual(statements, [], "99 bytes: no look");
    const look = budget.written(1, "s1");
    assert.deepEqual(statements, ["over"]);
    await answer(0);
    assert.equal(await settled(look), true, "nothing over: no eviction");
    assert.deepEqual(statements, ["over"]);
  });

  it("bytes written while a look runs are looked at again before their write resolves", async () => {
    const { gate, statements, answer } = heldGate();
    const budget = new EventBudget({ gate, namespace: "n", maxTotalBytes: 6_400 });
    const first = budget.written(100, "s1");
    assert.deepEqual(statements, ["over"]);
    // Two writes land while the first look has not answered: it may have read the total
    // without them. The first alone is under a chunk; with the second they are one.
    const second = budget.written(60, "s2");
    assert.equal(await settled(second), true, "under a chunk since the look began: no wait");
    const third = budget.written(60, "s3");
    await answer(0);
    assert.equal(await settled(first), true);
    assert.deepEqual(statements, ["over", "over"], "a second look for the bytes written meanwhile");
    assert.equal(await settled(third), false, "waits for the look that sees it");
    await answer(250);
    assert.deepEqual(statements, ["over", "over", "evict"], "over the budget: evicts");
    assert.equal(await settled(third), false);
    await answer(0);
    assert.equal(await settled(third), true);
  });

  it("bytes written while a look runs that stay under a chunk wait for the next write", async () => {
    const { gate, statements, answer } = heldGate();
    const budget = new EventBudget({ gate, namespace: "n", maxTotalBytes: 6_400 });
    const first = budget.written(100, "s1");
    const second = budget.written(40, "s2");
    await answer(0);
    assert.equal(await settled(first), true);
    assert.equal(await settled(second), true, "under a chunk unseen: no second look");
    assert.deepEqual(statements, ["over"]);
    const next = budget.written(60, "s3");
    assert.deepEqual(statements, ["over", "over"], "100 bytes since the look");
    await answer(0);
    assert.equal(await settled(next), true);
  });
});
