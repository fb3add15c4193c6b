/**
 * The check that two anonymous 2026-07-28 callers of a gateway in front of
 * relay_upstream.ts, calling at once, each get only what the upstream sent
 * about their own call (elicitation, sampling, logs), for a handler in
 * process or one served elsewhere (workerd). Not a test file itself.
 * @module
 */

import assert from "node:assert/strict";
import { connect, type FetchHandler } from "../../../src/testing/mod.ts";
import { textOf } from "../interop/helpers.ts";
import { within } from "../../helpers.ts";
import type { RelayUpstream } from "./relay_upstream.ts";

/** How the two clients reach the gateway. */
export interface AnonymousCallersOptions {
  /** The gateway's endpoint, when `handler` fetches a server. @default "http://localhost/mcp" */
  url?: string;
  /** Added to failure messages (e.g. the server's output). @default none */
  detail?: () => string;
}

/** Two anonymous 2026-07-28 clients call `up_secret` at once; each sees only its own. */
export async function assertAnonymousCallersApart(
  upstream: RelayUpstream,
  handler: FetchHandler,
  options: AnonymousCallersOptions = {},
): Promise<void> {
  upstream.waitFor = 2;
  const seen = { a: [] as string[], b: [] as string[] };
  const client = (who: "a" | "b") =>
    connect(handler, {
      url: options.url,
      era: "2026",
      timeoutMs: 60_000,
      handlers: {
        elicitation: (params) => {
          seen[who].push(String(params.message));
          return { action: "accept", content: { name: `name-${who}` } };
        },
        sampling: (params) => {
          const text = (params.messages as { content: { text: string } }[])[0].content.text;
          seen[who].push(text);
          return { role: "assistant", model: "test", content: { type: "text", text: who } };
        },
      },
    });
  const meta = { "io.modelcontextprotocol/logLevel": "debug" };
  const a = await client("a");
  const b = await client("b");
  try {
    const [outA, outB] = await within(
      Promise.all([
        a.callTool("up_secret", { secret: "A-SECRET" }, { meta }),
        b.callTool("up_secret", { secret: "B-SECRET" }, { meta }),
      ]),
      40_000,
      "both calls of up_secret",
    );
    for (const [who, outcome] of [["a", outA], ["b", outB]] as const) {
      const logs = outcome.messages
        .filter((m) => "method" in m && m.method === "notifications/message")
        .map((m) => JSON.stringify((m as { params?: unknown }).params));
      seen[who].push(...logs);
    }
    const all = `${JSON.stringify(seen)}\n${options.detail?.() ?? ""}`;
    assert.ok(seen.a.every((text) => !text.includes("B-SECRET")), all);
    assert.ok(seen.b.every((text) => !text.includes("A-SECRET")), all);
    assert.ok(seen.a.some((text) => text.includes("ELICIT for A-SECRET")), all);
    assert.ok(seen.b.some((text) => text.includes("PROMPT of B-SECRET")), all);
    assert.ok(seen.a.some((text) => text.includes("LOG of A-SECRET")), all);
    assert.ok(seen.b.some((text) => text.includes("GLOBAL of B-SECRET")), all);
    assert.equal(textOf(outA.result as never), "name-a|a", "the upstream got A's own answers");
    assert.equal(textOf(outB.result as never), "name-b|b", "the upstream got B's own answers");
  } finally {
    await a.close();
    await b.close();
  }
}
