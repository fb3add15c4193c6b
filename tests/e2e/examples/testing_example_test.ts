/**
 * Runs the test of examples/testing/ (the README's "Testing your server"):
 * importing it registers its tests here, on whichever runtime runs this file.
 * And the README shows that test as it is (its import of the kit by package name).
 */

import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import "../../../examples/testing/greeter_test.ts";

it("the README's testing example is examples/testing/greeter_test.ts", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Testing your server"));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const example = readFileSync(
    new URL("../../../examples/testing/greeter_test.ts", import.meta.url),
    "utf8",
  )
    .replace(/^\/\*\*.*\*\/\n/, "")
    .replace(/"\.\.\/\.\.\/src\/testing\/mod\.ts";.*$/m, '"@tether/mcp/testing";');
  assert.equal(block, example);
});
