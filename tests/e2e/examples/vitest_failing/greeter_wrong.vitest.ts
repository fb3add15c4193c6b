/**
 * A deliberately failing vitest file (the positive control of
 * tests/e2e/examples/vitest_example_test.ts): the kit's answer is right, the
 * expectation is not, so vitest must report a failure.
 */
import { expect, it } from "vitest";
import { connect } from "../../../../src/testing/mod.ts";
import { createGreeter } from "../../../../examples/testing/greeter.ts";

it("greet says hello to the wrong person", async () => {
  const handler = createGreeter();
  const client = await connect(handler, { era: "2026" });
  const { result } = await client.callTool("greet", { name: "Ada" });
  await client.close();
  await handler.close();
  expect(result.content).toEqual([{ type: "text", text: "Hello, Bob!" }]);
});
