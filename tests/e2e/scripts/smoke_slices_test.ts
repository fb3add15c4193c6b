/**
 * A smoke run's slices (bench/lib/wrk.ts with `requests` and `together`, bench/run/settings.ts
 * SMOKE): a slice ends after its few answers, not at its seconds; a wrong answer among them is
 * still counted; the targets of a round are driven at once. Against a small node:http server in
 * this process that answers each request after `delayMs`, right or (when told) wrong. Needs wrk,
 * as the smoke does (.ci/run installs it).
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { measureWithWrk, wrkBinary } from "../../../bench/lib/wrk.ts";
import type { WrkTarget } from "../../../bench/lib/wrk_script.ts";

/** A server's answers: each request's arrival time, ms. */
interface Answering {
  server: Server;
  port: number;
  arrivals: number[];
}

/** Answers `{"id":N,"result":{"ok":true}}` (or `false` with `wrong`) after `delayMs`. */
async function answering(delayMs: number, wrong = false): Promise<Answering> {
  const arrivals: number[] = [];
  const server = createServer((request, response) => {
    arrivals.push(performance.now());
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      const id = /"id":(\d+)/.exec(body)?.[1] ?? "0";
      setTimeout(() => {
        response.writeHead(200, { "content-type": "application/json" })
          .end(`{"jsonrpc":"2.0","id":${id},"result":{"ok":${!wrong}}}`);
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, arrivals };
}

function target(port: number): WrkTarget {
  return {
    port,
    pid: process.pid,
    path: "/mcp",
    connections: 1,
    headers: { "content-type": "application/json" },
    sessions: [],
    body: '{"jsonrpc":"2.0","id":{id},"method":"ping"}',
    check: { contains: ['"ok":true'] },
  };
}

const fail = (_: number, error: unknown) => {
  throw error;
};

describe("a smoke run's slices (bench/lib/wrk.ts)", {
  skip: wrkBinary() === undefined && "wrk is not installed",
}, () => {
  const servers: Answering[] = [];
  before(async () => {
    servers.push(await answering(0), await answering(300), await answering(300));
    servers.push(await answering(0, true));
  });
  after(() => {
    for (const { server } of servers) server.close();
  });

  it("ends a slice after its answers, long before its seconds", async () => {
    const started = performance.now();
    const [result] = await measureWithWrk(
      [target(servers[0].port)],
      { warmup: 0, rounds: 1, slice: 30, requests: 4 },
      fail,
    );
    assert.ok(performance.now() - started < 15_000, "not the slice's 30 s");
    assert.equal(result.bad, 0);
    assert.ok(result.ok >= 4, `${result.ok} right answers`);
    // The thread stops at its fourth answer: its one connection had at most one more in flight.
    assert.ok(servers[0].arrivals.length <= 5, `${servers[0].arrivals.length} requests sent`);
  });

  it("counts a wrong answer among its few", async () => {
    const [result] = await measureWithWrk(
      [target(servers[3].port)],
      { warmup: 0, rounds: 1, slice: 30, requests: 4 },
      fail,
    );
    assert.equal(result.ok, 0);
    assert.ok(result.bad >= 4, `${result.bad} wrong answers`);
    assert.match(result.badSample ?? "", /"ok":false/);
  });

  it("drives the targets of a round at once with `together`, in turn without", async () => {
    const [a, b] = [servers[1], servers[2]];
    const overlap = () => {
      const [first, second] = [a.arrivals, b.arrivals];
      return Math.max(first[0], second[0]) < Math.min(first.at(-1)!, second.at(-1)!);
    };
    // Four answers 300 ms apart: each target's slice lasts about a second.
    const timing = { warmup: 0, rounds: 1, slice: 30, requests: 4 };
    await measureWithWrk([target(a.port), target(b.port)], { ...timing, together: true }, fail);
    assert.ok(overlap(), "the two slices ran at the same time");
    a.arrivals.length = 0;
    b.arrivals.length = 0;
    await measureWithWrk([target(a.port), target(b.port)], timing, fail);
    assert.ok(!overlap(), "one slice after the other");
  });
});
