/**
 * The conformance fixture's RATE_LIMIT_PER_PRINCIPAL: a budget per
 * principal (the demo bearer token), after authentication; another
 * principal is served.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { modernRequest } from "../../support/modern_helpers.ts";

function whoami(token: string): Request {
  return modernRequest("tools/call", { name: "whoami", arguments: {} }, {
    headers: { authorization: `Bearer ${token}` },
  });
}

describe("the fixture's RATE_LIMIT_PER_PRINCIPAL", () => {
  it("one principal past its budget is refused 429, another is served", async () => {
    const handler = createEverythingHandler({ RATE_LIMIT_PER_PRINCIPAL: "2" });
    try {
      const statuses: number[] = [];
      for (const token of ["alice", "alice", "alice", "bob"]) {
        const response = await handler(whoami(token));
        await response.body?.cancel();
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [200, 200, 429, 200]);
    } finally {
      await handler.close();
    }
  });

  it("refuses a value that is not a positive integer", () => {
    assert.throws(() => createEverythingHandler({ RATE_LIMIT_PER_PRINCIPAL: "0" }), RangeError);
  });
});
