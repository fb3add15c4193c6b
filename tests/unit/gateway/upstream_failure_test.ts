/**
 * How an upstream failure reads downstream, through the official SDK client
 * over an in-memory transport: an error response the upstream sent is passed
 * on (shortened), the gateway's "ended without an answer" response (even
 * parsed again, as in an SSE stream) is a -32603 naming only the upstream,
 * and every error the SDK raised itself (a transport's, with a numeric
 * `code` and secrets; one it wrapped as its own McpError) reads "unavailable".
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/inMemory.d.ts"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { McpError as SdkMcpError } from "@modelcontextprotocol/sdk/types.js";
import { McpError } from "../../../src/jsonrpc/error_codes.ts";
import {
  tagUpstreamErrors,
  unansweredResponse,
  upstreamFailure,
} from "../../../src/gateway/upstream_failure.ts";

type Message = { id?: number; method?: string; params?: { name?: string } };

/**
 * An SDK client connected to an in-memory upstream whose `tools/call` of
 * `name` answers what `answers[name]` gives (a JSON-RPC message for the id).
 */
async function connected(
  answers: Record<string, (id: number) => object>,
): Promise<Client> {
  const [clientSide, upstreamSide] = InMemoryTransport.createLinkedPair();
  upstreamSide.onmessage = (message) => {
    const { id, method, params } = message as Message;
    if (id === undefined) return;
    if (method === "initialize") {
      void upstreamSide.send({
        jsonrpc: "2.0",
        id,
        result: {
          protocolVersion: "2025-11-25",
          capabilities: { tools: {} },
          serverInfo: { name: "up", version: "1" },
        },
      });
    } else {
      void upstreamSide.send(answers[params?.name ?? ""](id) as never);
    }
  };
  await upstreamSide.start();
  tagUpstreamErrors(clientSide);
  const client = new Client({ name: "gateway", version: "1" });
  await client.connect(clientSide);
  return client;
}

async function failureOf(client: Client, name: string): Promise<Error> {
  const error = await client.callTool({ name, arguments: {} }).then(
    () => assert.fail("the call succeeded"),
    (error: unknown) => error,
  );
  return upstreamFailure("files", error);
}

describe("upstreamFailure", () => {
  it("passes on an error response the upstream sent, shortened, with or without data", async () => {
    const client = await connected({
      plain: (id) => ({ jsonrpc: "2.0", id, error: { code: -32602, message: "No such region" } }),
      detailed: (id) => ({
        jsonrpc: "2.0",
        id,
        error: { code: -32000, message: "x".repeat(5_000), data: { region: "mars" } },
      }),
      forged: (id) => ({
        jsonrpc: "2.0",
        id,
        error: { code: -32603, message: "ended?", data: { unanswered: "a guess" } },
      }),
    });
    try {
      assert.equal(
        (await failureOf(client, "plain")).message,
        'Upstream "files": MCP error -32602: No such region',
      );
      const long = await failureOf(client, "detailed");
      assert.equal(long.message, `Upstream "files": MCP error -32000: ${"x".repeat(1_024 - 18)}`);
      assert.equal(
        (await failureOf(client, "forged")).message,
        'Upstream "files": MCP error -32603: ended?',
        "an upstream cannot pass as the gateway",
      );
    } finally {
      await client.close();
    }
  });

  it("passes an upstream's -32021 back as it is: code, message, requiredCapabilities only", async () => {
    const refusal = (data: unknown) => (id: number) => ({
      jsonrpc: "2.0",
      id,
      error: { code: -32021, message: "Declare sampling", data },
    });
    const client = await connected({
      refused: refusal({ requiredCapabilities: { sampling: {} }, host: "db01.corp.internal" }),
      huge: refusal({ requiredCapabilities: { sampling: { x: "y".repeat(5_000) } } }),
      listed: refusal({ requiredCapabilities: ["sampling"] }),
      bare: refusal(undefined),
    });
    try {
      const failure = await failureOf(client, "refused");
      assert.ok(failure instanceof McpError);
      assert.equal(failure.code, -32021);
      assert.equal(failure.message, "Declare sampling");
      assert.deepEqual(failure.data, { requiredCapabilities: { sampling: {} } });
      // Past 4 KiB, not an object, or none: an upstream error like any other.
      for (const name of ["huge", "listed", "bare"]) {
        const other = await failureOf(client, name);
        assert.ok(!(other instanceof McpError), name);
        assert.equal(other.message, 'Upstream "files": MCP error -32021: Declare sampling', name);
      }
    } finally {
      await client.close();
    }
  });

  it("words the gateway's own 'ended without an answer' as a -32603 naming only the upstream", async () => {
    const client = await connected({
      // As watchStreams appends it to an SSE stream: serialized and parsed again.
      cut: (id) => JSON.parse(JSON.stringify(unansweredResponse("files", id))),
    });
    try {
      const failure = await failureOf(client, "cut");
      assert.ok(failure instanceof McpError);
      assert.equal(failure.code, -32603);
      assert.equal(failure.message, 'Upstream "files" ended the response without an answer');
    } finally {
      await client.close();
    }
  });

  it("reads 'unavailable' for every error the SDK client raised itself", () => {
    const secret = "Error POSTing to endpoint: db01.corp.internal:5432 password=hunter2";
    const transport = new StreamableHTTPError(500, secret);
    for (
      const error of [
        transport,
        // What the SDK's requestStream makes of a transport error: its own McpError, untagged.
        new SdkMcpError(-32603, String(transport)),
        new SdkMcpError(-32001, "Request timed out", { timeout: 1 }),
        new TypeError("fetch failed"),
        Object.assign(new Error(secret), { code: 302 }),
        "a string",
      ]
    ) {
      assert.equal(upstreamFailure("files", error).message, 'Upstream "files" is unavailable');
    }
  });
});
