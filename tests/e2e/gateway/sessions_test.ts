/**
 * The life of upstream sessions, on an in-memory SDK upstream and an
 * injected clock (no sockets, no sleeping): probed only after the idle
 * period, recreated when the probe fails, closed when the downstream
 * session ends; caps per principal and in all; session-less (2026-07-28)
 * callers share one upstream session per principal until its TTL.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assertHttpError,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  rpc,
  sleep,
  TestClock,
  until,
} from "../../helpers.ts";
import { createGateway, type GatewayOptions } from "../../../src/gateway/mod.ts";
import { contextFor, memorySession, memoryUpstream } from "./memory_upstream.ts";
import type { HandlerContext } from "../../../mod.ts";
import type { CallToolResult } from "../../../src/types/mod.ts";

async function setup(options: Partial<GatewayOptions> = {}) {
  const clock = new TestClock();
  const upstream = memoryUpstream();
  const gateway = await createGateway({
    upstreams: [upstream],
    now: clock.now,
    idleProbeMs: 60_000,
    probeTimeoutMs: 50,
    graceMs: 100,
    ...options,
  });
  const whoami = gateway.definitions().tools.find((tool) => tool.name === "mem_whoami")!;
  const call = async (ctx: HandlerContext) => {
    try {
      const result = await whoami.handler({}, ctx) as CallToolResult;
      return (result.content[0] as { text: string }).text;
    } catch (error) {
      return `error: ${(error as Error).message}`;
    }
  };
  return { clock, upstream, gateway, call };
}

describe("gateway upstream sessions", () => {
  it("reuses without a probe while fresh, pings after idle, recreates when the ping fails", async () => {
    const { clock, upstream, gateway, call } = await setup();
    try {
      const ctx = contextFor({ id: "alice" }, memorySession("s1"));
      assert.equal(await call(ctx), "2", "session 1 is the discovery session");
      clock.advance(59_999);
      assert.equal(await call(ctx), "2");
      assert.equal(upstream.pings, 0, "no probe within the idle period");
      clock.advance(60_000);
      assert.equal(await call(ctx), "2", "a probe answered: reused");
      assert.equal(upstream.pings, 1);
      clock.advance(60_000);
      upstream.mute = true;
      const recreated = call(ctx);
      // The probe times out (50 ms), the mute upstream is dropped; the new session must answer.
      await sleep(0);
      upstream.mute = false;
      assert.equal(await recreated, "3", "recreated after a failed probe");
      assert.equal(upstream.sessions[1].closed, true, "the unanswering session was closed");
      assert.equal(gateway.stats().upstreamSessions, 1);
    } finally {
      await gateway.close();
    }
  });

  it("the downstream session's end closes its upstream session and gives its place back", async () => {
    const { upstream, gateway, call } = await setup();
    try {
      const session = memorySession("s1");
      assert.equal(await call(contextFor({ id: "alice" }, session)), "2");
      assert.equal(gateway.stats().upstreamSessions, 1);
      await session.end();
      assert.equal(upstream.sessions[1].closed, true);
      assert.equal(gateway.stats().upstreamSessions, 0);
    } finally {
      await gateway.close();
    }
    assert.equal(upstream.sessions[0].closed, true, "close() ended the discovery session");
  });

  it("caps upstream sessions per principal and in all, with a retry hint", async () => {
    const { gateway, call } = await setup({ maxSessionsPerPrincipal: 1, maxSessions: 2 });
    try {
      assert.equal(await call(contextFor({ id: "alice" }, memorySession("a1"))), "2");
      assert.match(
        await call(contextFor({ id: "alice" }, memorySession("a2"))),
        /Too many upstream sessions for this caller \(limit 1\); retry after 5s/,
      );
      assert.equal(await call(contextFor({ id: "bob" }, memorySession("b1"))), "3");
      assert.match(
        await call(contextFor({ id: "carol" }, memorySession("c1"))),
        /limit of 2 upstream sessions; retry after 5s/,
      );
    } finally {
      await gateway.close();
    }
  });

  it("without a session: one upstream session per principal, closed after its TTL unused", async () => {
    const { clock, upstream, gateway, call } = await setup({ statelessTtlMs: 300_000 });
    try {
      assert.equal(await call(contextFor({ id: "alice" })), "2");
      assert.equal(
        await call(contextFor({ id: "alice" })),
        "2",
        "shared by the principal's requests",
      );
      assert.equal(await call(contextFor({ id: "bob" })), "3", "never across principals");
      clock.advance(299_999);
      assert.equal(await call(contextFor({ id: "bob" })), "3");
      clock.advance(1);
      assert.equal(await call(contextFor({ id: "bob" })), "3", "bob's was used at 299,999");
      await sleep(0);
      assert.equal(upstream.sessions[1].closed, true, "alice's, unused for the TTL, was closed");
      assert.equal(await call(contextFor({ id: "alice" })), "4", "and a new one opens for her");
    } finally {
      await gateway.close();
    }
  });

  it("refuses at startup two upstreams that offer one name, and two upstreams of one name", async () => {
    await assert.rejects(
      createGateway({ upstreams: [memoryUpstream("a"), memoryUpstream("a")] }),
      /two upstreams are named "a"/,
    );
    await assert.rejects(
      createGateway({
        upstreams: [memoryUpstream("a"), memoryUpstream("b")],
        namespace: (_upstream, name) => name,
      }),
      /upstreams "a" and "b" both offer tool whoami/,
    );
  });

  it("admit() in authenticate answers new sessions 429, then 503, with Retry-After while caps are full", async () => {
    const { gateway } = await setup({ maxSessionsPerPrincipal: 1, maxSessions: 2 });
    const handler = makeHandler({
      ...gateway.definitions(),
      auth: {
        authenticate: (request) => {
          const principal = { id: request.headers.get("x-user") ?? "nobody" };
          gateway.admit(request, principal);
          return principal;
        },
      },
    });
    const open = (user: string) =>
      handler(postRequest(initializeMessage(), { headers: { "x-user": user } }));
    try {
      const alice = await initialize(handler, { headers: { "x-user": "alice" } });
      await rpc(handler, alice, "tools/call", { name: "mem_whoami" });
      const refused = await open("alice");
      assert.equal(refused.headers.get("retry-after"), "5");
      await assertHttpError(refused, 429, {
        message: /too many upstream sessions for this caller/,
      });
      const again = await rpc(handler, alice, "tools/call", { name: "mem_whoami" });
      assert.equal(again.message.result.content[0].text, "2", "her own session still served");
      const bob = await initialize(handler, { headers: { "x-user": "bob" } });
      await rpc(handler, bob, "tools/call", { name: "mem_whoami" });
      const full = await open("carol");
      assert.equal(full.headers.get("retry-after"), "5");
      await assertHttpError(full, 503, { message: /all the upstream sessions/ });
    } finally {
      await handler.close();
      await gateway.close();
    }
  });

  it("a downstream session's idle expiry closes its upstream session (handler clock injected)", async () => {
    const { clock, upstream, gateway } = await setup({ idleProbeMs: 10_000_000 });
    const handler = makeHandler({
      ...gateway.definitions(),
      now: clock.now,
      sessions: { idleTtlMs: 1_000, sweepIntervalMs: 5 },
    });
    try {
      const kept = await initialize(handler);
      const idle = await initialize(handler);
      await rpc(handler, idle, "tools/call", { name: "mem_whoami" });
      await rpc(handler, kept, "tools/call", { name: "mem_whoami" });
      assert.equal(gateway.stats().upstreamSessions, 2);
      clock.advance(800);
      await rpc(handler, kept, "tools/call", { name: "mem_whoami" });
      clock.advance(300);
      await until(() => upstream.sessions[1].closed, "the idle session's upstream session closed");
      assert.equal(upstream.sessions[2].closed, false, "the live session's stays");
      assert.equal(gateway.stats().upstreamSessions, 1);
    } finally {
      await handler.close();
      await gateway.close();
    }
  });

  it("a list change reread after the discovery session died opens a new discovery session", async () => {
    const { upstream, gateway, call } = await setup();
    const handler = makeHandler(gateway.definitions());
    gateway.attach(handler);
    try {
      assert.equal(await call(contextFor({ id: "alice" }, memorySession("s1"))), "2");
      await upstream.drop(1); // the discovery session
      upstream.addTool("late"); // session 2 tells its client; the gateway rereads
      await until(() => handler.tools.definition("mem_late") !== undefined, "mem_late listed");
      assert.equal(upstream.sessions.length, 3, "a new discovery session (3) read the list");
    } finally {
      await handler.close();
      await gateway.close();
    }
  });
});
