/**
 * The bench's port allocator (bench/lib/proc.ts): the range follows `BENCH_FIRST_PORT`, whatever
 * first port it names, and wraps back to that first port, not to the default's; it never hands
 * out the port of a server it started that is still running.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  allocatePort,
  nextPortAfter,
  PORT_SPAN,
  type ServerProcess,
  startServer,
} from "../../../bench/lib/proc.ts";

describe("bench port allocator", () => {
  it("cycles through the default range 18801-18899", () => {
    assert.equal(nextPortAfter(18801, 18801), 18802);
    assert.equal(nextPortAfter(18899, 18801), 18801);
    assert.equal(18801 + PORT_SPAN - 1, 18899);
  });

  it("derives the range from any first port, at or above 18899 too", () => {
    const first = 18950;
    const seen: number[] = [];
    let port = first;
    for (let i = 0; i < PORT_SPAN + 1; i++) {
      seen.push(port);
      port = nextPortAfter(port, first);
    }
    assert.equal(seen[1], 18951);
    assert.equal(Math.min(...seen), first);
    assert.equal(Math.max(...seen), first + PORT_SPAN - 1);
    assert.equal(seen[PORT_SPAN], first, "wraps back to the first port");
  });

  it("skips the port of a server still running when it wraps around, and frees it once it exits", async () => {
    // Every runtime runs this file at once (scripts/test_all.sh), each allocator starting at the
    // range's first port: a port another one holds makes the server exit, so take the next.
    let port = 0;
    let server: ServerProcess | undefined;
    for (let attempt = 0; server === undefined; attempt++) {
      port = allocatePort();
      server = await startServer("node", "bench/servers/ceiling.ts", [], { port }).catch(
        (error) => {
          if (attempt === 9) throw error;
          return undefined;
        },
      );
    }
    let handed: number[];
    try {
      handed = Array.from({ length: 2 * PORT_SPAN }, () => allocatePort());
    } finally {
      await server.stop();
    }
    assert.equal(handed.includes(port), false, "a live server's port is never handed out");
    assert.equal(new Set(handed).size, PORT_SPAN - 1, "every other port of the range is");
    const after = Array.from({ length: PORT_SPAN }, () => allocatePort());
    assert.equal(after.includes(port), true, "free again once its server exited");
  });
});
