/**
 * The token cache of the upstream credentials: a token is kept until its
 * expiry minus the skew (an injected clock), concurrent callers of one key
 * share one fetch, a failed fetch is not kept, and the entry bound drops
 * the oldest.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TokenCache } from "../../../src/gateway/credentials/token_cache.ts";

/** A fetch that counts its calls and issues `token-<n>` for `lifetime` seconds. */
function counting(lifetime?: number) {
  const fetch = () => {
    fetch.calls++;
    return Promise.resolve({ token: `token-${fetch.calls}`, expiresInSeconds: lifetime });
  };
  fetch.calls = 0;
  return fetch;
}

describe("gateway credentials: token cache", () => {
  it("keeps a token until its expiry minus the skew", async () => {
    let now = 1_000_000;
    const cache = new TokenCache({ skewMs: 30_000, now: () => now });
    const fetch = counting(300);
    assert.equal(await cache.get("alice", fetch), "token-1");
    now += 269_999; // 300 s - 30 s skew, less 1 ms
    assert.equal(await cache.get("alice", fetch), "token-1");
    assert.equal(fetch.calls, 1);
    now += 1;
    assert.equal(await cache.get("alice", fetch), "token-2");
    assert.equal(fetch.calls, 2);
  });

  it("keeps tokens per key", async () => {
    const cache = new TokenCache();
    const fetch = counting(300);
    assert.equal(await cache.get("alice", fetch), "token-1");
    assert.equal(await cache.get("bob", fetch), "token-2");
    assert.equal(await cache.get("alice", fetch), "token-1");
  });

  it("does not keep a token without a lifetime, or one shorter than the skew", async () => {
    const once = counting(undefined);
    const cache = new TokenCache({ skewMs: 30_000 });
    await cache.get("a", once);
    await cache.get("a", once);
    assert.equal(once.calls, 2);
    const short = counting(20);
    await cache.get("b", short);
    await cache.get("b", short);
    assert.equal(short.calls, 2);
  });

  it("shares one fetch in flight among concurrent callers of a key", async () => {
    const cache = new TokenCache();
    type Issued = { token: string; expiresInSeconds: number };
    const releases: ((value: Issued) => void)[] = [];
    const fetch = () => new Promise<Issued>((resolve) => releases.push(resolve));
    const first = cache.get("alice", fetch);
    const second = cache.get("alice", fetch);
    const calls = releases.length;
    // Every fetch started is released, so a cache that fetched twice fails here rather than hangs.
    releases.forEach((release, index) => release({ token: `t-${index}`, expiresInSeconds: 300 }));
    assert.deepEqual(await Promise.all([first, second]), ["t-0", "t-0"]);
    assert.equal(calls, 1);
  });

  it("keeps no failure: the callers in flight share it, the next caller after the backoff fetches again", async () => {
    let now = 0;
    const cache = new TokenCache({ now: () => now }); // retryMs 1 s by default
    let calls = 0;
    const failing = () => {
      calls++;
      return Promise.reject(new Error("refused"));
    };
    const both = [cache.get("alice", failing), cache.get("alice", failing)];
    for (const attempt of both) await assert.rejects(attempt, /refused/);
    assert.equal(calls, 1);
    await assert.rejects(cache.get("alice", counting(300)), /refused/, "backing off: told at once");
    now = 1_000;
    assert.equal(await cache.get("alice", counting(300)), "token-1");
  });

  it("holds at most maxEntries tokens, dropping the oldest", async () => {
    const cache = new TokenCache({ maxEntries: 2 });
    const fetch = counting(300);
    await cache.get("a", fetch);
    await cache.get("b", fetch);
    await cache.get("c", fetch);
    assert.equal(cache.size, 2);
    assert.equal(await cache.get("b", fetch), "token-2");
    assert.equal(await cache.get("c", fetch), "token-3");
    assert.equal(await cache.get("a", fetch), "token-4"); // fetched again
  });

  it("refuses bad options with a TypeError naming them", () => {
    assert.throws(() => new TokenCache({ skewMs: -1 }), /skewMs/);
    assert.throws(() => new TokenCache({ maxEntries: 0 }), /maxEntries/);
  });
});
