/** The in-memory MessageBus meets the bus contract; alone, it connects nothing. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { type BusMessage, MemoryBus } from "../../src/storage/mod.ts";
import { describeMessageBus } from "./message_bus_contract.ts";
import { sleep } from "../helpers.ts";

describeMessageBus("MemoryBus", {
  connected(count) {
    const first = new MemoryBus();
    const buses = [first];
    while (buses.length < count) buses.push(first.peer());
    return buses;
  },
});

it("MemoryBus: two buses made with new MemoryBus() are not connected", async () => {
  const a = new MemoryBus();
  const b = new MemoryBus();
  const peerOfA = a.peer();
  const atB: BusMessage[] = [];
  const atPeer: BusMessage[] = [];
  await b.subscribe((message) => void atB.push(message));
  await peerOfA.subscribe((message) => void atPeer.push(message));
  await a.publish({ type: "session-ended", sessionId: "s1" });
  await sleep(10);
  assert.equal(atPeer.length, 1, "a positive control: the peer got it");
  assert.equal(atB.length, 0);
});
