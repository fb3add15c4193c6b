/**
 * Token requests have deadlines and bounds, against a real token endpoint on a loopback port
 * (node:http) that stalls or answers without end when told: a stalled request fails at its
 * deadline and the same principal's next call asks again; another principal is served while one
 * is stuck; an answer past `maxResponseBytes` fails unread past the bound. And the cache's
 * backoff per key, on a clock the test moves.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tokenExchange } from "../../../src/gateway/mod.ts";
import { TokenCache } from "../../../src/gateway/credentials/token_cache.ts";

/** What the endpoint does with the next request of a subject: answer, stall, or flood. */
type Behaviour = "answer" | "stall" | "flood";

const plans = new Map<string, Behaviour[]>();
const stalled: ServerResponse[] = [];
let asked = 0;
let floodedBytes = 0;

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  let body = "";
  request.on("data", (chunk: Buffer) => (body += chunk));
  request.on("end", () => {
    asked++;
    const subject = new URLSearchParams(body).get("subject_token") ?? "";
    const behaviour = plans.get(subject)?.shift() ?? "answer";
    if (behaviour === "stall") return void stalled.push(response);
    if (behaviour === "flood") {
      // An answer with no end in sight, written as long as it is read.
      response.writeHead(200, { "content-type": "application/json" });
      const chunk = "x".repeat(16 * 1024);
      const more = () => {
        while (!response.destroyed && floodedBytes < 64 * 1024 * 1024) {
          floodedBytes += chunk.length;
          if (!response.write(chunk)) return void response.once("drain", more);
        }
      };
      response.write('{"access_token":"');
      return more();
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ access_token: `for-${subject}`, expires_in: 300 }));
  });
});
let endpoint = "";

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
after(async () => {
  for (const response of stalled) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The exchange's credentials for a principal, always as a promise. */
type Credentials = (principal: { id: string }) => Promise<unknown>;

const exchange = (
  options: { timeoutMs?: number; maxResponseBytes?: number } = {},
): Credentials => {
  const credentials = tokenExchange({
    tokenEndpoint: endpoint,
    clientId: "gateway",
    clientSecret: "s3cret",
    audience: "files",
    subjectToken: (principal) => principal.id,
    retryMs: 0,
    ...options,
  });
  return async (principal) => await credentials(principal);
};

describe("token requests: deadlines and bounds (a real endpoint on loopback)", () => {
  it("a stalled request fails at its deadline; the same principal's next call asks again", async () => {
    // The deadline bounds the healthy second request too, on a real clock: 2 s leaves a loaded
    // runtime room to answer it (200 ms did not, once, on Bun in a full CI run).
    const credentials = exchange({ timeoutMs: 2_000 });
    plans.set("alice", ["stall"]);
    const before = asked;
    await assert.rejects(credentials({ id: "alice" }), /did not answer within 2000 ms/);
    assert.deepEqual(await credentials({ id: "alice" }), { authorization: "Bearer for-alice" });
    assert.equal(asked - before, 2, "asked again, not waiting on the stuck request");
  });

  it("another principal is served while one principal's request is stuck", async () => {
    const credentials = exchange({ timeoutMs: 60_000 });
    plans.set("carol", ["stall"]);
    const stuck = credentials({ id: "carol" });
    stuck.catch(() => {});
    assert.deepEqual(await credentials({ id: "dave" }), { authorization: "Bearer for-dave" });
    let settled = false;
    stuck.then(() => (settled = true), () => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, "carol's request is still the one stuck");
  });

  it("an answer past maxResponseBytes fails, read no further than the bound", async () => {
    const credentials = exchange({ maxResponseBytes: 64 * 1024 });
    plans.set("erin", ["flood"]);
    floodedBytes = 0;
    await assert.rejects(credentials({ id: "erin" }), /answer is over 65536 bytes/);
    // The endpoint wrote what the socket buffers took; nothing near the 64 MiB it offered.
    assert.ok(floodedBytes < 16 * 1024 * 1024, `${floodedBytes} bytes written`);
    assert.deepEqual(await credentials({ id: "erin" }), { authorization: "Bearer for-erin" });
  });

  it("refuses a deadline or bound that is not a positive number", () => {
    assert.throws(() => exchange({ timeoutMs: 0 }), /timeoutMs must be a positive number/);
    assert.throws(() => exchange({ maxResponseBytes: -1 }), /maxResponseBytes must be a positive/);
  });
});

describe("TokenCache: a failed key backs off, alone", () => {
  it("fails at once while it backs off, doubling to maxRetryMs; other keys ask", async () => {
    let now = 0;
    const cache = new TokenCache({ retryMs: 1_000, maxRetryMs: 3_000, now: () => now });
    let fetches = 0;
    const failing = () => {
      fetches++;
      return Promise.reject(new Error("endpoint down"));
    };
    await assert.rejects(cache.get("alice", failing), /endpoint down/);
    await assert.rejects(cache.get("alice", failing), /endpoint down/);
    assert.equal(fetches, 1, "within 1 s: the failure again, no request");
    const good = () => Promise.resolve({ token: "bob's", expiresInSeconds: 300 });
    assert.equal(await cache.get("bob", good), "bob's", "another key is not held back");
    now = 1_000;
    await assert.rejects(cache.get("alice", failing), /endpoint down/);
    assert.equal(fetches, 2, "after 1 s it asks again");
    now = 2_999;
    await assert.rejects(cache.get("alice", failing));
    assert.equal(fetches, 2, "the second failure waits 2 s");
    now = 3_000;
    await assert.rejects(cache.get("alice", failing));
    assert.equal(fetches, 3);
    now = 5_999;
    await assert.rejects(cache.get("alice", failing));
    assert.equal(fetches, 3, "the third waits 3 s: maxRetryMs, not 4 s");
    now = 6_000;
    assert.equal(await cache.get("alice", () => Promise.resolve({ token: "ok" })), "ok");
    await assert.rejects(cache.get("alice", failing));
    assert.equal(fetches, 4, "a success ends the backoff; the next failure waits 1 s again");
  });
});
