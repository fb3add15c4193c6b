/**
 * `SessionClient` (src/client/session_client.ts) over an in-memory peer, the
 * peer's side: its requests given to handlers (a result, an error with its
 * code kept or -32603, -32601 without a handler, `ping` answered `{}`), its
 * cancellation aborting a handler with no answer sent, its notifications
 * with their related request, messages that are not JSON-RPC to `onerror`,
 * and closing (pending requests fail with `ConnectionClosed`, `onclose` once).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectionClosed } from "../../../src/client/rpc_errors.ts";
import { answerTo, connected, named } from "./linked_transport.ts";

describe("SessionClient, the peer's messages", () => {
  it("answers the peer's request with its handler's result", async () => {
    const { client, peer } = await connected();
    const seen: unknown[] = [];
    client.setRequestHandler("sampling/createMessage", (params) => {
      seen.push(params);
      return Promise.resolve({ content: "hi" });
    });
    void peer.send({
      jsonrpc: "2.0",
      id: "s1",
      method: "sampling/createMessage",
      params: { n: 1 },
    });
    assert.deepEqual(await peer.next(answerTo("s1")), {
      jsonrpc: "2.0",
      id: "s1",
      result: { content: "hi" },
    });
    assert.deepEqual(seen, [{ n: 1 }]);
  });

  it("answers a handler's error: its integer code kept, else -32603", async () => {
    const { client, peer } = await connected();
    client.setRequestHandler("coded", () => {
      throw Object.assign(new Error("Bad params"), { code: -32602, data: { why: 1 } });
    });
    client.setRequestHandler("plain", () => Promise.reject(new Error("Broke")));
    client.setRequestHandler("fraction", () => {
      throw Object.assign(new Error("Odd"), { code: 1.5 });
    });
    for (const id of ["coded", "plain", "fraction"]) {
      void peer.send({ jsonrpc: "2.0", id, method: id, params: {} });
    }
    assert.deepEqual((await peer.next(answerTo("coded"))).error, {
      code: -32602,
      message: "Bad params",
      data: { why: 1 },
    });
    assert.deepEqual((await peer.next(answerTo("plain"))).error, {
      code: -32603,
      message: "Broke",
    });
    assert.equal((await peer.next(answerTo("fraction"))).error.code, -32603);
  });

  it("answers -32601 without a handler, and ping with {}", async () => {
    const { peer } = await connected();
    void peer.send({ jsonrpc: "2.0", id: 1, method: "roots/list" });
    void peer.send({ jsonrpc: "2.0", id: 2, method: "ping" });
    assert.equal((await peer.next(answerTo(1))).error.code, -32601);
    assert.deepEqual((await peer.next(answerTo(2))).result, {});
  });

  it("aborts the handler's signal when the peer cancels, and sends no answer", async () => {
    const { client, peer } = await connected();
    let aborted: (reason: unknown) => void = () => {};
    const abortedWith = new Promise((resolve) => aborted = resolve);
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => started = resolve);
    client.setRequestHandler("long", (_params, info) =>
      new Promise((resolve) => {
        info.signal.addEventListener("abort", () => {
          aborted(info.signal.reason);
          resolve({ late: true });
        });
        started();
      }));
    void peer.send({ jsonrpc: "2.0", id: "s9", method: "long", params: {} });
    await running;
    const params = { requestId: "s9", reason: "not needed" };
    void peer.send({ jsonrpc: "2.0", method: "notifications/cancelled", params });
    assert.equal(await abortedWith, "not needed");
    void peer.send({ jsonrpc: "2.0", id: "p", method: "ping" });
    await peer.next(answerTo("p"));
    assert.ok(!peer.received.some(answerTo("s9")));
  });

  it("never starts the handler of a request the peer cancelled first, and sends no answer", async () => {
    const { client, peer } = await connected();
    let ran = false;
    client.setRequestHandler("long", () => (ran = true, Promise.resolve({})));
    // Both delivered at once, before the handler's turn comes.
    peer.deliverNow({ jsonrpc: "2.0", id: "s8", method: "long", params: {} });
    peer.deliverNow({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: "s8", reason: "changed my mind" },
    });
    void peer.send({ jsonrpc: "2.0", id: "p2", method: "ping" });
    await peer.next(answerTo("p2"));
    assert.equal(ran, false);
    assert.ok(!peer.received.some(answerTo("s8")));
  });

  it("gives a notification's params and relatedRequestId to its handler", async () => {
    const { client, peer } = await connected();
    const seen: unknown[] = [];
    const got = new Promise<void>((resolve) =>
      client.setNotificationHandler("notifications/message", (params, info) => {
        seen.push([params, info.relatedRequestId, info.signal.aborted]);
        resolve();
      })
    );
    const message = { jsonrpc: "2.0", method: "notifications/message", params: { level: "info" } };
    void peer.deliver(message, { relatedRequestId: 3 });
    await got;
    assert.deepEqual(seen, [[{ level: "info" }, 3, false]]);
  });

  it("tells onerror of a message that is not JSON-RPC", async () => {
    const { client, peer } = await connected();
    const errors: Error[] = [];
    const told = new Promise<void>((resolve) =>
      client.onerror = (e) => (errors.push(e), resolve())
    );
    void peer.send({ hello: "world" });
    await told;
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /not JSON-RPC/);
  });

  it("on close() fails pending requests with ConnectionClosed and tells onclose once", async () => {
    const { client, peer } = await connected();
    let closes = 0;
    client.onclose = () => closes++;
    const call = client.request("slow", {});
    await peer.next(named("slow"));
    await client.close();
    await assert.rejects(call, (e: unknown) => e instanceof ConnectionClosed);
    await client.close();
    assert.equal(closes, 1);
    await assert.rejects(
      client.request("later", {}),
      (e: unknown) => e instanceof ConnectionClosed,
    );
    await assert.rejects(client.notify("later"), (e: unknown) => e instanceof ConnectionClosed);
  });

  it("fails pending requests when the transport closes by itself", async () => {
    const { client, near, peer } = await connected();
    let closes = 0;
    client.onclose = () => closes++;
    const call = client.request("slow", {});
    await peer.next(named("slow"));
    await near.close();
    await assert.rejects(call, (e: unknown) => e instanceof ConnectionClosed);
    assert.equal(closes, 1);
  });
});
