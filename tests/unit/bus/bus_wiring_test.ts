/**
 * Two handlers in one process, as two instances of one server: a shared
 * session store and event log, and MemoryBus peers. What one instance
 * receives reaches the work the other holds: cancellations, client replies,
 * DELETE, notify/broadcast/resourceUpdated, listening takeover, 2026-07-28
 * cancellation. Without a bus (the control), none of it does. The same
 * behaviour through Redis is in tests/e2e/redis/three_instances_test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBus } from "../../../src/storage/mod.ts";
import {
  ACCEPT_BOTH,
  bodilessRequest,
  ENDPOINT,
  initialize,
  makeHandler,
  messagesOf,
  notify,
  postRequest,
  readAnswer,
  readSseUntil,
  sleep,
  until,
} from "../../helpers.ts";
import { MODERN, modernRequest } from "../../support/modern_helpers.ts";
import { alice, callAsk, callRequest, pair } from "../../support/bus_tools.ts";
import { Faults, faulty } from "../../faulty_storage.ts";

describe("the bus between instances (in-process peers)", () => {
  it("notifications/cancelled posted to B aborts the tool running on A", async () => {
    const { a, b, probe } = pair();
    const session = await initialize(a, { headers: alice });
    const answer = a(callRequest(session, 7, "hold"));
    await probe.started.promise;
    const cancel = await notify(b, session, "notifications/cancelled", { requestId: 7 });
    assert.equal(cancel.status, 202);
    await until(() => probe.reasons.length === 1, "the tool on A saw its signal abort");
    assert.deepEqual(probe.reasons, ["cancelled"]);
    await (await answer).body?.cancel();
    await Promise.all([a.close(), b.close()]);
  });

  it("control: without a bus, the cancellation posted to B never reaches A", async () => {
    const { a, b, probe } = pair({ bus: false });
    const session = await initialize(a, { headers: alice });
    const answer = a(callRequest(session, 7, "hold"));
    await probe.started.promise;
    assert.equal(
      (await notify(b, session, "notifications/cancelled", { requestId: 7 })).status,
      202,
    );
    await sleep(50);
    assert.deepEqual(probe.reasons, []);
    await a.close();
    await (await answer).body?.cancel();
    await b.close();
  });

  it("an elicitation reply posted to B resumes the tool waiting on A", async () => {
    const { a, b } = pair();
    const session = await initialize(a, { headers: alice, capabilities: { elicitation: {} } });
    const { reader, elicit } = await callAsk(a, session);
    const reply = await b(postRequest(
      { jsonrpc: "2.0", id: elicit.id, result: { action: "accept", content: { name: "Ada" } } },
      { sessionId: session.id, protocolVersion: session.protocolVersion, headers: alice },
    ));
    assert.equal(reply.status, 202);
    const rest = await readSseUntil(reader, (events) => messagesOf(events).some((m) => m.id === 1));
    const final = messagesOf(rest.events).find((m) => m.id === 1);
    assert.equal(final.result.content[0].text, "accept:Ada");
    await Promise.all([a.close(), b.close()]);
  });

  it("a reply from another principal, posted to B, does not resolve A's request", async () => {
    const { a, b } = pair();
    const session = await initialize(a, { headers: alice, capabilities: { elicitation: {} } });
    const { reader, elicit } = await callAsk(a, session);
    const forged = await b(postRequest(
      { jsonrpc: "2.0", id: elicit.id, result: { action: "accept", content: { name: "Eve" } } },
      {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
        headers: { "x-user": "eve" },
      },
    ));
    assert.equal(forged.status, 403, "the session's owner check refuses it on B already");
    const reply = await b(postRequest(
      { jsonrpc: "2.0", id: elicit.id, result: { action: "accept", content: { name: "Ada" } } },
      { sessionId: session.id, protocolVersion: session.protocolVersion, headers: alice },
    ));
    assert.equal(reply.status, 202);
    const rest = await readSseUntil(reader, (events) => messagesOf(events).some((m) => m.id === 1));
    assert.equal(
      messagesOf(rest.events).find((m) => m.id === 1).result.content[0].text,
      "accept:Ada",
    );
    await Promise.all([a.close(), b.close()]);
  });

  it("DELETE on B aborts A's work and ends A's streams", async () => {
    const { a, b, probe } = pair();
    const session = await initialize(a, { headers: alice });
    const listening = await a(bodilessRequest("GET", {
      sessionId: session.id,
      protocolVersion: session.protocolVersion,
      headers: alice,
    }));
    assert.equal(listening.status, 200);
    const answer = a(callRequest(session, 3, "hold"));
    await probe.started.promise;
    const deleted = await b(bodilessRequest("DELETE", {
      sessionId: session.id,
      protocolVersion: session.protocolVersion,
      headers: alice,
    }));
    assert.equal(deleted.status, 204);
    await until(() => probe.reasons.length === 1, "the tool on A was aborted");
    assert.deepEqual(probe.reasons, ["session-ended"]);
    const { ended } = await readSseUntil(listening.body!.getReader(), () => false, 3_000);
    assert.ok(ended, "A's listening stream ended");
    await (await answer).body?.cancel();
    await Promise.all([a.close(), b.close()]);
  });

  it("notify, broadcast and resourceUpdated called on B reach the listening stream held by A", async () => {
    const { a, b } = pair();
    const session = await initialize(a, { headers: alice });
    const subscribed = await b(postRequest(
      { jsonrpc: "2.0", id: 2, method: "resources/subscribe", params: { uri: "test://doc" } },
      { sessionId: session.id, protocolVersion: session.protocolVersion, headers: alice },
    ));
    assert.equal((await readAnswer(subscribed)).status, 200);
    const listening = await a(bodilessRequest("GET", {
      sessionId: session.id,
      protocolVersion: session.protocolVersion,
      headers: alice,
    }));
    const reader = listening.body!.getReader();
    assert.equal(
      await b.notify(session.id, { method: "notifications/message", params: { data: "one" } }),
      true,
    );
    assert.equal(
      await b.broadcast({ method: "notifications/message", params: { data: "two" } }),
      0,
    );
    assert.equal(await b.resourceUpdated("test://doc"), 0, "nothing of this process got it");
    const { events } = await readSseUntil(reader, (events) => messagesOf(events).length === 3);
    assert.deepEqual(messagesOf(events).map((m) => m.params.data ?? m.params.uri), [
      "one",
      "two",
      "test://doc",
    ]);
    await reader.cancel();
    await Promise.all([a.close(), b.close()]);
  });

  it("control: without a bus, notify on B reports that no stream got it", async () => {
    const { a, b } = pair({ bus: false });
    const session = await initialize(a, { headers: alice });
    assert.equal(await b.notify(session.id, { method: "notifications/message" }), false);
    await Promise.all([a.close(), b.close()]);
  });

  it("a listening GET on B takes over the listening stream held by A", async () => {
    const { a, b } = pair();
    const session = await initialize(a, { headers: alice });
    const get = () =>
      bodilessRequest("GET", {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
        headers: alice,
      });
    const onA = await a(get());
    const onB = await b(get());
    assert.equal(onB.status, 200);
    const { ended } = await readSseUntil(onA.body!.getReader(), () => false, 3_000);
    assert.ok(ended, "A's connection was closed");
    const reader = onB.body!.getReader();
    await a.notify(session.id, { method: "notifications/message", params: { data: "via A" } });
    const { events } = await readSseUntil(reader, (events) => messagesOf(events).length === 1);
    assert.equal(messagesOf(events)[0].params.data, "via A");
    await reader.cancel();
    await Promise.all([a.close(), b.close()]);
  });

  it("the old listener's resume on A after a GET on B replays only its own stream and does not take the stream back", async () => {
    const { a, b } = pair();
    const session = await initialize(a, { headers: alice });
    const get = (lastEventId?: string) =>
      bodilessRequest("GET", {
        sessionId: session.id,
        protocolVersion: session.protocolVersion,
        headers: {
          ...alice,
          ...(lastEventId === undefined ? {} : { "last-event-id": lastEventId }),
        },
      });
    const note = (data: string) => ({ method: "notifications/message", params: { data } });
    const labels = (events: Parameters<typeof messagesOf>[0]) =>
      messagesOf(events).map((message) => message.params.data);
    const onA = (await a(get())).body!.getReader();
    await a.notify(session.id, note("n1"));
    const first = await readSseUntil(onA, (events) => labels(events).length === 1);
    const lastSeen = first.events.filter((event) => event.data).at(-1)!.id!;

    const onB = (await b(get())).body!.getReader();
    assert.ok((await readSseUntil(onA, () => false, 3_000)).ended, "A's connection was closed");
    await a.notify(session.id, note("n2"));
    assert.deepEqual(labels((await readSseUntil(onB, (e) => labels(e).length === 1)).events), [
      "n2",
    ]);

    // The client loop that held A's connection comes back there with its Last-Event-ID.
    const back = await a(get(lastSeen));
    assert.equal(back.status, 200);
    const backReader = back.body!.getReader();
    await b.notify(session.id, note("n3"));
    assert.deepEqual(labels((await readSseUntil(onB, (e) => labels(e).length === 1)).events), [
      "n3",
    ], "B keeps the live stream");
    const quiet = await readSseUntil(backReader, () => false, 300);
    assert.deepEqual(labels(quiet.events), [], "nothing B delivered is replayed on A");
    assert.equal(quiet.ended, false, "the resumed connection stays open, quietly");
    await Promise.all([onB.cancel(), backReader.cancel()]);
    await Promise.all([a.close(), b.close()]);
  });

  it("2026-07-28: notifications/cancelled posted to B aborts the same principal's call on A", async () => {
    const { a, b, probe } = pair();
    const call = modernRequest("tools/call", { name: "hold", arguments: {} }, {
      id: "m-1",
      headers: alice,
    });
    const answer = a(call);
    await probe.started.promise;
    const cancel = new Request(ENDPOINT, {
      method: "POST",
      headers: {
        accept: ACCEPT_BOTH,
        "content-type": "application/json",
        "mcp-protocol-version": MODERN,
        "mcp-method": "notifications/cancelled",
        ...alice,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: {
          requestId: "m-1",
          _meta: {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
          },
        },
      }),
    });
    assert.equal((await b(cancel)).status, 202);
    await until(() => probe.reasons.length === 1, "the call on A was aborted");
    assert.deepEqual(probe.reasons, ["cancelled"]);
    await (await answer).body?.cancel();
    await Promise.all([a.close(), b.close()]);
  });

  it("a bus that cannot publish: the cancellation is refused with 503 + Retry-After, not lost", async () => {
    const faults = new Faults();
    const bus = new MemoryBus();
    const { a, b, probe } = pair({ bus: [bus, faulty(bus.peer(), faults)] });
    const session = await initialize(a, { headers: alice });
    const answer = a(callRequest(session, 9, "hold"));
    await probe.started.promise;
    faults.set("publish", "reject");
    const refused = await notify(b, session, "notifications/cancelled", { requestId: 9 });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    const body = await refused.json();
    assert.equal(body.jsonrpc, "2.0");
    assert.equal(typeof body.error.code, "number");
    await a.close();
    await (await answer).body?.cancel();
    await b.close();
  });

  it("a bus that cannot subscribe yet: requests get 503 until it can", async () => {
    const faults = new Faults();
    faults.set("subscribe", "reject");
    const handler = makeHandler({ tools: [], bus: faulty(new MemoryBus(), faults) });
    const first = await handler(postRequest({ jsonrpc: "2.0", id: 1, method: "ping" }));
    assert.equal(first.status, 503);
    assert.equal(
      (await first.json()).error.message,
      "Service Unavailable: the message bus is unreachable",
    );
    faults.clear("subscribe");
    await initialize(handler); // subscribes on this request, then serves it
    await handler.close();
  });
});
