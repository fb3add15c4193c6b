/**
 * The MCP Inspector's CLI (2.12) against the fixture, each run a fresh Node
 * process as a user starts it: in the stateless 2025 mode
 * (`eras: { legacy: "stateless" }`) it initializes without a session, lists,
 * calls (with progress), reads and gets prompts, and a session-only tool
 * answers the documented tool error; the sessionful default is the control.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import type { McpHandler } from "../../../mod.ts";
import { within } from "../../helpers.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE = `${ROOT}node_modules/node24/bin/node`;
const INSPECTOR =
  `${ROOT}node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js`;

/** What one CLI run printed and how it ended. */
interface Run {
  code: number | null;
  // deno-lint-ignore no-explicit-any
  json: any;
  stderr: string;
}

/** One request the fixture saw and the status it answered. */
interface Seen {
  method: string;
  rpc?: string;
  status: number;
  sessionId: string | null;
}

/** The fixture on a loopback port, recording each request it answers. */
interface Fixture {
  handler: McpHandler;
  server: RunningServer;
  seen: Seen[];
  /** The `notifications/progress` the response to a call with a progress token carried. */
  progress: number[];
  /** How many requests carried a progress token. */
  progressTokens: number;
}

async function startFixture(env: Record<string, string>): Promise<Fixture> {
  const handler = createEverythingHandler(env);
  const seen: Seen[] = [];
  const progress: number[] = [];
  const counts = { progressTokens: 0 };
  const recording = async (request: Request): Promise<Response> => {
    let rpc: string | undefined;
    let progressToken: unknown;
    if (request.method === "POST") {
      try {
        const body = await request.clone().json();
        rpc = body?.method;
        progressToken = body?.params?._meta?.progressToken;
      } catch { /* the handler answers a bad body itself */ }
    }
    const response = await handler(request);
    seen.push({
      method: request.method,
      ...(rpc === undefined ? {} : { rpc }),
      status: response.status,
      sessionId: response.headers.get("mcp-session-id"),
    });
    if (progressToken === undefined || response.body === null) return response;
    counts.progressTokens++;
    // Count the progress events on their way to the client, changing nothing.
    const decoder = new TextDecoder();
    const counting = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        for (const match of decoder.decode(chunk, { stream: true }).matchAll(/"progress":(\d+)/g)) {
          progress.push(Number(match[1]));
        }
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(counting), response);
  };
  const server = await serveHandler(Object.assign(recording, { close: () => handler.close() }), 0);
  return {
    handler,
    server,
    seen,
    progress,
    get progressTokens() {
      return counts.progressTokens;
    },
  };
}

const homes: string[] = [];

/** Runs `mcp-inspector --cli <url> --format json -q ...args` with its files in a temp home. */
async function inspect(url: string, args: string[]): Promise<Run> {
  const home = mkdtempSync(join(tmpdir(), "tether-inspector-"));
  homes.push(home);
  const child = spawn(
    NODE,
    [INSPECTOR, "--cli", url, "--format", "json", "-q", ...args],
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
    const code = await within(ended, 30_000, `mcp-inspector ${args.join(" ")}`);
    // A tool error is reported as an error envelope on stderr, its result on stdout.
    const text = stdout.trim() === "" ? stderr : stdout;
    let json: unknown;
    try {
      json = JSON.parse(text.trim());
    } catch {
      assert.fail(`mcp-inspector ${args.join(" ")} printed no JSON: ${stdout} ${stderr}`);
    }
    return { code, json, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

/** Asserts a run succeeded and returns its result. */
// deno-lint-ignore no-explicit-any
async function result(url: string, args: string[]): Promise<any> {
  const run = await inspect(url, args);
  assert.equal(run.code, 0, `${args.join(" ")}: ${JSON.stringify(run.json)} ${run.stderr}`);
  assert.ok(run.json.result !== undefined, JSON.stringify(run.json));
  return run.json.result;
}

after(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

describe("the Inspector CLI 2.12 against the stateless 2025 fixture (LEGACY_STATELESS=1)", () => {
  let fixture: Fixture;
  let url: string;
  before(async () => {
    fixture = await startFixture({ LEGACY_STATELESS: "1" });
    url = `${fixture.server.url}/mcp`;
  });
  after(() => fixture.server.close());

  it("initializes without a session; listChanged and subscribe are not advertised", async () => {
    const initialized = await result(url, ["--method", "initialize"]);
    assert.equal(initialized.protocolVersion, "2025-11-25");
    assert.deepEqual(initialized.serverInfo, { name: "tether-everything", version: "1.0.0" });
    assert.deepEqual(initialized.capabilities.tools, {});
    assert.deepEqual(initialized.capabilities.resources, {});
    assert.deepEqual(initialized.capabilities.prompts, {});
  });

  it("lists tools and calls one", async () => {
    const listed = await result(url, ["--method", "tools/list"]);
    const names = listed.tools.map((tool: { name: string }) => tool.name);
    assert.ok(names.includes("test_simple_text") && names.includes("increment"), names.join());
    const called = await result(url, ["--method", "tools/call", "--tool-name", "test_simple_text"]);
    assert.deepEqual(called.content, [{
      type: "text",
      text: "This is a simple text response for testing.",
    }]);
  });

  it("calls a tool that reports progress", async () => {
    const before = fixture.progress.length;
    const tokensBefore = fixture.progressTokens;
    const called = await result(url, [
      "--method",
      "tools/call",
      "--tool-name",
      "test_tool_with_progress",
    ]);
    assert.deepEqual(called.content, [{
      type: "text",
      text: "Tool with progress executed successfully",
    }]);
    // The CLI prints only the result; when it asks for progress, the fixture's three steps reach it.
    // The CLI prints only the result, and 2.12 asks for no progress (no progressToken), so none
    // is sent; should it ask, the fixture's three steps go out on the call's stream. (SDK clients
    // with onprogress: stateless_legacy_test.ts.)
    const asked = fixture.progressTokens > tokensBefore;
    assert.deepEqual(fixture.progress.slice(before), asked ? [0, 50, 100] : []);
  });

  it("lists and reads resources and templates", async () => {
    const listed = await result(url, ["--method", "resources/list"]);
    assert.ok(
      listed.resources.some((resource: { uri: string }) => resource.uri === "test://static-text"),
    );
    const read = await result(url, ["--method", "resources/read", "--uri", "test://static-text"]);
    assert.deepEqual(read.contents, [{
      uri: "test://static-text",
      mimeType: "text/plain",
      text: "This is the content of the static text resource.",
    }]);
    const templates = await result(url, ["--method", "resources/templates/list"]);
    assert.ok(
      templates.resourceTemplates.some((template: { uriTemplate: string }) =>
        template.uriTemplate === "test://template/{id}/data"
      ),
    );
    const filled = await result(url, [
      "--method",
      "resources/read",
      "--uri",
      "test://template/7/data",
    ]);
    assert.equal(JSON.parse(filled.contents[0].text).id, "7");
  });

  it("lists prompts and gets one with arguments", async () => {
    const listed = await result(url, ["--method", "prompts/list"]);
    assert.ok(
      listed.prompts.some((prompt: { name: string }) =>
        prompt.name === "test_prompt_with_arguments"
      ),
    );
    const got = await result(url, [
      "--method",
      "prompts/get",
      "--prompt-name",
      "test_prompt_with_arguments",
      "--prompt-args",
      "arg1=a",
      "arg2=b",
    ]);
    assert.deepEqual(got.messages, [{
      role: "user",
      content: { type: "text", text: "Prompt with arguments: arg1='a', arg2='b'" },
    }]);
  });

  it("logging/setLevel succeeds (and changes nothing)", async () => {
    assert.deepEqual(
      await result(url, ["--method", "logging/setLevel", "--log-level", "debug"]),
      {},
    );
  });

  it("a session-only tool answers the documented tool error (exit 5), not a hang", async () => {
    const run = await inspect(url, ["--method", "tools/call", "--tool-name", "increment"]);
    assert.equal(run.code, 5, run.stderr);
    assert.match(run.stderr, /tool_is_error/);
    assert.equal(run.json.result.isError, true);
    assert.match(run.json.result.content[0].text, /keeps its counter in a session/);
  });

  it("no session was opened: no Mcp-Session-Id, and a GET or DELETE it sent got 405", async () => {
    await result(url, ["--method", "tools/list"]);
    assert.equal((await fixture.handler.stats()).sessionsCreated, 0);
    assert.ok(fixture.seen.some((seen) => seen.rpc === "initialize"));
    for (const seen of fixture.seen) {
      assert.equal(seen.sessionId, null, JSON.stringify(seen));
      if (seen.method === "GET" || seen.method === "DELETE") assert.equal(seen.status, 405);
      if (seen.method === "POST") assert.ok(seen.status < 300, JSON.stringify(seen));
    }
  });
});

describe("the Inspector CLI 2.12 against the sessionful fixture (the control)", () => {
  let fixture: Fixture;
  let url: string;
  before(async () => {
    fixture = await startFixture({});
    url = `${fixture.server.url}/mcp`;
  });
  after(() => fixture.server.close());

  it("initializes with a session and listChanged/subscribe advertised", async () => {
    const initialized = await result(url, ["--method", "initialize"]);
    assert.deepEqual(initialized.capabilities.tools, { listChanged: true });
    assert.deepEqual(initialized.capabilities.resources, { subscribe: true, listChanged: true });
    const created = fixture.seen.find((seen) => seen.rpc === "initialize");
    assert.ok(created?.sessionId, "initialize answered an Mcp-Session-Id");
  });

  it("lists, calls, reads and gets a prompt", async () => {
    const listed = await result(url, ["--method", "tools/list"]);
    assert.ok(listed.tools.some((tool: { name: string }) => tool.name === "test_simple_text"));
    const called = await result(url, ["--method", "tools/call", "--tool-name", "test_simple_text"]);
    assert.equal(called.content[0].text, "This is a simple text response for testing.");
    const read = await result(url, ["--method", "resources/read", "--uri", "test://static-text"]);
    assert.equal(read.contents[0].text, "This is the content of the static text resource.");
    const got = await result(url, [
      "--method",
      "prompts/get",
      "--prompt-name",
      "test_simple_prompt",
    ]);
    assert.equal(got.messages.length, 1);
  });

  it("a session-only tool works: each run's own session counts from 1", async () => {
    const called = await result(url, ["--method", "tools/call", "--tool-name", "increment"]);
    assert.deepEqual(called.content, [{ type: "text", text: "1" }]);
    assert.ok((await fixture.handler.stats()).sessionsCreated >= 1);
  });
});
