/**
 * The shared reads of followed streams read one `XREAD` over many streams, so its reply is split
 * by stream in either protocol (RESP2 arrays, RESP3 maps or `{ name, messages }` objects), and on
 * a Cluster they connect to one master with a plain client, never a whole cluster client. No
 * socket is opened.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { streamsOf } from "../../../src/redis/connection/stream_entries.ts";
import { sourceFactory } from "../../../src/redis/connection/redis_sources.ts";

const one = { id: "0-2", fields: { d: "two" } };
const other = { id: "0-7", fields: { e: "1" } };

describe("an XREAD reply over several streams", () => {
  it("RESP2 arrays give each stream its entries", () => {
    const read = streamsOf([["s:{a}", [["0-2", ["d", "two"]]]], ["s:{b}", [["0-7", ["e", "1"]]]]]);
    assert.deepEqual([...read], [["s:{a}", [one]], ["s:{b}", [other]]]);
  });

  it("RESP3 maps and name/messages objects give the same", () => {
    const map = new Map<string, unknown>([
      ["s:{a}", [{ id: "0-2", message: { d: "two" } }]],
      ["s:{b}", [{ id: "0-7", message: { e: "1" } }]],
    ]);
    assert.deepEqual([...streamsOf(map)], [["s:{a}", [one]], ["s:{b}", [other]]]);
    const named = [{ name: "s:{a}", messages: [{ id: "0-2", message: { d: "two" } }] }];
    assert.deepEqual([...streamsOf(named)], [["s:{a}", [one]]]);
  });

  it("a read that timed out gives no stream", () => {
    assert.equal(streamsOf(null).size, 0);
  });
});

describe("connections to one Cluster master", () => {
  it("a Cluster source opens plain clients to the master named; one node has no masters", () => {
    const cluster = sourceFactory({ cluster: { rootNodes: ["redis://127.0.0.1:7000"] } });
    const client = cluster.master!("127.0.0.1:7003") as unknown as {
      options?: { socket?: { host?: string; port?: number } };
      slots?: unknown;
    };
    assert.equal(client.slots, undefined, "not a cluster client");
    assert.equal(client.options?.socket?.host, "127.0.0.1");
    assert.equal(client.options?.socket?.port, 7003);
    assert.equal(sourceFactory({ url: "redis://127.0.0.1:6379" }).master, undefined);
  });
});
