/**
 * The task runner alone, over a store whose reads answer late: reads
 * started by the watch timer and by a poke that see the same answer hand it
 * to the waiting tool once, with no error, and the timer never stacks reads.
 * Over a store that is down: one report per outage, whatever the number of
 * tasks and ticks, and one when it answers again.
 */

import assert from "node:assert/strict";
import { it } from "node:test";
import { ANONYMOUS_PRINCIPAL } from "../../../../mod.ts";
import type { RequestContext } from "../../../../src/types/mod.ts";
import { MemoryTaskStore } from "../../../../src/extensions/tasks/mod.ts";
import {
  TaskRunner,
  TaskStoreRecoveredError,
} from "../../../../src/extensions/tasks/task_runner.ts";
import { Faults, faulty } from "../../../faulty_storage.ts";
import { sleep, until, within } from "../../../helpers.ts";

const base: RequestContext = {
  protocolVersion: "2026-07-28",
  clientCapabilities: { elicitation: {} },
  principal: ANONYMOUS_PRINCIPAL,
  signal: new AbortController().signal,
  notify: () => Promise.resolve(),
  setLogLevel: () => Promise.resolve(),
  subscribe: () => Promise.resolve(),
  unsubscribe: () => Promise.resolve(),
};

it("hands an answer read by a tick and a poke at once to the tool exactly once, without errors", async () => {
  const faults = new Faults();
  const store = faulty(new MemoryTaskStore(), faults);
  const errors: unknown[] = [];
  const runner = new TaskRunner({
    store,
    maxResultBytes: 10_000,
    watchIntervalMs: 5,
    leaseMs: 60_000,
    now: Date.now,
    onError: (error) => errors.push(error),
  });
  const now = Date.now();
  const task = {
    taskId: "t1",
    ownerKey: "anonymous",
    status: "working" as const,
    createdAt: now,
    lastUpdatedAt: now,
    ttlMs: 60_000,
    pollIntervalMs: 100,
  };
  await store.create(task, 10);
  const answers: unknown[] = [];
  runner.start(task, base, async (ctx) => {
    const answer = await ctx.request!("elicitation/create", { message: "?" }, { key: "k" });
    answers.push(answer);
    return { content: [{ type: "text", text: "done" }] };
  });
  await until(async () => (await store.get("t1"))?.status === "input_required", "the ask");
  await store.change("t1", { type: "answer", responses: { k: { action: "accept" } } });
  faults.set("get", "late");
  await until(() => faults.heldCount >= 1, "a tick's read to be held");
  const poked = runner.poke("t1");
  await until(() => faults.heldCount >= 2, "the poke's read to be held");
  // Ticks keep firing while the first read is held: none of them reads again.
  await sleep(30);
  assert.equal(faults.heldCount, 2, "one tick read and one poke read, no stacked reads");
  faults.clear();
  faults.release();
  await within(poked, 3_000, "the poke");
  await until(async () => (await store.get("t1"))?.status === "completed", "the task to complete");
  assert.deepEqual(answers, [{ action: "accept" }]);
  assert.deepEqual(errors, []);
  runner.close();
});

it("a task store that is down is reported once per outage, not per task per tick, and once when it is back", async () => {
  const faults = new Faults();
  const store = faulty(new MemoryTaskStore(), faults);
  const errors: unknown[] = [];
  const runner = new TaskRunner({
    store,
    maxResultBytes: 10_000,
    watchIntervalMs: 1,
    leaseMs: 60_000,
    now: Date.now,
    onError: (error) => errors.push(error),
  });
  const now = Date.now();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => finish = resolve);
  const ids = Array.from({ length: 20 }, (_, i) => `t${i}`);
  for (const taskId of ids) {
    const task = {
      taskId,
      ownerKey: "anonymous",
      status: "working" as const,
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs: 60_000,
      pollIntervalMs: 100,
    };
    await store.create(task, 100);
    runner.start(task, base, async () => {
      await finished;
      return { content: [{ type: "text", text: "done" }] };
    });
  }
  const reads = () => faults.failed.filter((method) => method === "get").length;
  faults.set("get", "reject");
  faults.set("change", "reject");
  await until(() => reads() >= 200, "ten ticks of twenty failed reads");
  assert.equal(errors.length, 1, "one report for the outage");
  faults.clear();
  await until(() => errors.length === 2, "the report that the store is back");
  assert.ok(errors[1] instanceof TaskStoreRecoveredError);
  // A second outage is reported again, once; the tasks ending in it (their settles fail) add nothing.
  faults.set("get", "reject");
  faults.set("change", "reject");
  await until(() => reads() >= 400, "ten more ticks of failed reads");
  finish();
  await until(() => runner.size === 0, "the tasks to end");
  assert.ok(faults.failed.filter((method) => method === "change").length >= 20);
  assert.equal(errors.length, 3);
  assert.equal((errors[2] as Error).message, "storage down (get)");
  runner.close();
});
