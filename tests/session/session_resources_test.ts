/**
 * ctx.session.resource(): one instance per (session, key), concurrent first
 * uses share one creation, and disposal on every path that ends a session:
 * DELETE, idle expiry (sweep), expiry found on lookup, the sweep at the cap,
 * close(). A failing disposal is reported; a hanging one does not block.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, type McpHandler } from "../../mod.ts";
import {
  bodilessRequest,
  initialize,
  makeHandler,
  rpc,
  TestClock,
  type TestSession,
  until,
} from "../helpers.ts";

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
            await new Promise((resolve) => setTimeout(resolve, 5));
            const id = `${ctx.session!.id.slice(0, 6)}#${probe.opened}`;
            return {
              id,
              async [Symbol.asyncDispose]() {
                probe.disposed.push(id);
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

  it("close() disposes everything; a failing disposal is reported, a hanging one does not block", async () => {
    const errors: unknown[] = [];
    const handler = makeHandler({
      onError: (error) => errors.push(error),
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
