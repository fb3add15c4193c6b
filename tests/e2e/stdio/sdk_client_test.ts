/**
 * The official SDK clients drive examples/stdio.ts (and the test fixture)
 * run as a subprocess on the test's runtime through their own stdio
 * transports: v1 (`@modelcontextprotocol/sdk`, 2025-11-25) through connect,
 * lists, calls with progress (every notification, the last one too), a
 * cancel that reaches the tool's signal, an elicitation and a clean close;
 * v2 (`@modelcontextprotocol/client`) pinned to 2026-07-28, the same over
 * the envelope and `input_required` rounds (its progress through the test
 * fixture, which pauses 1 s before a result that follows progress), and
 * in its legacy mode (2025-11-25), one session with progress, an elicitation
 * and a cancel.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.d.ts"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Client as ModernClient } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdioTransport } from "@modelcontextprotocol/client/stdio";
import { within } from "../../helpers.ts";
import { runtimeCommand } from "../gateway/runtime_command.ts";
import { together } from "../../support/together.ts";
import { connectWithin, EXAMPLE, FIXTURE } from "./stdio_process.ts";

function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0].text;
}

/** A stdio transport that keeps the server's stderr, to see what its tools logged. */
function transportFor(file: string) {
  const { command, args } = runtimeCommand(file);
  const transport = new StdioClientTransport({ command, args, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  return { transport, stderr: () => stderr };
}

/**
 * Calls test_tool_with_progress `times` times; each call must see all of its
 * progress (0, 50, 100), the last one too: the SDK clients drop progress
 * read in the same chunk as the call's result, so the binding paces the
 * result (a ping round trip in a 2025 session, a pause in 2026-07-28).
 */
async function assertEveryProgress(
  call: (onprogress: (event: { progress: number }) => void) => Promise<unknown>,
  times = 3,
): Promise<void> {
  for (let i = 0; i < times; i++) {
    const progress: number[] = [];
    const result = await call((event) => void progress.push(event.progress));
    assert.equal(textOf(result), "Tool with progress executed successfully");
    assert.deepEqual(progress, [0, 50, 100], `call ${i + 1}: every progress arrives`);
  }
}

async function untilText(text: () => string, needle: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!text().includes(needle)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${needle}"`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The v2 client (in `negotiation`'s mode) on examples/stdio.ts, accepting elicitations as "Ada". */
async function elicitingV2Client(
  negotiation: { mode: "legacy" | { pin: "2026-07-28" } },
): Promise<ModernClient> {
  const { command, args } = runtimeCommand(EXAMPLE);
  const transport = new ModernStdioTransport({ command, args, stderr: "ignore" });
  const client = new ModernClient({ name: "stdio-v2", version: "1.0.0" }, {
    capabilities: { elicitation: {} },
    versionNegotiation: negotiation,
  });
  client.setRequestHandler(
    "elicitation/create",
    () => Promise.resolve({ action: "accept", content: { name: "Ada" } }),
  );
  client.onerror = () => {};
  await connectWithin(client, transport);
  return client;
}

/** The v2 client (in `negotiation`'s mode) cancels a running call: the tool's signal aborts. */
async function assertV2CancelReachesTool(
  negotiation: { mode: "legacy" | { pin: "2026-07-28" } },
): Promise<void> {
  const { command, args } = runtimeCommand(FIXTURE);
  const transport = new ModernStdioTransport({ command, args, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  const client = new ModernClient({ name: "stdio-v2", version: "1.0.0" }, {
    versionNegotiation: negotiation,
  });
  client.onerror = () => {};
  await connectWithin(client, transport);
  try {
    const controller = new AbortController();
    const call = client.callTool({ name: "wait", arguments: {} }, { signal: controller.signal });
    call.catch(() => {});
    await untilText(() => stderr, "wait started");
    controller.abort();
    await assert.rejects(call);
    await untilText(() => stderr, "wait aborted");
    assert.equal(textOf(await client.callTool({ name: "whoami", arguments: {} })), "anonymous");
  } finally {
    await within(client.close(), 20_000, "close");
  }
}

// Each test has its own server process; they all start at once (see tests/support/together.ts).
const run = together({
  v1Session: async () => {
    const { transport } = transportFor(EXAMPLE);
    const client = new Client({ name: "stdio-v1", version: "1.0.0" }, {
      capabilities: { elicitation: {} },
    });
    client.setRequestHandler(ElicitRequestSchema, () => ({
      action: "accept",
      content: { username: "ada", email: "ada@example.com" },
    }));
    await connectWithin(client, transport);
    try {
      assert.equal(client.getServerVersion()?.name, "tether-everything");
      const tools = await client.listTools();
      assert.ok(tools.tools.some((tool) => tool.name === "test_tool_with_progress"));
      assert.ok((await client.listPrompts()).prompts.length > 0);
      assert.ok((await client.listResources()).resources.length > 0);
      await assertEveryProgress((onprogress) =>
        client.callTool({ name: "test_tool_with_progress", arguments: {} }, undefined, {
          onprogress,
        })
      );
      const elicited = await client.callTool({
        name: "test_elicitation",
        arguments: { message: "Who are you?" },
      });
      assert.match(textOf(elicited), /accept/);
      assert.match(textOf(elicited), /ada@example\.com/);
    } finally {
      await within(client.close(), 20_000, "close");
    }
  },
  v1Cancel: async () => {
    const { transport, stderr } = transportFor(FIXTURE);
    const client = new Client({ name: "stdio-v1", version: "1.0.0" });
    await connectWithin(client, transport);
    try {
      const controller = new AbortController();
      const call = client.callTool({ name: "wait", arguments: {} }, undefined, {
        signal: controller.signal,
      });
      call.catch(() => {});
      await untilText(stderr, "wait started");
      controller.abort();
      await assert.rejects(call);
      await untilText(stderr, "wait aborted");
      assert.equal(textOf(await client.callTool({ name: "whoami", arguments: {} })), "anonymous");
    } finally {
      await within(client.close(), 20_000, "close");
    }
  },
  v2Elicits: async () => {
    const client = await elicitingV2Client({ mode: { pin: "2026-07-28" } });
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
      const tools = await client.listTools();
      assert.ok(tools.tools.some((tool) => tool.name === "test_streaming_elicitation"));
      const greeted = await client.callTool({ name: "test_streaming_elicitation", arguments: {} });
      assert.equal(textOf(greeted), "Hello, Ada");
    } finally {
      await within(client.close(), 20_000, "close");
    }
  },
  v2Progress: async () => {
    // A 2026-07-28 server sends the client no requests, so nothing tells it that the client has
    // read the progress: the result waits a pause (50 ms by default). The test machine may run
    // at a load average of 40, where 50 ms is not always enough; the fixture waits 1 s.
    const { command, args } = runtimeCommand(FIXTURE);
    const transport = new ModernStdioTransport({
      command,
      args,
      env: { ...process.env, STDIO_PROGRESS_PACE_MS: "1000" } as Record<string, string>,
      stderr: "ignore",
    });
    const client = new ModernClient({ name: "stdio-v2", version: "1.0.0" }, {
      versionNegotiation: { mode: { pin: "2026-07-28" } },
    });
    client.onerror = () => {};
    await connectWithin(client, transport);
    try {
      await assertEveryProgress((onprogress) =>
        client.callTool({ name: "test_tool_with_progress", arguments: {} }, { onprogress })
      );
    } finally {
      await within(client.close(), 20_000, "close");
    }
  },
  v2Cancel: () => assertV2CancelReachesTool({ mode: { pin: "2026-07-28" } }),
  v2LegacySession: async () => {
    const client = await elicitingV2Client({ mode: "legacy" });
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), "2025-11-25");
      const tools = await client.listTools();
      assert.ok(tools.tools.some((tool) => tool.name === "test_tool_with_progress"));
      await assertEveryProgress((onprogress) =>
        client.callTool({ name: "test_tool_with_progress", arguments: {} }, { onprogress })
      );
      const greeted = await client.callTool({ name: "test_streaming_elicitation", arguments: {} });
      assert.equal(textOf(greeted), "Hello, Ada");
    } finally {
      await within(client.close(), 20_000, "close");
    }
  },
  v2LegacyCancel: () => assertV2CancelReachesTool({ mode: "legacy" }),
});

describe("SDK v1 client over stdio (2025-11-25)", () => {
  it("connects, lists, calls with progress, elicits and closes", () => run.v1Session());

  it("a cancel (AbortSignal) reaches the tool's ctx.signal", () => run.v1Cancel());
});

describe("SDK v2 client over stdio, pinned to 2026-07-28", () => {
  it("lists and elicits through an input_required round", () => run.v2Elicits());

  it("every progress arrives: the result waits progressPaceMs after the last", () =>
    run.v2Progress());

  it("a cancel (AbortSignal) reaches the tool's ctx.signal", () => run.v2Cancel());
});

describe("SDK v2 client over stdio, pinned to 2025-11-25", () => {
  it("connects, lists, calls with progress and elicits in one session", () =>
    run.v2LegacySession());

  it("a cancel (AbortSignal) reaches the tool's ctx.signal", () => run.v2LegacyCancel());
});
