/**
 * One path for local and remote: a cancellation, a client's reply and a
 * notification do the same thing whether the instance that holds their
 * target received them or another instance passed them over the bus; and
 * a broadcast reaches the sending instance's own streams exactly once (its
 * own message never comes back to it). The same through Redis is in
 * tests/e2e/redis/one_path_test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  initialize,
  messagesOf,
  notify,
  openListening,
  postRequest,
  readSseUntil,
  until,
} from "../../helpers.ts";
import { alice, callAsk, callRequest, pair } from "../../support/bus_tools.ts";

describe("one path for a message, from this instance or another", () => {
  for (const from of ["A (here)", "B (over the bus)"]) {
    it(`a cancellation posted to ${from} ends the call on A alike`, async () => {
      const { a, b, probe } = pair();
      const session = await initialize(a, { headers: alice });
      const answer = a(callRequest(session, 7, "hold"));
      await probe.started.promise;
      const to = from.startsWith("A") ? a : b;
      assert.equal(
        (await notify(to, session, "notifications/cancelled", { requestId: 7 })).status,
        202,
      );
      await until(() => probe.reasons.length === 1, "the tool saw its signal abort");
      assert.deepEqual(probe.reasons, ["cancelled"]);
      await (await answer).body?.cancel();
      await Promise.all([a.close(), b.close()]);
    });

    it(`a reply posted to ${from} resumes the tool waiting on A alike`, async () => {
      const { a, b } = pair();
      const session = await initialize(a, { headers: alice, capabilities: { elicitation: {} } });
      const { reader, elicit } = await callAsk(a, session);
      const to = from.startsWith("A") ? a : b;
      const reply = await to(postRequest(
        { jsonrpc: "2.0", id: elicit.id, result: { action: "accept", content: { name: "Ada" } } },
        { sessionId: session.id, protocolVersion: session.protocolVersion, headers: alice },
      ));
      assert.equal(reply.status, 202);
      const rest = await readSseUntil(
        reader,
        (events) => messagesOf(events).some((m) => m.id === 1),
      );
      assert.equal(
        messagesOf(rest.events).find((m) => m.id === 1).result.content[0].text,
        "accept:Ada",
      );
      await Promise.all([a.close(), b.close()]);
    });
  }

  it("notify called on A and on B puts the same message on the listening stream A holds", async () => {
    const { a, b } = pair();
    const session = await initialize(a, { headers: alice });
    const reader = await openListening(a, session);
    const notification = { method: "notifications/message", params: { level: "info", data: 1 } };
    assert.equal(await a.notify(session.id, notification), true);
    assert.equal(await b.notify(session.id, notification), true);
    const { events } = await readSseUntil(reader, (events) => messagesOf(events).length === 2);
    const [here, there] = messagesOf(events);
    assert.deepEqual(here, { jsonrpc: "2.0", ...notification });
    assert.deepEqual(there, here);
    await reader.cancel();
    await Promise.all([a.close(), b.close()]);
  });

  it("a broadcast reaches the sending instance's own listening stream once", async () => {
    const { a, b } = pair();
    const onA = await initialize(a, { headers: alice });
    const onB = await initialize(b, { headers: alice });
    const readerA = await openListening(a, onA);
    const readerB = await openListening(b, onB);
    const first = { method: "notifications/message", params: { level: "info", data: "first" } };
    const second = { method: "notifications/message", params: { level: "info", data: "second" } };
    assert.equal(await a.broadcast(first), 1, "A's own stream");
    await readSseUntil(readerB, (events) => messagesOf(events).length === 1);
    // B's message reaches A after A's own on the bus: any echo of "first" would be in between.
    assert.equal(await b.broadcast(second), 1, "B's own stream");
    const { events } = await readSseUntil(
      readerA,
      (events) => messagesOf(events).some((m) => m.params.data === "second"),
    );
    assert.deepEqual(messagesOf(events).map((m) => m.params.data), ["first", "second"]);
    await Promise.all([readerA.cancel(), readerB.cancel()]);
    await Promise.all([a.close(), b.close()]);
  });
});
