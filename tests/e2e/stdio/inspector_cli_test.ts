/**
 * The MCP Inspector's CLI (2.12, run on Node 24 as a user starts it)
 * launches examples/stdio.ts as its stdio server on the test's runtime
 * (Node 24, Node 22, Deno or Bun) and, in each era it speaks (the 2025
 * default and `--protocol-era modern`, 2026-07-28), initializes, lists
 * the tools and calls one; each run ends with the server's clean exit.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type InspectorRun, runInspector } from "../interop/inspector_cli.ts";
import { runtimeCommand } from "../gateway/runtime_command.ts";
import { EXAMPLE } from "./stdio_process.ts";

/**
 * Runs `mcp-inspector --cli --format json -q [--protocol-era era] <this
 * runtime> examples/stdio.ts ...args`.
 */
function inspect(era: "legacy" | "modern", args: string[]): Promise<InspectorRun> {
  const server = runtimeCommand(EXAMPLE);
  return runInspector([
    "--format",
    "json",
    "-q",
    // Starting the example takes seconds on a loaded machine; the CLI's default is 15 s.
    "--connect-timeout",
    "60000",
    ...(era === "modern" ? ["--protocol-era", "modern"] : []),
    server.command,
    ...server.args,
    ...args,
  ]);
}

/** Asserts a run exited 0 and returns the result it printed. */
// deno-lint-ignore no-explicit-any
async function result(running: Promise<InspectorRun>): Promise<any> {
  const { args, code, stdout, stderr } = await running;
  assert.equal(code, 0, `${args.join(" ")}: ${stdout} ${stderr}`);
  let json: { result?: unknown };
  try {
    json = JSON.parse(stdout.trim());
  } catch {
    assert.fail(`mcp-inspector ${args.join(" ")} printed no JSON: ${stdout} ${stderr}`);
  }
  assert.ok(json.result !== undefined, stdout);
  return json.result;
}

const ERAS = [
  { era: "legacy", version: "2025-11-25" },
  { era: "modern", version: "2026-07-28" },
] as const;

type Era = typeof ERAS[number]["era"];

/** An era's runs, started at once (they take turns, see inspector_cli.ts). */
function startRuns(era: Era): Record<"initialize" | "list" | "call", Promise<InspectorRun>> {
  const runs = {
    initialize: inspect(era, ["--method", "initialize"]),
    list: inspect(era, ["--method", "tools/list"]),
    call: inspect(era, ["--method", "tools/call", "--tool-name", "test_simple_text"]),
  };
  for (const run of Object.values(runs)) run.catch(() => {}); // reported by their tests
  return runs;
}

// Both eras' runs start with the file; each test awaits the runs it checks.
let runs: Record<Era, ReturnType<typeof startRuns>>;
before(() => {
  runs = { legacy: startRuns("legacy"), modern: startRuns("modern") };
});
after(() => Promise.allSettled(Object.values(runs ?? {}).flatMap((era) => Object.values(era))));

for (const { era, version } of ERAS) {
  describe(`the Inspector CLI 2.12 runs examples/stdio.ts (${era}, ${version})`, () => {
    it("initializes in its era", async () => {
      const initialized = await result(runs[era].initialize);
      assert.equal(initialized.protocolVersion, version);
      assert.deepEqual(initialized.serverInfo, { name: "tether-everything", version: "1.0.0" });
      assert.ok(initialized.capabilities.tools !== undefined);
    });

    it("lists the tools and calls one", async () => {
      const listed = await result(runs[era].list);
      const names = listed.tools.map((tool: { name: string }) => tool.name);
      assert.ok(names.includes("test_simple_text"), names.join());
      assert.ok(names.includes("test_tool_with_progress"), names.join());
      const called = await result(runs[era].call);
      assert.deepEqual(called.content, [{
        type: "text",
        text: "This is a simple text response for testing.",
      }]);
    });
  });
}
