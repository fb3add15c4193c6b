/**
 * The MCP Inspector's CLI (2.12, run on Node 24 as a user starts it)
 * launches examples/stdio.ts as its stdio server on the test's runtime
 * (Node 24, Node 22, Deno or Bun) and, in each era it speaks (the 2025
 * default and `--protocol-era modern`, 2026-07-28), initializes, lists
 * the tools and calls one; each run ends with the server's clean exit.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { within } from "../../helpers.ts";
import { runtimeCommand } from "../gateway/runtime_command.ts";
import { EXAMPLE } from "./stdio_process.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE = `${ROOT}node_modules/node24/bin/node`;
const INSPECTOR =
  `${ROOT}node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js`;

const homes: string[] = [];
after(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/**
 * Runs `mcp-inspector --cli --format json -q [--protocol-era era] <this
 * runtime> examples/stdio.ts ...args` with its files in a temp home;
 * asserts it exited 0 and returns the result it printed.
 */
// deno-lint-ignore no-explicit-any
async function inspect(era: "legacy" | "modern", args: string[]): Promise<any> {
  const home = mkdtempSync(join(tmpdir(), "tether-inspector-stdio-"));
  homes.push(home);
  const server = runtimeCommand(EXAMPLE);
  const child = spawn(
    NODE,
    [
      INSPECTOR,
      "--cli",
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
    ],
    {
      env: {
        ...process.env,
        HOME: home,
        USERPROFILE: home,
        MCP_CATALOG_PATH: join(home, "catalog.json"),
        MCP_CLIENT_CONFIG_PATH: join(home, "client.json"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => stdout += chunk.toString("utf8"));
  child.stderr!.on("data", (chunk: Buffer) => stderr += chunk.toString("utf8"));
  const ended = new Promise<number | null>((resolve) =>
    child.once("close", (code) => resolve(code))
  );
  try {
    const code = await within(ended, 120_000, `mcp-inspector ${args.join(" ")}`);
    assert.equal(code, 0, `${args.join(" ")}: ${stdout} ${stderr}`);
    let json: { result?: unknown };
    try {
      json = JSON.parse(stdout.trim());
    } catch {
      assert.fail(`mcp-inspector ${args.join(" ")} printed no JSON: ${stdout} ${stderr}`);
    }
    assert.ok(json.result !== undefined, stdout);
    return json.result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

const ERAS = [
  { era: "legacy", version: "2025-11-25" },
  { era: "modern", version: "2026-07-28" },
] as const;

for (const { era, version } of ERAS) {
  describe(`the Inspector CLI 2.12 runs examples/stdio.ts (${era}, ${version})`, () => {
    it("initializes in its era", async () => {
      const initialized = await inspect(era, ["--method", "initialize"]);
      assert.equal(initialized.protocolVersion, version);
      assert.deepEqual(initialized.serverInfo, { name: "tether-everything", version: "1.0.0" });
      assert.ok(initialized.capabilities.tools !== undefined);
    });

    it("lists the tools and calls one", async () => {
      const listed = await inspect(era, ["--method", "tools/list"]);
      const names = listed.tools.map((tool: { name: string }) => tool.name);
      assert.ok(names.includes("test_simple_text"), names.join());
      assert.ok(names.includes("test_tool_with_progress"), names.join());
      const called = await inspect(era, [
        "--method",
        "tools/call",
        "--tool-name",
        "test_simple_text",
      ]);
      assert.deepEqual(called.content, [{
        type: "text",
        text: "This is a simple text response for testing.",
      }]);
    });
  });
}
