/** The greeter's test under vitest: the same kit, vitest's `it` and `expect`. */
import { expect, it } from "vitest";
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
    expect(result.content).toEqual([{ type: "text", text: "Hello, Ada!" }]);
    expect(progress[0].message).toBe("looking up the name");
    await client.close();
    await handler.close();
  });
}
