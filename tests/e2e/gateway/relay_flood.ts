/**
 * The check that a gateway (relay bounds of 50 progress, 50 logs and 4
 * requests a call) in front of relay_upstream.ts caps one call's flood of
 * progress, logs and 40 elicitations, for a handler in process or one
 * served elsewhere (workerd), through tether's test client in 2025. Not a
 * test file itself.
 * @module
 */

import assert from "node:assert/strict";
import { connect, type FetchHandler } from "../../../src/testing/mod.ts";
import { waitFor } from "../interop/helpers.ts";
import type { RelayUpstream } from "./relay_upstream.ts";

/** The flood and how the client reaches the gateway. */
export interface FloodOptions {
  /** Progress notifications and log messages the upstream sends (each past 50). */
  count: number;
  /** The gateway's `stats().relaysDropped`, read after the call. */
  dropped(): number | Promise<number>;
  /** The gateway's endpoint, when `handler` fetches a server. @default "http://localhost/mcp" */
  url?: string;
  /** Headers of every request (the caller's credentials). @default none */
  headers?: Record<string, string>;
}

/**
 * One call of `up_flood` sending `count` progress and `count` log messages
 * and 40 elicitations: the client gets at most 50 of each and 4
 * elicitations in flight; the other 36 are refused to the upstream and the
 * rest counted as dropped.
 */
export async function assertFloodCapped(
  upstream: RelayUpstream,
  handler: FetchHandler,
  options: FloodOptions,
): Promise<void> {
  let elicited = 0;
  const client = await connect(handler, {
    url: options.url,
    headers: options.headers,
    era: "2025",
    timeoutMs: 120_000,
    handlers: {
      elicitation: async () => {
        elicited++;
        // Held until the upstream saw the rest refused: all four are in flight at once.
        await waitFor(() => upstream.record.refused >= 36, "the excess refused", 60_000);
        return { action: "accept", content: {} };
      },
    },
  });
  try {
    await client.request("logging/setLevel", { level: "debug" });
    let progress = 0;
    const outcome = await client.callTool("up_flood", {
      progress: options.count,
      logs: options.count,
      elicitations: 40,
    }, { onProgress: () => progress++ });
    assert.notEqual(outcome.result.isError, true, JSON.stringify(outcome.result));
    const logs = outcome.messages.filter((m) =>
      "method" in m && m.method === "notifications/message"
    ).length;
    assert.ok(progress >= 1 && progress <= 50, `progress relayed: ${progress}`);
    assert.ok(logs >= 1 && logs <= 50, `logs relayed: ${logs}`);
    assert.equal(elicited, 4, "four elicitations in flight reached the client");
    assert.equal(upstream.record.refused, 36, "the other 36 were refused to the upstream");
    assert.equal(upstream.record.answered, 4);
    // Progress after the answer is the SDK's to drop; what arrived before it is counted.
    const dropped = await options.dropped();
    assert.ok(dropped >= 2 * (options.count - 50) + 36, `dropped: ${dropped}`);
  } finally {
    await client.close();
  }
}
