/**
 * The one delivery seam (src/bus/delivery.ts), with a recording receiver in
 * place of the eras: a message acted on here and the same message arriving
 * from another instance reach the same receiver with the same content; a
 * targeted message crosses the bus only when its target is not here; a
 * message for everyone is published once and acted on once by the instance
 * that sent it (the bus never brings it back); a bus that cannot take a
 * message for elsewhere fails the call, and one that is not needed is never
 * asked.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BusMessage, MemoryBus, type MessageBus } from "../../../src/storage/mod.ts";
import {
  type BusReceiver,
  createDelivery,
  LocalDelivery,
  SharedDelivery,
} from "../../../src/bus/delivery.ts";
import { until } from "../../helpers.ts";
import { RecordingBus } from "../../support/recording_bus.ts";

/** A receiver that records each message (as JSON) and answers `here` targets for each. */
function recorder(here: (message: BusMessage) => number = () => 0) {
  const received: string[] = [];
  const receive: BusReceiver = (message) => {
    received.push(JSON.stringify(message));
    return Promise.resolve(here(message));
  };
  return { received, receive };
}

/** A bus that rejects every publish and counts the attempts. */
function downBus() {
  const bus = {
    attempts: 0,
    publish(_message: BusMessage): Promise<void> {
      bus.attempts++;
      return Promise.reject(new Error("bus down"));
    },
    subscribe: () => Promise.resolve(() => {}),
  };
  return bus;
}

const cancel: BusMessage = { type: "cancel", sessionId: "s-1", requestId: 7 };
const broadcast: BusMessage = {
  type: "broadcast",
  notification: { method: "notifications/tools/list_changed" },
};
const noError = (error: unknown) => assert.fail(`unexpected error: ${String(error)}`);

describe("one delivery path, here and across instances", () => {
  it("a message delivered here and the same message from another instance reach the receiver alike", async () => {
    const first = new MemoryBus();
    const a = recorder();
    const b = recorder();
    const hereA = new SharedDelivery(first, a.receive, noError);
    const hereB = new SharedDelivery(first.peer(), b.receive, noError);
    await hereA.ready();
    await hereB.ready();
    // B holds nothing of it: it crosses to A, which gets what B's own receiver got.
    assert.equal(await hereB.deliver({ ...cancel }), 0);
    await until(() => a.received.length === 1, "A received the cancellation");
    assert.deepEqual(a.received, b.received);
    assert.deepEqual(JSON.parse(a.received[0]), cancel);
    hereA.close();
    hereB.close();
  });

  it("a targeted message whose target is here is acted on here and never published", async () => {
    const bus = new RecordingBus();
    const { received, receive } = recorder(() => 1);
    const delivery = new SharedDelivery(bus, receive, noError);
    assert.equal(await delivery.deliver(cancel), 1);
    assert.equal(
      await delivery.deliver({ type: "notify", sessionId: "s-1", notification: { method: "m" } }),
      1,
    );
    assert.equal(received.length, 2);
    assert.deepEqual(bus.published, []);
  });

  it("control: a targeted message whose target is not here is published once", async () => {
    const bus = new RecordingBus();
    const { received, receive } = recorder(() => 0);
    const delivery = new SharedDelivery(bus, receive, noError);
    assert.equal(await delivery.deliver(cancel), 0);
    assert.equal(received.length, 1);
    assert.deepEqual(bus.published, [JSON.stringify(cancel)]);
  });

  it("a message for everyone is published once and acted on once by the instance that sent it", async () => {
    const first = new MemoryBus();
    const a = recorder((message) => message.type === "broadcast" ? 2 : 0);
    const b = recorder();
    const hereA = new SharedDelivery(first, a.receive, noError);
    const hereB = new SharedDelivery(first.peer(), b.receive, noError);
    await hereA.ready();
    await hereB.ready();
    assert.equal(await hereA.deliver(broadcast), 2, "the targets here");
    // A later message of A's reaches B after the broadcast: by then an echo to A would have come.
    await hereA.deliver({ ...cancel });
    await until(() => b.received.length === 2, "B received both messages");
    assert.deepEqual(b.received.map((text) => JSON.parse(text).type), ["broadcast", "cancel"]);
    assert.deepEqual(a.received.map((text) => JSON.parse(text).type), ["broadcast", "cancel"]);
    hereA.close();
    hereB.close();
  });

  it("a bus that is down is never asked for a target that is here", async () => {
    const bus = downBus();
    const delivery = new SharedDelivery(bus, recorder(() => 1).receive, noError);
    assert.equal(await delivery.deliver(cancel), 1);
    assert.equal(
      await delivery.deliver({ type: "stateless-cancel", ownerKey: "k", requestId: 1 }),
      1,
    );
    assert.equal(bus.attempts, 0);
  });

  it("a bus that is down fails a message for elsewhere, and a broadcast before anything is sent here", async () => {
    const bus = downBus();
    const { received, receive } = recorder(() => 0);
    const delivery = new SharedDelivery(bus, receive, noError);
    await assert.rejects(delivery.deliver(cancel), /bus down/);
    assert.equal(received.length, 1, "looked here first");
    await assert.rejects(delivery.deliver(broadcast), /bus down/);
    assert.equal(received.length, 1, "the broadcast was not sent here");
  });

  it("an announcement goes to the others only; its failure is reported, not thrown", async () => {
    const bus = downBus();
    const errors: unknown[] = [];
    const { received, receive } = recorder();
    const delivery = new SharedDelivery(bus, receive, (error) => errors.push(error));
    delivery.tellOthers({ type: "session-ended", sessionId: "s-1" });
    await until(() => errors.length === 1, "the failure was reported");
    assert.equal(received.length, 0);
    assert.equal(bus.attempts, 1);
  });

  it("a receiver that fails on another instance's message reports it to onError", async () => {
    const first = new MemoryBus();
    const errors: unknown[] = [];
    const failing: BusReceiver = () => Promise.reject(new Error("receiver failed"));
    const hereA = new SharedDelivery(first, failing, (error) => errors.push(error));
    const hereB = new SharedDelivery(first.peer(), recorder().receive, noError);
    await hereA.ready();
    await hereB.deliver({ ...cancel });
    await until(() => errors.length === 1, "the failure was reported");
    assert.match(String(errors[0]), /receiver failed/);
    hereA.close();
  });

  it("subscribes once, and a close before the subscription resolves stops it", async () => {
    let subscriptions = 0;
    let stopped = 0;
    let resolve!: (stop: () => void) => void;
    const bus: MessageBus = {
      publish: () => Promise.resolve(),
      subscribe: () => {
        subscriptions++;
        return new Promise((done) => (resolve = done));
      },
    };
    const delivery = new SharedDelivery(bus, recorder().receive, noError);
    const first = delivery.ready();
    assert.equal(delivery.ready(), first, "one attempt at a time");
    delivery.close();
    resolve(() => stopped++);
    await first;
    assert.equal(subscriptions, 1);
    assert.equal(stopped, 1);
  });

  it("without a bus, every message is acted on here, and nothing waits", async () => {
    const { received, receive } = recorder(() => 0);
    const delivery = createDelivery(undefined, receive, noError);
    assert.ok(delivery instanceof LocalDelivery);
    assert.equal(delivery.shared, false);
    assert.equal(delivery.ready(), undefined);
    assert.equal(await delivery.deliver(cancel), 0);
    assert.equal(await delivery.deliver(broadcast), 0);
    delivery.tellOthers({ type: "session-ended", sessionId: "s-1" });
    assert.deepEqual(received.map((text) => JSON.parse(text).type), ["cancel", "broadcast"]);
  });
});
