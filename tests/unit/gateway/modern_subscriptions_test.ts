/**
 * ModernSubscriptions without sockets: an upstream endpoint whose listen
 * streams the test writes, and downstream sessions of its own. Pins what the
 * end-to-end tests cannot reach reliably: a subscribe never hangs (an
 * unsubscribe while it waits, no acknowledgement in time), an upstream that
 * does not honour the URI or cannot be reached refuses it, anonymous sessions
 * never share a stream, and each stream is POSTed as its own caller.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HandlerContext, Principal } from "../../../src/protocol/context/request_context.ts";
import { ANONYMOUS_PRINCIPAL } from "../../../src/protocol/context/request_context.ts";
import type { ModernEndpoint } from "../../../src/gateway/modern/modern_endpoint.ts";
import { ModernSubscriptions } from "../../../src/gateway/modern/modern_subscriptions.ts";

/** One listen POSTed upstream: who asked, and its stream to write. */
interface Posted {
  principal: Principal;
  uris: unknown;
  signal: AbortSignal;
  /** Writes one JSON-RPC message on the stream. */
  send(message: Record<string, unknown>): void;
  /** Acknowledges `uris` (what the upstream honours). */
  acknowledge(uris: string[]): void;
}

/** An endpoint answering each listen with an SSE stream (or `status`, when given). */
function fakeEndpoint(status?: number): { endpoint: ModernEndpoint; posted: Posted[] } {
  const posted: Posted[] = [];
  const encoder = new TextEncoder();
  const endpoint: ModernEndpoint = {
    protocol: "2026-07-28",
    post(principal, body, _headers, signal) {
      if (status !== undefined) return Promise.resolve(new Response(null, { status }));
      const request = JSON.parse(body) as {
        params: { notifications: { resourceSubscriptions?: unknown } };
      };
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      const send = (message: Record<string, unknown>) => {
        try {
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(message)}\n\n`));
        } catch {
          // Closed by the gateway: nothing to write to.
        }
      };
      posted.push({
        principal,
        uris: request.params.notifications.resourceSubscriptions,
        signal,
        send,
        acknowledge: (uris) =>
          send({
            jsonrpc: "2.0",
            method: "notifications/subscriptions/acknowledged",
            params: { notifications: { resourceSubscriptions: uris } },
          }),
      });
      const headers = { "content-type": "text/event-stream" };
      return Promise.resolve(new Response(stream, { headers }));
    },
  };
  return { endpoint, posted };
}

/** A downstream session's request context, and the session's end. */
function sessionOf(id: string, principal: Principal) {
  const held = new Map<string, { value: unknown; dispose?: (value: never) => unknown }>();
  const session = {
    id,
    resource<T>(key: string, open: () => T, options?: { dispose?: (value: T) => unknown }) {
      if (!held.has(key)) {
        held.set(key, { value: open(), dispose: options?.dispose as (value: never) => unknown });
      }
      return Promise.resolve(held.get(key)!.value as T);
    },
  };
  const ctx = (signal = new AbortController().signal) =>
    ({ principal, session, signal }) as unknown as HandlerContext;
  const end = () => {
    for (const { value, dispose } of held.values()) dispose?.(value as never);
    held.clear();
  };
  return { ctx, end };
}

/** Resolves once `condition` holds; fails after 5 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `promise`, or a rejection after `ms` (the timer cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function subscriptions(options: { timeoutMs?: number; maxStreamsPerPrincipal?: number } = {}) {
  const updates: string[] = [];
  const subscriptions = new ModernSubscriptions({
    maxStreams: 8,
    maxStreamsPerPrincipal: options.maxStreamsPerPrincipal ?? 8,
    timeoutMs: options.timeoutMs ?? 5_000,
    retryMs: 10,
    maxRetryMs: 10,
    onResourceUpdated: (sessionId, uri) => updates.push(`${sessionId} ${uri}`),
  });
  return { subscriptions, updates };
}

const alice: Principal = { id: "alice" };
const bob: Principal = { id: "bob" };

describe("ModernSubscriptions", () => {
  it("a subscribe answers once the upstream acknowledges the URI; updates go to its sessions", async () => {
    const { endpoint, posted } = fakeEndpoint();
    const { subscriptions: subs, updates } = subscriptions();
    const a = sessionOf("a", alice);
    const b = sessionOf("b", bob);
    const waiting = subs.subscribe("up", endpoint, "memo://x", a.ctx());
    await until(() => posted.length === 1, "the listen POSTed");
    posted[0].acknowledge(["memo://x"]);
    await waiting;
    const other = subs.subscribe("up", endpoint, "memo://x", b.ctx());
    await until(() => posted.length === 2, "bob's own listen");
    posted[1].acknowledge(["memo://x"]);
    await other;
    assert.deepEqual(posted.map((p) => [p.principal, p.uris]), [
      [alice, ["memo://x"]],
      [bob, ["memo://x"]],
    ]);
    const update = (uri: string) => ({
      jsonrpc: "2.0",
      method: "notifications/resources/updated",
      params: { uri },
    });
    posted[0].send(update("memo://other")); // not asked for: dropped
    posted[0].send(update("memo://x"));
    await until(() => updates.length === 1, "alice's update relayed");
    assert.deepEqual(updates, ["a memo://x"]);
    subs.close();
    assert.ok(posted.every((p) => p.signal.aborted), "close ends every stream");
  });

  it("an unsubscribe while the subscribe waits refuses it at once and closes the stream", async () => {
    const { endpoint, posted } = fakeEndpoint();
    // Far longer than the deadline below: the refusal is the unsubscribe's, not the timeout's.
    const { subscriptions: subs } = subscriptions({ timeoutMs: 60_000 });
    const a = sessionOf("a", alice);
    const waiting = subs.subscribe("up", endpoint, "memo://x", a.ctx());
    await until(() => posted.length === 1, "the listen POSTed");
    await subs.unsubscribe("up", "memo://x", a.ctx());
    await assert.rejects(within(waiting, 2_000), {
      code: -32603,
      message: 'Upstream "up" is unavailable',
    });
    assert.ok(posted[0].signal.aborted);
    assert.equal(subs.live, 0);
  });

  it("no acknowledgement within timeoutMs refuses the subscribe and frees its place", async () => {
    const { endpoint, posted } = fakeEndpoint();
    const { subscriptions: subs } = subscriptions({ timeoutMs: 20, maxStreamsPerPrincipal: 1 });
    const a = sessionOf("a", alice);
    await assert.rejects(subs.subscribe("up", endpoint, "memo://x", a.ctx()), { code: -32603 });
    assert.equal(subs.live, 0);
    assert.ok(posted[0].signal.aborted);
    // The place is free again: the next subscribe opens a stream.
    const waiting = subs.subscribe("up", endpoint, "memo://y", a.ctx());
    await until(() => posted.length === 2, "a new listen");
    posted[1].acknowledge(["memo://y"]);
    await waiting;
    subs.close();
  });

  it("an upstream that does not honour the URI, or cannot be reached, refuses the subscribe", async () => {
    const { endpoint, posted } = fakeEndpoint();
    const { subscriptions: subs } = subscriptions();
    const a = sessionOf("a", alice);
    const waiting = subs.subscribe("up", endpoint, "memo://x", a.ctx());
    await until(() => posted.length === 1, "the listen POSTed");
    posted[0].acknowledge([]);
    await assert.rejects(waiting, {
      code: -32603,
      message: 'Upstream "up" does not offer updates of this resource',
    });
    assert.equal(subs.live, 0);

    const refusing = fakeEndpoint(429).endpoint;
    await assert.rejects(subs.subscribe("up", refusing, "memo://x", a.ctx()), {
      code: -32603,
      message: 'Upstream "up" is unavailable',
    });
    assert.equal(subs.live, 0);
  });

  it("anonymous sessions never share a stream; they share one place in the bounds", async () => {
    const { endpoint, posted } = fakeEndpoint();
    const { subscriptions: subs } = subscriptions({ maxStreamsPerPrincipal: 2 });
    const sessions = ["s1", "s2", "s3"].map((id) => sessionOf(id, ANONYMOUS_PRINCIPAL));
    for (const [index, session] of sessions.slice(0, 2).entries()) {
      const waiting = subs.subscribe("up", endpoint, "memo://x", session.ctx());
      await until(() => posted.length === index + 1, "a listen of its own");
      posted[index].acknowledge(["memo://x"]);
      await waiting;
    }
    assert.equal(subs.live, 2);
    await assert.rejects(subs.subscribe("up", endpoint, "memo://x", sessions[2].ctx()), {
      code: -32004,
    });
    // A session's end gives its stream back.
    sessions[0].end();
    assert.equal(subs.live, 1);
    assert.ok(posted[0].signal.aborted && !posted[1].signal.aborted);
    subs.close();
  });

  it("a session's end keeps the stream another session of the principal still holds", async () => {
    const { endpoint, posted } = fakeEndpoint();
    const { subscriptions: subs, updates } = subscriptions();
    const a = sessionOf("a", alice);
    const a2 = sessionOf("a2", alice);
    const first = subs.subscribe("up", endpoint, "memo://x", a.ctx());
    await until(() => posted.length === 1, "the listen POSTed");
    posted[0].acknowledge(["memo://x"]);
    await first;
    await subs.subscribe("up", endpoint, "memo://x", a2.ctx());
    assert.equal(posted.length, 1, "one stream for alice");
    a.end();
    assert.equal(subs.live, 1);
    posted[0].send({
      jsonrpc: "2.0",
      method: "notifications/resources/updated",
      params: { uri: "memo://x" },
    });
    await until(() => updates.length === 1, "the update relayed");
    assert.deepEqual(updates, ["a2 memo://x"]);
    a2.end();
    assert.equal(subs.live, 0);
    assert.ok(posted[0].signal.aborted);
  });
});
