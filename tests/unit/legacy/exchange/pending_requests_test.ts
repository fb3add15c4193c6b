/** Server→client requests waiting for the client's reply. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PendingRequests } from "../../../../src/legacy/exchange/pending_requests.ts";
import { McpError } from "../../../../src/jsonrpc/error_codes.ts";
import { sleep } from "../../../helpers.ts";

const LONG = { timeoutMs: 60_000 };

function isRequestFailed(pattern?: RegExp) {
  return (error: unknown) =>
    error instanceof McpError && error.code === -32003 &&
    (pattern === undefined || pattern.test(error.message));
}

async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < 5; i++) await sleep(0);
  return !settled;
}

describe("PendingRequests", () => {
  it("a reply from the right session and principal resolves the wait with its result", async () => {
    const pending = new PendingRequests();
    const wait = pending.wait("s1", "r1", "alice", LONG);
    assert.equal(pending.size, 1);
    assert.equal(
      pending.deliver("s1", "alice", { jsonrpc: "2.0", id: "r1", result: { action: "accept" } }),
      true,
    );
    assert.deepEqual(await wait, { action: "accept" });
    assert.equal(pending.size, 0);
  });

  it("a reply from another principal is ignored, and the right one still resolves it", async () => {
    const pending = new PendingRequests();
    const wait = pending.wait("s1", "r1", "alice", LONG);
    assert.equal(
      pending.deliver("s1", "mallory", { jsonrpc: "2.0", id: "r1", result: { forged: true } }),
      false,
    );
    assert.equal(await isPending(wait), true);
    pending.deliver("s1", "alice", { jsonrpc: "2.0", id: "r1", result: { real: true } });
    assert.deepEqual(await wait, { real: true });
  });

  it("a reply on another session is ignored", async () => {
    const pending = new PendingRequests();
    const wait = pending.wait("s1", "r1", "alice", LONG);
    assert.equal(pending.deliver("s2", "alice", { jsonrpc: "2.0", id: "r1", result: {} }), false);
    assert.equal(
      pending.deliver("s1", "alice", {
        jsonrpc: "2.0",
        id: null,
        error: { code: 1, message: "x" },
      }),
      false,
    );
    assert.equal(await isPending(wait), true);
    pending.rejectAll("cleanup");
    await assert.rejects(wait);
  });

  it("an error reply rejects with -32003 carrying the client's error", async () => {
    const pending = new PendingRequests();
    const wait = pending.wait("s1", 5, "alice", LONG);
    pending.deliver("s1", "alice", {
      jsonrpc: "2.0",
      id: 5,
      error: { code: -1, message: "user said no" },
    });
    await assert.rejects(wait, (error: unknown) => {
      assert.ok(error instanceof McpError);
      assert.equal(error.code, -32003);
      assert.match(error.message, /user said no/);
      assert.deepEqual(error.data, { code: -1, message: "user said no" });
      return true;
    });
  });

  it("a second reply to the same request is not delivered", async () => {
    const pending = new PendingRequests();
    const wait = pending.wait("s1", "r1", "alice", LONG);
    assert.equal(
      pending.deliver("s1", "alice", { jsonrpc: "2.0", id: "r1", result: { n: 1 } }),
      true,
    );
    assert.equal(
      pending.deliver("s1", "alice", { jsonrpc: "2.0", id: "r1", result: { n: 2 } }),
      false,
    );
    assert.deepEqual(await wait, { n: 1 });
  });

  it("times out with -32003", async () => {
    const pending = new PendingRequests();
    await assert.rejects(
      pending.wait("s1", "r1", "alice", { timeoutMs: 5 }),
      isRequestFailed(/5 ms/),
    );
    assert.equal(pending.size, 0);
  });

  it("an abort rejects the wait", async () => {
    const pending = new PendingRequests();
    const controller = new AbortController();
    const wait = pending.wait("s1", "r1", "alice", {
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(wait, isRequestFailed(/aborted/));
    assert.equal(pending.size, 0);
  });

  it("an already-aborted signal rejects at once", async () => {
    const pending = new PendingRequests();
    await assert.rejects(
      pending.wait("s1", "r1", "alice", { timeoutMs: 60_000, signal: AbortSignal.abort() }),
      isRequestFailed(),
    );
    assert.equal(pending.size, 0);
  });

  it("rejectSession rejects only that session's waits", async () => {
    const pending = new PendingRequests();
    const a = pending.wait("s1", "r1", "alice", LONG);
    const b = pending.wait("s2", "r1", "alice", LONG);
    pending.rejectSession("s1", "The session ended");
    await assert.rejects(a, isRequestFailed(/session ended/));
    assert.equal(await isPending(b), true);
    pending.rejectAll("closing");
    await assert.rejects(b, isRequestFailed(/closing/));
  });

  it("nextId gives unique ids", () => {
    const pending = new PendingRequests();
    const ids = new Set(Array.from({ length: 100 }, () => pending.nextId()));
    assert.equal(ids.size, 100);
  });
});
