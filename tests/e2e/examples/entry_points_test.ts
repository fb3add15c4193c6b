/**
 * Every example entry point is started with PORT=0 by some test and
 * answers. The examples that no other test starts as a program (otel.ts,
 * prometheus.ts, quickstart.ts, gateway.ts) are started here, on the
 * runtime running the tests, and driven by the official SDK client; a scan
 * of examples/ keeps the list whole: a new entry point (a file that reads
 * PORT) fails until a test starts it.
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { afterEach, describe, it } from "node:test";
import { connectClient, WAIT_MS, withTimeout } from "../interop/helpers.ts";
import { BINARIES, ROOT, startExample, stopExamples } from "./example_process.ts";

afterEach(stopExamples);

/** Entry points started with PORT=0 elsewhere, and the test file that does it. */
const STARTED_ELSEWHERE: Record<string, string> = {
  "examples/bun/server.ts": "tests/e2e/examples/examples_test.ts",
  "examples/deno/server.ts": "tests/e2e/examples/examples_test.ts",
  "examples/node/server.ts": "tests/e2e/examples/examples_test.ts",
  "examples/hono/server.ts": "tests/e2e/examples/examples_test.ts",
  "examples/everything.ts": "tests/e2e/telemetry/otlp_export_test.ts",
  "examples/oauth/server.ts": "tests/e2e/oauth/example_test.ts",
  "examples/cloudflare/worker.ts": "tests/e2e/edge/workerd_fixture.ts",
};

/** Entry points started here. */
const STARTED_HERE = [
  "examples/otel.ts",
  "examples/prometheus.ts",
  "examples/quickstart.ts",
  "examples/gateway.ts",
];

/** The example's command on the runtime running the tests. */
function onThisRuntime(file: string): [string, string[]] {
  if ("Deno" in globalThis) return [BINARIES.deno, ["run", "-A", file]];
  if ("Bun" in globalThis) return [BINARIES.bun, [file]];
  return [process.execPath, [file]];
}

/** Every `.ts` file under examples/ (node_modules and tests aside) that reads PORT. */
function entryPoints(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(`${ROOT}${dir}`, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory() && entry.name !== "node_modules") walk(path);
      else if (entry.isFile() && path.endsWith(".ts") && !path.endsWith("_test.ts")) {
        if (/\bPORT\b/.test(readFileSync(`${ROOT}${path}`, "utf8"))) found.push(path);
      }
    }
  };
  walk("examples");
  return found.sort();
}

const ENDPOINT = /http:\/\/127\.0\.0\.1:\d+\/mcp\b/;

/** Starts `file` with PORT=0, connects the SDK client, calls `tool`, returns the first text. */
async function callTool(
  file: string,
  tool: string,
  args: Record<string, unknown> = {},
): Promise<{ text: string; url: string; structured: unknown }> {
  const [command, argv] = onThisRuntime(file);
  const example = await startExample(command, argv, ENDPOINT);
  assert.doesNotMatch(example.url, /:0\//, "the example prints the port it listens on");
  const connection = await withTimeout(
    connectClient(example.url),
    WAIT_MS,
    `connecting to ${file}`,
  );
  try {
    const result = await connection.client.callTool({ name: tool, arguments: args }, undefined, {
      timeout: WAIT_MS,
    });
    assert.equal(result.isError, undefined, `${file}: ${JSON.stringify(result)}`);
    const [content] = result.content as { type: string; text: string }[];
    return { text: content?.text, url: example.url, structured: result.structuredContent };
  } finally {
    await connection.close();
  }
}

describe("example entry points with PORT=0", () => {
  it("every entry point under examples/ is started by a test", () => {
    const covered = [...Object.keys(STARTED_ELSEWHERE), ...STARTED_HERE].sort();
    assert.deepEqual(entryPoints(), covered);
    for (const [file, test] of Object.entries(STARTED_ELSEWHERE)) {
      const source = readFileSync(`${ROOT}${test}`, "utf8");
      const name = file === "examples/cloudflare/worker.ts" ? "workerd_fixture.sh" : file;
      assert.ok(source.includes(name), `${test} starts ${file}`);
      // startExample (example_process.ts) sets PORT=0 itself.
      assert.ok(source.includes(`PORT: "0"`) || source.includes("startExample("), test);
    }
  });

  it("otel.ts: the forecast tool calls the port the server listens on", async () => {
    const { text } = await callTool("examples/otel.ts", "forecast", { city: "Oslo" });
    assert.equal(text, "sunny");
  });

  it("prometheus.ts: ping answers, and /metrics counts the requests", async () => {
    const { text, url } = await callTool("examples/prometheus.ts", "ping");
    assert.equal(text, "pong");
    const metrics = await fetch(url.replace(/\/mcp$/, "/metrics"));
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^tether_in_flight \d+$/m);
  });

  it("quickstart.ts: add answers the sum", async () => {
    const { structured } = await callTool("examples/quickstart.ts", "add", { a: 2, b: 3 });
    assert.deepEqual(structured, { sum: 5 });
  });

  it("gateway.ts: the upstream's increment, listed as upstream_increment, counts", async () => {
    const { text } = await callTool("examples/gateway.ts", "upstream_increment");
    assert.equal(text, "1");
  });
});
