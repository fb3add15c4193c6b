/**
 * `rateLimits.perPrincipal` on workerd counts every request of a 2025-03-26
 * batch: the everything fixture in a Durable Object
 * (scripts/workerd_fixture.sh, RATE_LIMIT_PER_PRINCIPAL=5), driven over raw
 * HTTP. A batch over what is left of the budget is refused whole (`429`,
 * `-32004`, nothing run); one that fits runs, one unit a request. The same
 * on Node, Deno and Bun: tests/unit/limits/rate_limit_batch_test.ts.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rawDelete, rawPost } from "../interop/helpers.ts";
import { initializeMessage } from "../../helpers.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

const VERSION = "2025-03-26";
const ALICE = { authorization: "Bearer alice", "mcp-protocol-version": VERSION };

/** `count` calls of the fixture's simplest tool, ids `c0`…, as one batch. */
function batch(count: number): unknown[] {
  return Array.from({ length: count }, (_, index) => ({
    jsonrpc: "2.0",
    id: `c${index}`,
    method: "tools/call",
    params: { name: "test_simple_text", arguments: {} },
  }));
}

/** A 2025-03-26 session of alice's (initialize and initialized: one unit). */
async function aliceSession(url: string): Promise<string> {
  const response = await rawPost(url, undefined, initializeMessage(VERSION), { headers: ALICE });
  await response.body?.cancel();
  const sessionId = response.headers.get("mcp-session-id");
  assert.equal(response.status, 200);
  assert.ok(sessionId !== null);
  const initialized = await rawPost(url, sessionId, {
    jsonrpc: "2.0",
    method: "notifications/initialized",
  }, { headers: ALICE });
  await initialized.body?.cancel();
  return sessionId;
}

/** The JSON-RPC messages of a POST's answer (a JSON body or an SSE stream). */
async function messagesOf(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  if (response.headers.get("content-type")?.includes("application/json")) {
    return [JSON.parse(text)].flat();
  }
  return text.split("\n").filter((line) => line.startsWith("data:"))
    .flatMap((line) => [JSON.parse(line.slice(5))].flat());
}

describe("workerd: a 2025-03-26 batch against rateLimits.perPrincipal", {
  skip: workerdSkip,
}, () => {
  let fixture: WorkerdFixture;
  before(async () => {
    fixture = await startWorkerdFixture("durable-object", { RATE_LIMIT_PER_PRINCIPAL: "5" });
  });
  after(async () => {
    await fixture?.stop();
  });

  it("a batch over what is left is refused whole; one that fits runs, a unit a request", async () => {
    const sessionId = await aliceSession(fixture.url); // initialize spends one: four left
    try {
      const refused = await rawPost(fixture.url, sessionId, batch(8), { headers: ALICE });
      const refusal = await messagesOf(refused);
      assert.equal(refused.status, 429, `${JSON.stringify(refusal)}\n${fixture.output()}`);
      assert.ok(
        refusal.every((message) => (message.error as { code?: number })?.code === -32004),
        JSON.stringify(refusal),
      );
      const served = await rawPost(fixture.url, sessionId, batch(3), { headers: ALICE });
      const answers = await messagesOf(served);
      assert.equal(served.status, 200, JSON.stringify(answers));
      assert.deepEqual(answers.map((answer) => answer.id).sort(), ["c0", "c1", "c2"]);
      assert.ok(answers.every((answer) => "result" in answer), JSON.stringify(answers));
      // One unit left: a batch of two does not fit.
      const over = await rawPost(fixture.url, sessionId, batch(2), { headers: ALICE });
      await over.body?.cancel();
      assert.equal(over.status, 429);
    } finally {
      await rawDelete(fixture.url, sessionId, ALICE);
    }
  });
});
