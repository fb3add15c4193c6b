/**
 * ctx.session.resource(): one instance per (session, key), concurrent first
 * uses share one creation, and disposal on every path that ends a session:
 * DELETE, idle and absolute expiry (the sweep), expiry found on lookup, the
 * sweep at the cap, close(). A failing disposal is reported; a hanging one
 * (or an open that never settles) is given up after a bound.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, type McpEvent, type McpHandler } from "../../../../mod.ts";
import { SessionResources } from "../../../../src/legacy/sessions/session_resources.ts";
import {
  bodilessRequest,
  deferred,
  initialize,
  makeHandler,
  rpc,
  sleep,
  TestClock,
  type TestSession,
  until,
  VirtualScheduler,
  within,
} from "../../../helpers.ts";

interface Probe {
  opened: number;
  disposed: string[];
}

function setup(options: Parameters<typeof makeHandler>[0] = {}) {
  const probe: Probe = { opened: 0, disposed: [] };
  const handler = makeHandler({
    ...options,
    tools: [
      defineTool({
        name: "use",
        handler: async (_input, ctx) => {
          const resource = await ctx.session!.resource("conn", async () => {
            probe.opened++;
            await sleep(5);
            const id = `${ctx.session!.id.slice(0, 6)}#${probe.opened}`;
            return {
              id,
              [Symbol.asyncDispose]() {
                probe.disposed.push(id);
                return Promise.resolve();
              },
            };
          });
          return resource.id;
        },
      }),
      defineTool({
        name: "use-closeable",
        handler: async (_input, ctx) => {
          const resource = await ctx.session!.resource(
            "closeable",
            () => ({ close: () => void probe.disposed.push("closed") }),
          );
          return typeof resource.close;
        },
      }),
    ],
  });
  return { handler, probe };
}

async function use(handler: McpHandler, session: TestSession): Promise<string> {
  return (await rpc(handler, session, "tools/call", { name: "use" })).message.result.content[0]
    .text;
}

describe("per-session resources", () => {
  it("one per session and key; concurrent first uses share one creation; sessions do not share", async () => {
    const { handler, probe } = setup();
    try {
      const a = await initialize(handler);
      const b = await initialize(handler);
      const [first, second] = await Promise.all([use(handler, a), use(handler, a)]);
      assert.equal(first, second);
      assert.equal(await use(handler, a), first);
      assert.notEqual(await use(handler, b), first);
      assert.equal(probe.opened, 2);
    } finally {
      await handler.close();
    }
  });

  it("DELETE disposes the session's resources (asyncDispose, close())", async () => {
    const { handler, probe } = setup();
    try {
      const a = await initialize(handler);
      const id = await use(handler, a);
      await rpc(handler, a, "tools/call", { name: "use-closeable" });
      const deleted = await handler(
        bodilessRequest("DELETE", { sessionId: a.id, protocolVersion: a.protocolVersion }),
      );
      assert.equal(deleted.status, 204);
      await until(() => probe.disposed.length === 2, "both resources to be disposed");
      assert.deepEqual(probe.disposed.sort(), ["closed", id].sort());
    } finally {
      await handler.close();
    }
  });

  it("idle expiry (the sweep at the cap) and expiry found on lookup dispose them", async () => {
    const clock = new TestClock();
    const { handler, probe } = setup({
      now: clock.now,
      sessions: { idleTtlMs: 1_000, maxSessions: 1 },
    });
    try {
      const a = await initialize(handler);
      const id = await use(handler, a);
      clock.advance(2_000);
      // Expiry found on lookup: the session answers 404 and its local resources go.
      assert.equal((await rpc(handler, a, "tools/call", { name: "use" })).status, 404);
      await until(
        () => probe.disposed.includes(id),
        "the expired session's resource to be disposed",
      );
      // The cap: a full store sweeps the expired record before refusing.
      const b = await initialize(handler);
      const second = await use(handler, b);
      clock.advance(2_000);
      await initialize(handler);
      await until(
        () => probe.disposed.includes(second),
        "the swept session's resource to be disposed",
      );
    } finally {
      await handler.close();
    }
  });

  it("idle and absolute expiry found by the periodic sweep dispose them (injected clock)", async () => {
    const clock = new TestClock();
    const ended: [string, string][] = [];
    const { handler, probe } = setup({
      now: clock.now,
      observe: {
        onEvent: (event: McpEvent) => {
          if (event.type === "session-ended") ended.push([event.sessionId, event.reason]);
        },
      },
      sessions: { idleTtlMs: 1_000, absoluteTtlMs: 1_500, sweepIntervalMs: 5 },
    });
    try {
      const idle = await initialize(handler);
      const absolute = await initialize(handler);
      const idleResource = await use(handler, idle);
      const absoluteResource = await use(handler, absolute);
      clock.advance(800);
      assert.equal(await use(handler, absolute), absoluteResource); // touched: only the absolute TTL ends it now
      clock.advance(300);
      await until(() => probe.disposed.includes(idleResource), "the idle session's resource");
      assert.ok(!probe.disposed.includes(absoluteResource), "a live session keeps its resource");
      clock.advance(500);
      await until(
        () => probe.disposed.includes(absoluteResource),
        "the absolute-expired session's resource",
      );
      assert.deepEqual(ended, [[idle.id, "idle"], [absolute.id, "absolute"]]);
      assert.equal(probe.opened, 2);
    } finally {
      await handler.close();
    }
  });

  it("a failed creation is not kept: concurrent first uses share the failure, the next use opens again", async () => {
    let attempts = 0;
    let failing = true;
    const handler = makeHandler({
      tools: [defineTool({
        name: "flaky",
        handler: async (_input, ctx) => {
          const value = await ctx.session!.resource("flaky", async () => {
            attempts++;
            await sleep(5);
            if (failing) throw new Error("upstream down");
            return { attempt: attempts };
          });
          return String(value.attempt);
        },
      })],
    });
    try {
      const a = await initialize(handler);
      const call = () => rpc(handler, a, "tools/call", { name: "flaky" });
      const failed = await Promise.all([call(), call()]);
      for (const outcome of failed) assert.equal(outcome.message.result.isError, true);
      assert.equal(attempts, 1, "one creation for both");
      failing = false;
      assert.equal((await call()).message.result.content[0].text, "2");
      assert.equal((await call()).message.result.content[0].text, "2", "kept once it succeeded");
      assert.equal(attempts, 2);
    } finally {
      await handler.close();
    }
  });

  it("close() disposes everything; a failing disposal is reported, a hanging one does not block", async () => {
    const errors: unknown[] = [];
    // The disposal bound (5 s) elapses on this clock, not in real time.
    const scheduler = new VirtualScheduler();
    const handler = makeHandler({
      scheduler,
      observe: { onError: (error) => errors.push(error) },
      tools: [defineTool({
        name: "bad",
        handler: async (_input, ctx) => {
          await ctx.session!.resource("fails", () => 1, {
            dispose: () => {
              throw new Error("dispose failed");
            },
          });
          await ctx.session!.resource("hangs", () => 2, { dispose: () => new Promise(() => {}) });
          return "held";
        },
      })],
    });
    const a = await initialize(handler);
    assert.equal(
      (await rpc(handler, a, "tools/call", { name: "bad" })).message.result.content[0].text,
      "held",
    );
    const started = Date.now();
    await handler.close();
    assert.ok(
      errors.some((error) => String(error).includes("dispose failed")),
      "the failure is reported",
    );
    assert.ok(
      errors.some((error) => String(error).includes("not disposed within")),
      "the hang is reported",
    );
    assert.ok(Date.now() - started < 15_000, "close() is bounded");
    assert.ok(scheduler.time >= 5_000, "the hanging disposal was given up at its bound");
  });

  it("a session that has ended gets no new resource", async () => {
    const { handler } = setup();
    try {
      const a = await initialize(handler);
      await handler(
        bodilessRequest("DELETE", { sessionId: a.id, protocolVersion: a.protocolVersion }),
      );
      assert.equal((await rpc(handler, a, "tools/call", { name: "use" })).status, 404);
    } finally {
      await handler.close();
    }
  });
});

describe("SessionResources", () => {
  it("a disposal that never resolves and an open that never settles are given up after the bound and reported", async () => {
    const errors: unknown[] = [];
    const resources = new SessionResources((error) => errors.push(error), {
      disposeTimeoutMs: 20,
    });
    await resources.get("s1", "hangs", () => 1, { dispose: () => new Promise(() => {}) });
    void resources.get("s1", "never-opens", () => new Promise<number>(() => {}));
    await within(resources.disposeAll(), 2_000, "disposal to give up");
    assert.equal(resources.holds("s1"), false);
    assert.deepEqual(
      errors.map((error) => /"([^"]+)" .* not disposed within 20 ms/.exec(String(error))?.[1])
        .sort(),
      ["hangs", "never-opens"],
    );
  });

  it("a resource whose open settles after the bound is still disposed, and a late failure reported", async () => {
    const errors: unknown[] = [];
    const resources = new SessionResources((error) => errors.push(error), {
      disposeTimeoutMs: 10,
    });
    const opened = deferred<{ close(): void }>();
    const disposed = deferred();
    void resources.get("s1", "slow", () => opened.promise);
    await resources.disposeSession("s1");
    assert.equal(errors.length, 1, "the bound was reported");
    opened.resolve({ close: () => disposed.resolve() });
    await within(disposed.promise, 2_000, "the late resource to be disposed");

    const failing = deferred<number>();
    void resources.get("s2", "late-failure", () => failing.promise, {
      dispose: () => Promise.reject(new Error("late dispose failed")),
    });
    await resources.disposeSession("s2");
    failing.resolve(1);
    await until(
      () => errors.some((error) => String(error).includes("late dispose failed")),
      "the late failure to be reported",
      2_000,
    );
  });

  it("disposes with the dispose callback when given, else asyncDispose, Symbol.dispose, close(); one failure stops no other", async () => {
    const errors: unknown[] = [];
    const resources = new SessionResources((error) => errors.push(error));
    const calls: string[] = [];
    await resources.get("s1", "callback", () => ({ close: () => calls.push("own close") }), {
      dispose: () => void calls.push("callback"),
    });
    await resources.get("s1", "async", () => ({
      [Symbol.asyncDispose]: () => Promise.resolve(void calls.push("asyncDispose")),
      close: () => calls.push("close instead of asyncDispose"),
    }));
    await resources.get("s1", "sync", () => ({
      [Symbol.dispose]: () => void calls.push("dispose"),
      close: () => calls.push("close instead of dispose"),
    }));
    await resources.get("s1", "close", () => ({ close: () => calls.push("close") }));
    await resources.get("s1", "throws", () => ({
      close: () => {
        throw new Error("close failed");
      },
    }));
    await resources.get("s1", "plain", () => 42);
    await resources.get("s1", "undefined", () => undefined, {
      dispose: () => void calls.push("undefined disposed"),
    });
    await resources.disposeSession("s1");
    assert.deepEqual(calls.sort(), [
      "asyncDispose",
      "callback",
      "close",
      "dispose",
      "undefined disposed",
    ]);
    assert.deepEqual(errors.map(String), ["Error: close failed"]);
    assert.equal(resources.holds("s1"), false);
  });
});
