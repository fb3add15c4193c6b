/**
 * The contract every `TaskStore` must meet, run by each implementation with
 * its own factory: `describeTaskStore(name, factory)`. It pins what the tasks
 * extension relies on: durable create, copies out, the per-owner cap (bounded
 * storage), expiry by the injected clock, the status machine (ask, answer in
 * parts, take, settle once; a terminal task never changes), atomic
 * concurrent changes, listing by owner (without results), finished tasks
 * free their place under the per-owner cap, the total result budget
 * (a result that does not fit fails its task; kept ones stay), and each
 * principal's share of it (a quarter by default; every anonymous owner is
 * one principal; a full share fails only that principal's results, and its
 * bytes come back when they expire or a racing writer loses). Not a test
 * file itself.
 * @module
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  RESULT_BUDGET_FULL,
  type StoredTask,
  type TaskStore,
} from "../../src/extensions/tasks/mod.ts";

/** The bounds a test asks of the store it makes. */
export interface TaskStoreBounds {
  /** The store's total result budget, bytes. */
  maxTotalResultBytes?: number;
  /** The store's total cap on tasks. */
  maxTasks?: number;
  /** One principal's share of the result budget, bytes. */
  maxResultBytesPerPrincipal?: number;
}

/**
 * Makes a fresh, empty store whose clock is `now` and, when given, with
 * `bounds` (disposed after the test).
 */
export type TaskStoreFactory = (
  now: () => number,
  bounds?: TaskStoreBounds,
) => TaskStore | Promise<TaskStore>;

/** A tool result whose JSON is `bytes` long (ASCII). */
function resultOf(bytes: number): Record<string, unknown> {
  const empty = JSON.stringify({ content: [{ type: "text", text: "" }] }).length;
  return { content: [{ type: "text", text: "x".repeat(bytes - empty) }] };
}

function task(taskId: string, ownerKey = "user:alice", createdAt = 1_000): StoredTask {
  return {
    taskId,
    ownerKey,
    status: "working",
    createdAt,
    lastUpdatedAt: createdAt,
    ttlMs: 60_000,
    pollIntervalMs: 500,
  };
}

const ASK = { method: "elicitation/create", params: { message: "Sure?" } };

/** Settles `taskId` completed with a result of `bytes`; the status it ends in. */
async function settle(store: TaskStore, taskId: string, bytes: number) {
  const settled = await store.change(taskId, {
    type: "settle",
    status: "completed",
    result: resultOf(bytes),
  });
  return settled?.status;
}

/**
 * Settles `taskId` completed with a result of `bytes` and checks that the
 * result is refused: the task is failed with {@linkcode RESULT_BUDGET_FULL}
 * and no result, as the change returns it and as it is stored.
 */
async function assertRefused(store: TaskStore, taskId: string, bytes: number): Promise<void> {
  const refused = await store.change(taskId, {
    type: "settle",
    status: "completed",
    result: resultOf(bytes),
  });
  for (const seen of [refused, await store.get(taskId)]) {
    assert.equal(seen?.status, "failed");
    assert.equal(seen?.result, undefined);
    assert.deepEqual(seen?.error, { code: -32603, message: RESULT_BUDGET_FULL });
  }
}

/** Runs the TaskStore contract against stores made by `factory`. */
export function describeTaskStore(name: string, factory: TaskStoreFactory): void {
  describe(`TaskStore contract: ${name}`, () => {
    async function withStore(
      body: (store: TaskStore, clock: { now: number }) => Promise<void>,
      bounds?: TaskStoreBounds,
    ): Promise<void> {
      const clock = { now: 1_000 };
      const store = await factory(() => clock.now, bounds);
      try {
        await body(store, clock);
      } finally {
        await store.close?.();
      }
    }

    it("creates a task that get finds at once; an unknown id is undefined", () =>
      withStore(async (store) => {
        assert.equal(await store.create(task("a"), 10), true);
        assert.deepEqual(await store.get("a"), task("a"));
        assert.equal(await store.get("nope"), undefined);
      }));

    it("hands out copies: changing what get returned changes nothing stored", () =>
      withStore(async (store) => {
        await store.create(task("a"), 10);
        const copy = (await store.get("a"))!;
        copy.status = "completed";
        assert.equal((await store.get("a"))?.status, "working");
      }));

    it("refuses a task past the owner's cap, and counts owners apart", () =>
      withStore(async (store) => {
        assert.equal(await store.create(task("a1"), 2), true);
        assert.equal(await store.create(task("a2"), 2), true);
        assert.equal(await store.create(task("a3"), 2), false);
        assert.equal(await store.get("a3"), undefined);
        assert.equal(await store.create(task("b1", "user:bob"), 2), true);
      }));

    it("forgets a task once its TTL has passed, which frees its place under the cap", () =>
      withStore(async (store, clock) => {
        await store.create(task("a"), 1);
        clock.now = 1_000 + 60_000 - 1;
        assert.equal((await store.get("a"))?.taskId, "a", "kept for all of its TTL");
        clock.now = 1_000 + 60_000;
        assert.equal(await store.get("a"), undefined);
        assert.equal(await store.change("a", { type: "settle", status: "cancelled" }), undefined);
        assert.deepEqual(await store.list("user:alice"), []);
        assert.equal(await store.create(task("b", "user:alice", clock.now), 1), true);
      }));

    it("asks, takes partial answers, and returns to working when all are answered", () =>
      withStore(async (store, clock) => {
        await store.create(task("a"), 10);
        clock.now = 2_000;
        await store.change("a", { type: "ask", key: "one", request: ASK });
        const asked = await store.change("a", { type: "ask", key: "two", request: ASK });
        assert.equal(asked?.status, "input_required");
        assert.deepEqual(Object.keys(asked?.inputRequests ?? {}).sort(), ["one", "two"]);
        assert.equal(asked?.lastUpdatedAt, 2_000);
        const partial = await store.change("a", {
          type: "answer",
          responses: { one: { action: "accept" }, unknown: { action: "accept" } },
        });
        assert.equal(partial?.status, "input_required");
        assert.deepEqual(Object.keys(partial?.inputRequests ?? {}), ["two"]);
        assert.deepEqual(partial?.inputResponses, { one: { action: "accept" } });
        const all = await store.change("a", {
          type: "answer",
          responses: { two: { action: "decline" } },
        });
        assert.equal(all?.status, "working");
        assert.equal(all?.inputRequests, undefined);
        const taken = await store.change("a", { type: "take", keys: ["one", "two"] });
        assert.equal(taken?.inputResponses, undefined);
      }));

    it("settles once: a terminal task never changes again", () =>
      withStore(async (store) => {
        await store.create(task("a"), 10);
        const cancelled = await store.change("a", { type: "settle", status: "cancelled" });
        assert.equal(cancelled?.status, "cancelled");
        const late = await store.change("a", {
          type: "settle",
          status: "completed",
          result: { content: [] },
        });
        assert.equal(late?.status, "cancelled");
        assert.equal(late?.result, undefined);
        assert.equal(
          (await store.change("a", { type: "ask", key: "k", request: ASK }))?.status,
          "cancelled",
        );
        assert.equal((await store.get("a"))?.status, "cancelled");
      }));

    it("renews the lease of an unfinished task only, and a settled task has none", () =>
      withStore(async (store) => {
        await store.create({ ...task("a"), leaseUntil: 2_000 }, 10);
        assert.equal(
          (await store.change("a", { type: "renew", leaseUntil: 9_000 }))?.leaseUntil,
          9_000,
        );
        const settled = await store.change("a", { type: "settle", status: "completed" });
        assert.equal(settled?.leaseUntil, undefined);
        const late = await store.change("a", { type: "renew", leaseUntil: 12_000 });
        assert.equal(late?.leaseUntil, undefined);
      }));

    it("keeps a completed task's result and a failed task's error", () =>
      withStore(async (store) => {
        await store.create(task("ok"), 10);
        await store.create(task("bad"), 10);
        const result = { content: [{ type: "text", text: "done" }] };
        await store.change("ok", { type: "settle", status: "completed", result });
        const error = { code: -32603, message: "broke" };
        await store.change("bad", { type: "settle", status: "failed", error });
        assert.deepEqual((await store.get("ok"))?.result, result);
        assert.deepEqual((await store.get("bad"))?.error, error);
      }));

    it("applies concurrent changes atomically: no ask is lost", () =>
      withStore(async (store) => {
        await store.create(task("a"), 10);
        const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
        await Promise.all(
          keys.map((key) => store.change("a", { type: "ask", key, request: ASK })),
        );
        assert.deepEqual(Object.keys((await store.get("a"))?.inputRequests ?? {}).sort(), keys);
      }));

    it("lists an owner's live tasks, oldest first, and no one else's", () =>
      withStore(async (store) => {
        await store.create(task("late", "user:alice", 1_500), 10);
        await store.create(task("early", "user:alice", 1_000), 10);
        await store.create(task("bobs", "user:bob"), 10);
        assert.deepEqual((await store.list("user:alice")).map((t) => t.taskId), [
          "early",
          "late",
        ]);
        assert.deepEqual(await store.list("user:carol"), []);
      }));

    it("counts only unfinished tasks against the owner's cap: a finished one frees its place", () =>
      withStore(async (store) => {
        assert.equal(await store.create(task("a1"), 2), true);
        assert.equal(await store.create(task("a2"), 2), true);
        assert.equal(await store.create(task("a3"), 2), false);
        await store.change("a1", { type: "settle", status: "completed", result: resultOf(100) });
        await store.change("a2", { type: "settle", status: "cancelled" });
        assert.equal(await store.create(task("a3"), 2), true);
        assert.equal(await store.create(task("a4"), 2), true);
        assert.equal(await store.create(task("a5"), 2), false, "two unfinished again");
        assert.equal((await store.get("a1"))?.status, "completed", "the finished ones are kept");
        assert.deepEqual((await store.list("user:alice")).map((t) => t.taskId), [
          "a1",
          "a2",
          "a3",
          "a4",
        ]);
      }));

    it("refuses a task past the store's total cap, finished ones included", () =>
      withStore(async (store) => {
        assert.equal(await store.create(task("a"), 10), true);
        await store.change("a", { type: "settle", status: "cancelled" });
        assert.equal(await store.create(task("b", "user:bob"), 10), true);
        assert.equal(await store.create(task("c", "user:carol"), 10), false);
      }, { maxTasks: 2 }));

    it("lists tasks without their results; get still has them", () =>
      withStore(async (store) => {
        await store.create(task("a"), 10);
        const result = resultOf(10_000);
        await store.change("a", { type: "settle", status: "completed", result });
        const [listed] = await store.list("user:alice");
        assert.equal(listed.status, "completed");
        assert.equal(listed.result, undefined);
        assert.ok(JSON.stringify(listed).length < 1_000, "the listing carries no result bytes");
        assert.deepEqual((await store.get("a"))?.result, result);
      }));

    it("keeps results within the total budget: one that does not fit fails its task", () =>
      withStore(async (store, clock) => {
        await store.create(task("a", "user:alice", 1_000), 10);
        await store.create(task("b", "user:bob", 1_000), 10);
        const first = resultOf(600);
        const kept = await store.change("a", {
          type: "settle",
          status: "completed",
          result: first,
        });
        assert.equal(kept?.status, "completed");
        await assertRefused(store, "b", 600);
        assert.deepEqual(
          (await store.get("a"))?.result,
          first,
          "a kept result is never pushed out",
        );
        // A small one still fits; once the first expires, its bytes are free again.
        await store.create(task("c", "user:carol", 1_000), 10);
        const small = await store.change("c", {
          type: "settle",
          status: "completed",
          result: resultOf(300),
        });
        assert.equal(small?.status, "completed");
        clock.now = 1_000 + 60_000;
        await store.create(task("d", "user:dave", clock.now), 10);
        const later = await store.change("d", {
          type: "settle",
          status: "completed",
          result: resultOf(600),
        });
        assert.equal(later?.status, "completed");
        assert.equal((await store.get("d"))?.result !== undefined, true);
      }, { maxTotalResultBytes: 1_000, maxResultBytesPerPrincipal: 1_000 }));

    it("keeps the result budget under concurrent settles: never more than fits", () =>
      withStore(async (store) => {
        const ids = Array.from({ length: 6 }, (_, i) => `t${i}`);
        for (const id of ids) await store.create(task(id, `user:${id}`), 10);
        const settled = await Promise.all(
          ids.map((id) =>
            store.change(id, { type: "settle", status: "completed", result: resultOf(300) })
          ),
        );
        assert.equal(settled.filter((t) => t?.status === "completed").length, 3);
        assert.equal(settled.filter((t) => t?.status === "failed").length, 3);
      }, { maxTotalResultBytes: 1_000, maxResultBytesPerPrincipal: 1_000 }));

    it("gives each principal a quarter of the result budget: past it only its results fail", () =>
      withStore(async (store) => {
        for (const id of ["a1", "a2", "a3"]) await store.create(task(id), 10);
        await store.create(task("b1", "user:bob"), 10);
        assert.equal(await settle(store, "a1", 600), "completed");
        // 2,800 bytes of the 4,000 are free, but alice's share (1,000) is not.
        await assertRefused(store, "a2", 600);
        assert.equal(await settle(store, "b1", 600), "completed", "bob still stores");
        assert.equal(await settle(store, "a3", 400), "completed", "alice's share is whole: 1,000");
        assert.deepEqual((await store.get("a1"))?.result, resultOf(600), "kept ones stay");
        assert.deepEqual((await store.get("b1"))?.result, resultOf(600));
      }, { maxTotalResultBytes: 4_000 }));

    it("gives a principal's share back when its results expire", () =>
      withStore(async (store, clock) => {
        await store.create(task("a1"), 10);
        await store.create(task("a2", "user:alice", 30_000), 10);
        assert.equal(await settle(store, "a1", 1_000), "completed");
        clock.now = 30_000;
        assert.equal(await settle(store, "a2", 100), "failed", "the share is full");
        clock.now = 1_000 + 60_000;
        await store.create(task("a3", "user:alice", clock.now), 10);
        assert.equal(await settle(store, "a3", 900), "completed", "a1's 1,000 bytes came back");
        await store.create(task("a4", "user:alice", clock.now), 10);
        assert.equal(await settle(store, "a4", 200), "failed", "a3's 900 bytes count");
      }, { maxTotalResultBytes: 100_000, maxResultBytesPerPrincipal: 1_000 }));

    it("counts every anonymous owner (each anonymous session) as one principal", () =>
      withStore(async (store) => {
        const owners = ["anonymous:aa", "anonymous:bb", "anonymous", "user:bob"];
        for (const [i, owner] of owners.entries()) await store.create(task(`t${i}`, owner), 10);
        assert.equal(await settle(store, "t0", 600), "completed");
        assert.equal(await settle(store, "t1", 600), "failed", "another anonymous session");
        assert.equal(await settle(store, "t2", 600), "failed", "a stateless anonymous caller");
        assert.equal(await settle(store, "t3", 600), "completed", "an account still stores");
      }, { maxTotalResultBytes: 100_000, maxResultBytesPerPrincipal: 1_000 }));

    it("keeps a principal's share under concurrent settles: never more than fits", () =>
      withStore(async (store) => {
        const ids = Array.from({ length: 6 }, (_, i) => `t${i}`);
        for (const id of ids) await store.create(task(id), 10);
        const settled = await Promise.all(ids.map((id) => settle(store, id, 300)));
        assert.equal(settled.filter((status) => status === "completed").length, 3);
        assert.equal(settled.filter((status) => status === "failed").length, 3);
        await store.create(task("b", "user:bob"), 10);
        assert.equal(await settle(store, "b", 900), "completed");
      }, { maxTotalResultBytes: 100_000, maxResultBytesPerPrincipal: 1_000 }));

    it("counts one result once when settles of its task race: the losers give theirs back", () =>
      withStore(async (store) => {
        await store.create(task("a"), 10);
        const raced = await Promise.all(Array.from({ length: 6 }, () => settle(store, "a", 300)));
        assert.deepEqual(raced, Array(6).fill("completed"), "one wins; the rest see it settled");
        await store.create(task("fits"), 10);
        assert.equal(await settle(store, "fits", 100), "completed", "300 + 100 fit in 400");
        await store.create(task("over"), 10);
        assert.equal(await settle(store, "over", 50), "failed", "the winner's 300 still count");
      }, { maxTotalResultBytes: 100_000, maxResultBytesPerPrincipal: 400 }));
  });
}
