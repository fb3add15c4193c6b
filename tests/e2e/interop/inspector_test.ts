/**
 * The MCP Inspector's CLI (2.12) against the fixture, each run a fresh Node
 * process as a user starts it: in the stateless 2025 mode
 * (`eras: { legacy: "stateless" }`) it initializes without a session, lists,
 * calls (with progress), reads and gets prompts, and a session-only tool
 * answers the documented tool error; the sessionful default is the control.
 * Each suite starts its runs together (they take turns, see
 * inspector_cli.ts); each test awaits the runs it checks.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import type { McpHandler } from "../../../mod.ts";
import { type InspectorRun, runInspector } from "./inspector_cli.ts";

/** What one CLI run printed (as JSON) and how it ended. */
interface Run extends InspectorRun {
  // deno-lint-ignore no-explicit-any
  json: any;
}

/** One request the fixture saw and the status it answered. */
interface Seen {
  method: string;
  rpc?: string;
  /** The tool a `tools/call` named. */
  tool?: string;
  status: number;
  sessionId: string | null;
  /** Whether the request carried a progress token. */
  progressToken: boolean;
  /** The `notifications/progress` its response carried to the client. */
  progress: number[];
}

/** The fixture on a loopback port, recording each request it answers. */
interface Fixture {
  handler: McpHandler;
  server: RunningServer;
  url: string;
  seen: Seen[];
}

async function startFixture(env: Record<string, string>): Promise<Fixture> {
  const handler = createEverythingHandler(env);
  const seen: Seen[] = [];
  const recording = async (request: Request): Promise<Response> => {
    let rpc: string | undefined;
    let tool: string | undefined;
    let progressToken: unknown;
    if (request.method === "POST") {
      try {
        const body = await request.clone().json();
        rpc = body?.method;
        if (rpc === "tools/call") tool = body?.params?.name;
        progressToken = body?.params?._meta?.progressToken;
      } catch { /* the handler answers a bad body itself */ }
    }
    const response = await handler(request);
    const entry: Seen = {
      method: request.method,
      ...(rpc === undefined ? {} : { rpc }),
      ...(tool === undefined ? {} : { tool }),
      status: response.status,
      sessionId: response.headers.get("mcp-session-id"),
      progressToken: progressToken !== undefined,
      progress: [],
    };
    seen.push(entry);
    if (progressToken === undefined || response.body === null) return response;
    // Count the progress events on their way to the client, changing nothing.
    const decoder = new TextDecoder();
    const counting = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        for (const match of decoder.decode(chunk, { stream: true }).matchAll(/"progress":(\d+)/g)) {
          entry.progress.push(Number(match[1]));
        }
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(counting), response);
  };
  const server = await serveHandler(Object.assign(recording, { close: () => handler.close() }), 0);
  return { handler, server, url: `${server.url}/mcp`, seen };
}

/** Runs `mcp-inspector --cli <url> --format json -q ...args` and parses what it printed. */
async function inspect(url: string, args: string[]): Promise<Run> {
  const run = await runInspector([url, "--format", "json", "-q", ...args]);
  // A tool error is reported as an error envelope on stderr, its result on stdout.
  const text = run.stdout.trim() === "" ? run.stderr : run.stdout;
  let json: unknown;
  try {
    json = JSON.parse(text.trim());
  } catch {
    assert.fail(`mcp-inspector ${args.join(" ")} printed no JSON: ${run.stdout} ${run.stderr}`);
  }
  return { ...run, json };
}

/** Starts every run of `runs` (named argument lists) at once against `url`. */
function startRuns<Name extends string>(
  url: string,
  runs: Record<Name, string[]>,
): Record<Name, Promise<Run>> {
  return Object.fromEntries(
    Object.entries<string[]>(runs).map(([name, args]) => {
      const run = inspect(url, args);
      run.catch(() => {}); // reported by the test that awaits it
      return [name, run];
    }),
  ) as Record<Name, Promise<Run>>;
}

/** Asserts a run succeeded and returns its result. */
// deno-lint-ignore no-explicit-any
async function result(running: Promise<Run>): Promise<any> {
  const run = await running;
  assert.equal(run.code, 0, `${run.args.join(" ")}: ${JSON.stringify(run.json)} ${run.stderr}`);
  assert.ok(run.json.result !== undefined, JSON.stringify(run.json));
  return run.json.result;
}

/** The runs of the stateless suite. */
const STATELESS_RUNS = {
  initialize: ["--method", "initialize"],
  toolsList: ["--method", "tools/list"],
  simpleText: ["--method", "tools/call", "--tool-name", "test_simple_text"],
  withProgress: ["--method", "tools/call", "--tool-name", "test_tool_with_progress"],
  resourcesList: ["--method", "resources/list"],
  staticText: ["--method", "resources/read", "--uri", "test://static-text"],
  templatesList: ["--method", "resources/templates/list"],
  filledTemplate: ["--method", "resources/read", "--uri", "test://template/7/data"],
  promptsList: ["--method", "prompts/list"],
  promptWithArguments: [
    "--method",
    "prompts/get",
    "--prompt-name",
    "test_prompt_with_arguments",
    "--prompt-args",
    "arg1=a",
    "arg2=b",
  ],
  setLevel: ["--method", "logging/setLevel", "--log-level", "debug"],
  increment: ["--method", "tools/call", "--tool-name", "increment"],
};

describe("the Inspector CLI 2.12 against the stateless 2025 fixture (LEGACY_STATELESS=1)", () => {
  let fixture: Fixture;
  let runs: Record<keyof typeof STATELESS_RUNS, Promise<Run>>;
  before(async () => {
    fixture = await startFixture({ LEGACY_STATELESS: "1" });
    runs = startRuns(fixture.url, STATELESS_RUNS);
  });
  after(async () => {
    await Promise.allSettled(Object.values(runs ?? {}));
    await fixture.server.close();
  });

  it("initializes without a session; listChanged and subscribe are not advertised", async () => {
    const initialized = await result(runs.initialize);
    assert.equal(initialized.protocolVersion, "2025-11-25");
    assert.deepEqual(initialized.serverInfo, { name: "tether-everything", version: "1.0.0" });
    assert.deepEqual(initialized.capabilities.tools, {});
    assert.deepEqual(initialized.capabilities.resources, {});
    assert.deepEqual(initialized.capabilities.prompts, {});
  });

  it("lists tools and calls one", async () => {
    const listed = await result(runs.toolsList);
    const names = listed.tools.map((tool: { name: string }) => tool.name);
    assert.ok(names.includes("test_simple_text") && names.includes("increment"), names.join());
    const called = await result(runs.simpleText);
    assert.deepEqual(called.content, [{
      type: "text",
      text: "This is a simple text response for testing.",
    }]);
  });

  it("calls a tool that reports progress", async () => {
    const called = await result(runs.withProgress);
    assert.deepEqual(called.content, [{
      type: "text",
      text: "Tool with progress executed successfully",
    }]);
    // The CLI prints only the result, and 2.12 asks for no progress (no progressToken), so none
    // is sent; should it ask, the fixture's three steps go out on the call's stream. (SDK clients
    // with onprogress: stateless_legacy_test.ts.)
    const calls = fixture.seen.filter((seen) => seen.tool === "test_tool_with_progress");
    assert.equal(calls.length, 1, JSON.stringify(calls));
    assert.deepEqual(calls[0].progress, calls[0].progressToken ? [0, 50, 100] : []);
  });

  it("lists and reads resources and templates", async () => {
    const listed = await result(runs.resourcesList);
    assert.ok(
      listed.resources.some((resource: { uri: string }) => resource.uri === "test://static-text"),
    );
    const read = await result(runs.staticText);
    assert.deepEqual(read.contents, [{
      uri: "test://static-text",
      mimeType: "text/plain",
      text: "This is the content of the static text resource.",
    }]);
    const templates = await result(runs.templatesList);
    assert.ok(
      templates.resourceTemplates.some((template: { uriTemplate: string }) =>
        template.uriTemplate === "test://template/{id}/data"
      ),
    );
    const filled = await result(runs.filledTemplate);
    assert.equal(JSON.parse(filled.contents[0].text).id, "7");
  });

  it("lists prompts and gets one with arguments", async () => {
    const listed = await result(runs.promptsList);
    assert.ok(
      listed.prompts.some((prompt: { name: string }) =>
        prompt.name === "test_prompt_with_arguments"
      ),
    );
    const got = await result(runs.promptWithArguments);
    assert.deepEqual(got.messages, [{
      role: "user",
      content: { type: "text", text: "Prompt with arguments: arg1='a', arg2='b'" },
    }]);
  });

  it("logging/setLevel succeeds (and changes nothing)", async () => {
    assert.deepEqual(await result(runs.setLevel), {});
  });

  it("a session-only tool answers the documented tool error (exit 5), not a hang", async () => {
    const run = await runs.increment;
    assert.equal(run.code, 5, run.stderr);
    assert.match(run.stderr, /tool_is_error/);
    assert.equal(run.json.result.isError, true);
    assert.match(run.json.result.content[0].text, /keeps its counter in a session/);
  });

  it("no session was opened: no Mcp-Session-Id, and a GET or DELETE it sent got 405", async () => {
    await Promise.allSettled(Object.values(runs));
    assert.equal((await fixture.handler.stats()).sessionsCreated, 0);
    assert.ok(fixture.seen.some((seen) => seen.rpc === "initialize"));
    for (const seen of fixture.seen) {
      assert.equal(seen.sessionId, null, JSON.stringify(seen));
      if (seen.method === "GET" || seen.method === "DELETE") assert.equal(seen.status, 405);
      if (seen.method === "POST") assert.ok(seen.status < 300, JSON.stringify(seen));
    }
  });
});

/** The runs of the sessionful suite. */
const SESSIONFUL_RUNS = {
  initialize: ["--method", "initialize"],
  toolsList: ["--method", "tools/list"],
  simpleText: ["--method", "tools/call", "--tool-name", "test_simple_text"],
  staticText: ["--method", "resources/read", "--uri", "test://static-text"],
  simplePrompt: ["--method", "prompts/get", "--prompt-name", "test_simple_prompt"],
  increment: ["--method", "tools/call", "--tool-name", "increment"],
};

describe("the Inspector CLI 2.12 against the sessionful fixture (the control)", () => {
  let fixture: Fixture;
  let runs: Record<keyof typeof SESSIONFUL_RUNS, Promise<Run>>;
  before(async () => {
    fixture = await startFixture({});
    runs = startRuns(fixture.url, SESSIONFUL_RUNS);
  });
  after(async () => {
    await Promise.allSettled(Object.values(runs ?? {}));
    await fixture.server.close();
  });

  it("initializes with a session and listChanged/subscribe advertised", async () => {
    const initialized = await result(runs.initialize);
    assert.deepEqual(initialized.capabilities.tools, { listChanged: true });
    assert.deepEqual(initialized.capabilities.resources, { subscribe: true, listChanged: true });
    const created = fixture.seen.find((seen) => seen.rpc === "initialize");
    assert.ok(created?.sessionId, "initialize answered an Mcp-Session-Id");
  });

  it("lists, calls, reads and gets a prompt", async () => {
    const listed = await result(runs.toolsList);
    assert.ok(listed.tools.some((tool: { name: string }) => tool.name === "test_simple_text"));
    const called = await result(runs.simpleText);
    assert.equal(called.content[0].text, "This is a simple text response for testing.");
    const read = await result(runs.staticText);
    assert.equal(read.contents[0].text, "This is the content of the static text resource.");
    const got = await result(runs.simplePrompt);
    assert.equal(got.messages.length, 1);
  });

  it("a session-only tool works: each run's own session counts from 1", async () => {
    const called = await result(runs.increment);
    assert.deepEqual(called.content, [{ type: "text", text: "1" }]);
    assert.ok((await fixture.handler.stats()).sessionsCreated >= 1);
  });
});
