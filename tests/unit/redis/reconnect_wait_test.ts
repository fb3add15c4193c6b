/**
 * Reconnect waits are jittered (issue 71, failover hygiene): the wait before each attempt is
 * drawn from the upper half of a doubling ceiling, and every node-redis client the backend opens
 * reconnects on that schedule, so the clients of the instances that lost one master spread their
 * return. Spread is asserted over many draws, never a time; no socket is opened.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SocketTimeoutError } from "redis";
import {
  RECONNECT_FIRST_MS,
  RECONNECT_MAX_MS,
  reconnectWait,
} from "../../../src/redis/connection/reconnect_wait.ts";
import {
  jitteredReconnect,
  nodeOptions,
  sourceFactory,
} from "../../../src/redis/connection/redis_sources.ts";

/** `draws` waits of `strategy` for the same attempt. */
function waits(strategy: (attempt: number) => number | false, attempt: number, draws = 1_000) {
  return Array.from({ length: draws }, () => {
    const wait = strategy(attempt);
    assert.equal(typeof wait, "number");
    return wait as number;
  });
}

/** Asserts that `values` cover most of [low, high] and leave it nowhere. */
function assertSpread(values: number[], low: number, high: number): void {
  const min = Math.min(...values);
  const max = Math.max(...values);
  assert.ok(min >= low && max <= high, `${min}–${max} outside ${low}–${high}`);
  // 1,000 even draws over the range: the chance that all miss its lowest or highest fifth is
  // 0.8^1000, nil; a fixed wait (no jitter) has one value.
  assert.ok(min < low + (high - low) / 5, `lowest ${min}`);
  assert.ok(max > high - (high - low) / 5, `highest ${max}`);
  assert.ok(new Set(values).size > 50, `only ${new Set(values).size} distinct waits`);
}

describe("reconnect waits", () => {
  it("double from the first wait to the longest, each drawn from the upper half of its ceiling", () => {
    assert.equal(RECONNECT_FIRST_MS, 50);
    assert.equal(RECONNECT_MAX_MS, 2_000);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 30].map((n) => reconnectWait(n, () => 0)), [
      25,
      50,
      100,
      200,
      400,
      800,
      1_000,
      1_000,
    ]);
    assert.deepEqual(
      [0, 1, 5, 6, 30, 1e9].map((n) => reconnectWait(n, () => 0.999_999)),
      [50, 100, 1_600, 2_000, 2_000, 2_000],
    );
    // A nonsense attempt is the first one, not NaN.
    assert.equal(reconnectWait(-3, () => 0), 25);
    assert.equal(reconnectWait(Number.NaN, () => 0), 25);
  });

  it("spread over half their ceiling, so clients that lost a master together do not return together", () => {
    assertSpread(waits((n) => reconnectWait(n), 10), 1_000, 2_000);
    assertSpread(waits((n) => reconnectWait(n), 3), 200, 400);
  });

  it("are node-redis's reconnect strategy for every client the backend opens", () => {
    const strategy = (n: number) => jitteredReconnect(n, new Error("connect ECONNREFUSED"));
    assertSpread(waits(strategy, 10), 1_000, 2_000);
    // As node-redis's own default: a socket timeout ends the reconnecting.
    assert.equal(jitteredReconnect(1, new SocketTimeoutError(1_000)), false);
    // One node: the client's own options carry it.
    const client = sourceFactory({ url: "redis://127.0.0.1:1" }).fresh() as unknown as {
      options: { socket: { reconnectStrategy: unknown; port: number } };
    };
    assert.equal(client.options.socket.reconnectStrategy, jitteredReconnect);
    // A Cluster's and Sentinel's node clients take the same options.
    assert.equal(nodeOptions().socket.reconnectStrategy, jitteredReconnect);
  });

  it("leave each client its own socket options (node-redis writes the URL's port into them)", () => {
    const a = sourceFactory({ url: "redis://127.0.0.1:7001" }).fresh() as unknown as {
      options: { socket: { port: number } };
    };
    const b = sourceFactory({ url: "redis://127.0.0.1:7002" }).fresh() as unknown as {
      options: { socket: { port: number } };
    };
    assert.equal(a.options.socket.port, 7001);
    assert.equal(b.options.socket.port, 7002);
    assert.notEqual(nodeOptions().socket, nodeOptions().socket);
  });
});
