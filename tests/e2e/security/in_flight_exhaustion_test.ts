/**
 * Finding 6 of the hostile-input review: 20,000 abandoned 60 s calls on one
 * session grew Node's heap from 10 MB to 253 MB, because nothing capped the
 * requests a session may have in flight. This replays the attack in process
 * at 10,000 calls (the old code kept every one running: 50 to 125 MB here) and
 * checks that only `sessions.maxRequestsPerSession` run, the rest are
 * refused at once, and the heap stays within a bound far below what the old
 * code retained. Memory is measured after full collections, so garbage from
 * the refused calls does not count.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { defineTool, ErrorCode } from "../../../mod.ts";
import {
  initialize,
  makeHandler,
  postRequest,
  sleep,
  type TestSession,
  within,
} from "../../helpers.ts";

const MIB = 1024 * 1024;
const CALLS = 10_000;
const CAP = 64;
/** Generous: the capped calls leave the heap a few MB larger; the old code kept 50 MB or more. */
const MAX_GROWTH_BYTES = 16 * MIB;

/** A full collection: `Bun.gc` on Bun; V8's `gc`, exposed at run time, on Node and Deno. */
function collectGarbage(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) return bun.gc(true);
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

/** Heap bytes still referenced, after macrotasks and two full collections. */
async function retainedHeapBytes(): Promise<number> {
  for (let round = 0; round < 2; round++) {
    await sleep(0);
    collectGarbage();
  }
  return process.memoryUsage().heapUsed;
}

/** A `tools/call` of the slow tool whose client can drop it through `signal`. */
function slowCall(session: TestSession, id: number, signal: AbortSignal): Request {
  const body = {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "slow", arguments: { seconds: 60 } },
  };
  return postRequest(body, {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    signal,
  });
}

describe("exhaustion: in-flight work per session is bounded", () => {
  it(`${CALLS} abandoned 60 s calls on one session: ${CAP} run, the rest are refused, the heap stays bounded`, async () => {
    let started = 0;
    const handler = makeHandler({
      sessions: { maxRequestsPerSession: CAP },
      tools: [defineTool({
        name: "slow",
        // Like the fixture's slow tool: waits a minute unless its signal aborts.
        handler: (_input, ctx) =>
          new Promise<string>((resolve) => {
            started++;
            const timer = setTimeout(() => resolve("done"), 60_000);
            ctx.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve("aborted");
            }, { once: true });
          }),
      })],
    });
    // What the test keeps of each answer is nothing but its settling: the answers' bodies are read and dropped.
    const answers: Promise<void>[] = [];
    // deno-lint-ignore no-explicit-any
    let lastAnswer: any;
    try {
      const session = await initialize(handler);
      const before = await retainedHeapBytes();
      const startedAt = Date.now();
      for (let id = 1; id <= CALLS; id++) {
        const client = new AbortController();
        answers.push(
          handler(slowCall(session, id, client.signal)).then(async (response) => {
            if (id === CALLS) lastAnswer = await response.json().catch(() => undefined);
            else await response.body?.cancel();
          }),
        );
        client.abort(); // the attacker never waits for an answer
        if (id % 250 === 0) await sleep(0);
      }
      // Let every call reach the tool or its refusal (bounded: fails rather than hangs).
      let last = -1;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const inFlight = (await handler.stats()).inFlight;
        if (inFlight === last) break;
        last = inFlight;
        await sleep(50);
      }
      const grown = (await retainedHeapBytes()) - before;
      const stats = await handler.stats();
      console.log(
        `[in-flight exhaustion] ${CALLS} calls in ${Date.now() - startedAt} ms: ` +
          `${started} ran, ${stats.refusedAtSessionCap} refused, heap +${
            (grown / MIB).toFixed(1)
          } MiB`,
      );
      assert.ok(
        grown < MAX_GROWTH_BYTES,
        `heap grew ${(grown / MIB).toFixed(1)} MiB (bound ${MAX_GROWTH_BYTES / MIB} MiB)`,
      );
      assert.equal(stats.inFlight, CAP);
      assert.equal(started, CAP);
      assert.equal(stats.refusedAtSessionCap, CALLS - CAP);

      // A refused call was answered at once, with its id and the session's limit.
      await within(answers[CALLS - 1], 2_000, "a refused call's answer");
      assert.equal(lastAnswer.id, CALLS);
      assert.equal(lastAnswer.error.code, ErrorCode.TooManyRequests);
      assert.match(lastAnswer.error.message, new RegExp(`limit ${CAP}\\)`));
    } finally {
      await handler.close();
    }
    // close() reaches every running call: all answers settle.
    await within(Promise.all(answers), 10_000, "every call to settle after close()");
    assert.equal(started, CAP);
  });
});
