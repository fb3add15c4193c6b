/**
 * A call's progress behind a stdio upstream reaches the downstream client
 * before its result, every time: the upstream sends its last progress
 * notification and its result back to back (often one chunk on the pipe),
 * and the gateway's upstream client must handle the notification before
 * the result ends the call (which drops its progress handler).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { textOf } from "../interop/helpers.ts";
import { startStdioGateway } from "./stdio_gateway.ts";

const CALLS = 100;
const STEPS = 5;

describe("gateway stdio upstream delivery", () => {
  it(`every progress notification of a call arrives before its result (${CALLS} calls)`, async () => {
    const fixture = await startStdioGateway();
    try {
      const connection = await fixture.connect();
      const short: string[] = [];
      for (let call = 0; call < CALLS; call++) {
        const seen: number[] = [];
        const result = await connection.client.callTool(
          { name: "local_progress", arguments: { steps: STEPS } },
          undefined,
          { onprogress: (progress) => void seen.push(progress.progress) },
        );
        assert.equal(textOf(result), `sent ${STEPS}`);
        if (seen.length !== STEPS) short.push(`call ${call}: ${JSON.stringify(seen)}`);
      }
      assert.deepEqual(short, [], "calls whose result came before all their progress");
    } finally {
      await fixture.close();
    }
  });
});
