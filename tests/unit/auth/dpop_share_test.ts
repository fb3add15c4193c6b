/**
 * The DPoP replay cache shared fairly: a proof takes its place only after
 * the door's cheap checks (a request refused by `limits.rateLimits` or a
 * scope claims none), each principal holds at most its share of the cache
 * (429 with Retry-After for that principal, never for another), and a
 * handler whose sessions or bus are shared refuses to start with the
 * per-instance default replay store.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { DpopOptions, McpHandler, McpHandlerOptions, TokenPrincipal } from "../../../mod.ts";
import { defineTool } from "../../../mod.ts";
import {
  MemoryBus,
  MemoryDpopReplayStore,
  MemorySessionStore,
  type SessionStore,
} from "../../../src/storage/mod.ts";
import { ENDPOINT, initializeMessage, makeHandler, postRequest } from "../../helpers.ts";
import { dpopProof, type ProofKey, proofKey } from "../../e2e/oauth/dpop_proofs.ts";

const NOW = 1_800_000_000_000;
const IAT = NOW / 1000;

const admin = defineTool({ name: "admin", scopes: ["mcp:admin"], handler: () => "ok" });

/** Two callers, each with a token bound to a key of its own. */
interface Callers {
  alice: ProofKey;
  bob: ProofKey;
}

async function callers(): Promise<Callers> {
  return { alice: await proofKey(), bob: await proofKey() };
}

/** A DPoP-required handler whose verifier knows `alice` and `bob`, each bound to its key. */
function handlerFor(
  keys: Callers,
  dpop: Partial<DpopOptions> = {},
  options: Partial<McpHandlerOptions> = {},
): McpHandler {
  const verifyAccessToken = (token: string): TokenPrincipal | null => {
    const key = token === "alice" ? keys.alice : token === "bob" ? keys.bob : undefined;
    if (key === undefined) return null;
    return { id: token, scopes: [], claims: { sub: token, cnf: { jkt: key.jkt } } };
  };
  return makeHandler({
    tools: [admin],
    observe: { onError: () => {} },
    now: () => NOW,
    ...options,
    auth: {
      oauth: {
        resource: ENDPOINT,
        authorizationServers: ["https://auth.example.com"],
        verifyAccessToken,
        dpop: { mode: "required", now: () => NOW, ...dpop },
      },
    },
  });
}

/** `body` POSTed by `who` with a fresh proof; the answer read whole. */
async function send(
  handler: McpHandler,
  keys: Callers,
  who: "alice" | "bob",
  body: unknown = initializeMessage(),
): Promise<{ status: number; headers: Headers; text: string }> {
  const proof = await dpopProof(keys[who], { htu: ENDPOINT, token: who, iat: IAT });
  const response = await handler(postRequest(body, {
    headers: { authorization: `DPoP ${who}`, dpop: proof },
  }));
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("the DPoP replay cache, shared fairly", () => {
  it("one principal past its share gets 429 while another principal is served", async () => {
    const keys = await callers();
    // The share is a tenth of the cache by default: 3 of 30.
    const handler = handlerFor(keys, { maxReplayEntries: 30 });
    const answers: number[] = [];
    for (let i = 0; i < 40; i++) answers.push((await send(handler, keys, "alice")).status);
    assert.deepEqual(answers.slice(0, 3), [200, 200, 200]);
    assert.deepEqual(new Set(answers.slice(3)), new Set([429]));
    const refused = await send(handler, keys, "alice");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "60", "its places free within a proof's life");
    const body = JSON.parse(refused.text);
    assert.equal(body.jsonrpc, "2.0");
    assert.equal(body.error.code, -32004);
    assert.match(body.error.message, /share of the DPoP replay cache/);
    assert.equal((await send(handler, keys, "bob")).status, 200, "bob is served");
    const { refusalsByStep } = await handler.stats();
    assert.equal(refusalsByStep["dpop-share"], 38);
    await handler.close();
  });

  it("takes the share from maxReplayEntriesPerPrincipal, and refuses one that is not a positive integer", async () => {
    const keys = await callers();
    const handler = handlerFor(keys, { maxReplayEntriesPerPrincipal: 2 });
    assert.equal((await send(handler, keys, "alice")).status, 200);
    assert.equal((await send(handler, keys, "alice")).status, 200);
    assert.equal((await send(handler, keys, "alice")).status, 429);
    assert.equal((await send(handler, keys, "bob")).status, 200);
    await handler.close();
    assert.throws(
      () => handlerFor(keys, { maxReplayEntriesPerPrincipal: 0 }),
      /oauth\.dpop\.maxReplayEntriesPerPrincipal/,
    );
  });

  it("a request refused by limits.rateLimits takes no place in the replay cache", async () => {
    const keys = await callers();
    const replayStore = new MemoryDpopReplayStore();
    const handler = handlerFor(keys, { replayStore }, {
      limits: { rateLimits: { perPrincipal: { limit: 2, windowSeconds: 60 } } },
    });
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push((await send(handler, keys, "alice")).status);
    assert.deepEqual(answers, [200, 200, 429, 429, 429, 429]);
    assert.equal(replayStore.size, 2, "only the proofs of requests served were claimed");
    await handler.close();
  });

  it("a request refused for its scope takes no place in the replay cache", async () => {
    const keys = await callers();
    const replayStore = new MemoryDpopReplayStore();
    const handler = handlerFor(keys, { replayStore });
    const call = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "admin" } };
    const refused = await send(handler, keys, "alice", call);
    assert.equal(refused.status, 403);
    assert.equal(replayStore.size, 0);
    await handler.close();
  });

  it("a replay is refused 401 after the cheap checks, as before", async () => {
    const keys = await callers();
    const handler = handlerFor(keys);
    const proof = await dpopProof(keys.alice, { htu: ENDPOINT, token: "alice", iat: IAT });
    const again = () =>
      handler(postRequest(initializeMessage(), {
        headers: { authorization: "DPoP alice", dpop: proof },
      }));
    const first = await again();
    await first.text();
    assert.equal(first.status, 200);
    const replayed = await again();
    await replayed.text();
    assert.equal(replayed.status, 401);
    assert.match(replayed.headers.get("www-authenticate") ?? "", /the proof was used before/);
    await handler.close();
  });
});

describe("one replay store per deployment", () => {
  const oauth = (dpop: DpopOptions): McpHandlerOptions["auth"] => ({
    oauth: {
      resource: ENDPOINT,
      authorizationServers: ["https://auth.example.com"],
      verifyAccessToken: () => null,
      dpop,
    },
  });
  /** A session store shared between instances: here, any store that is not the in-memory one. */
  const sharedStore = (): SessionStore => {
    const inner = new MemorySessionStore();
    const wrapper: Record<string, unknown> = {};
    for (const name of Object.getOwnPropertyNames(MemorySessionStore.prototype)) {
      const value = (inner as unknown as Record<string, unknown>)[name];
      if (name !== "constructor" && typeof value === "function") {
        wrapper[name] = value.bind(inner);
      }
    }
    return wrapper as unknown as SessionStore;
  };

  it("refuses to start with shared sessions and the per-instance replay store, naming the option", () => {
    assert.throws(
      () => makeHandler({ auth: oauth({ mode: "required" }), sessions: { store: sharedStore() } }),
      (error: unknown) =>
        error instanceof TypeError &&
        /auth\.oauth\.dpop\.replayStore/.test(error.message) &&
        /sessions\.store/.test(error.message),
    );
  });

  it("starts with a replay store given, or with sessions and bus in memory", async () => {
    const given = makeHandler({
      auth: oauth({ mode: "required", replayStore: new MemoryDpopReplayStore() }),
      sessions: { store: sharedStore() },
    });
    const inMemory = makeHandler({
      auth: oauth({ mode: "allowed" }),
      sessions: { store: new MemorySessionStore() },
      bus: new MemoryBus(),
    });
    await given.close();
    await inMemory.close();
  });
});
