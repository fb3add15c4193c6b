/** The greeter's test: no server, no sockets; the same test for both eras. */
import { it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../../src/testing/mod.ts"; // "@tether/mcp/testing" in your project
import { createGreeter } from "./greeter.ts";

for (const era of ["2025", "2026"] as const) {
  it(`greet asks for the name and says hello (${era})`, async () => {
    const handler = createGreeter();
    const client = await connect(handler, {
      era,
      handlers: { elicitation: () => ({ action: "accept", content: { name: "Ada" } }) },
    });
    const { result, progress } = await client.callTool("greet");
    assert.deepEqual(result.content, [{ type: "text", text: "Hello, Ada!" }]);
    assert.equal(progress[0].message, "looking up the name");
    await client.close();
    await handler.close();
  });
}
