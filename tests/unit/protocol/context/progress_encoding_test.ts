/**
 * Progress notifications are encoded by hand on their hot path: every one
 * must be byte for byte what `JSON.stringify` makes of the same message, for
 * any token, value, total and message a tool can pass.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../../mod.ts";
import { initialize, makeHandler, postRequest, readSseUntil } from "../../../helpers.ts";

/** [progress, total?, message?] in call order (progress must increase). */
const CALLS: [number, number | undefined, string | undefined][] = [
  [-1e21, undefined, undefined],
  [-0.5, 1e-7, 'quote " backslash \\ newline \n tab \t'],
  [0, 3, "é ü 漢字 😀 \u2028 \u0000"],
  [0.1 + 0.2, 100, ""],
  [1, Number.MAX_SAFE_INTEGER, undefined],
  // The same total again, with and without a message, then none, then it again.
  [2, 100, undefined],
  [3, 100, "same total"],
  [4, 100, undefined],
  [5, undefined, undefined],
  [6, 100, undefined],
  [2 ** 53 + 2, undefined, "</script>"],
  [1e21, 1.5e300, "last"],
];

async function progressLines(token: string | number): Promise<string[]> {
  const handler = makeHandler({
    tools: [defineTool({
      name: "report",
      handler: async (_input, ctx) => {
        for (const [progress, total, message] of CALLS) {
          await ctx.progress(progress, total, message);
        }
        return "reported";
      },
    })],
  });
  try {
    const session = await initialize(handler);
    const response = await handler(postRequest({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "report", _meta: { progressToken: token } },
    }, { sessionId: session.id, protocolVersion: session.protocolVersion }));
    const { events } = await readSseUntil(response.body!.getReader(), () => false, 1_000);
    return events.map((event) => event.data ?? "").filter((data) => data.includes("progress"));
  } finally {
    await handler.close();
  }
}

describe("progress notification encoding", () => {
  for (const token of ["plain", 'a "quoted" \\ token 😀', 7, -2.5]) {
    it(`matches JSON.stringify for token ${JSON.stringify(token)}`, async () => {
      const lines = await progressLines(token);
      const expected = CALLS.map(([progress, total, message]) => {
        const params: Record<string, unknown> = { progressToken: token, progress };
        if (total !== undefined) params.total = total;
        if (message !== undefined) params.message = message;
        return JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params });
      });
      assert.deepEqual(lines, expected);
    });
  }
});
