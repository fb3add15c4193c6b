/**
 * Runs the test of examples/testing/ (docs/testing.md, once the README's
 * "Testing your server"): importing it registers its tests here, on whichever
 * runtime runs this file. And the guide shows that test as it is (its import
 * of the kit by package name).
 */

import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import "../../../examples/testing/greeter_test.ts";
import { page, tsBlocks } from "./docs_text.ts";

it("docs/testing.md's example is examples/testing/greeter_test.ts", () => {
  const [block] = tsBlocks(page("docs/testing.md"));
  const example = readFileSync(
    new URL("../../../examples/testing/greeter_test.ts", import.meta.url),
    "utf8",
  )
    .replace(/^\/\*\*.*\*\/\n/, "")
    .replace(/"\.\.\/\.\.\/src\/testing\/mod\.ts";.*$/m, '"@tether/mcp/testing";');
  assert.equal(block, example);
});
