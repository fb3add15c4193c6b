/**
 * How an upstream failure reads downstream, through tether's session client
 * over an in-memory transport: an error response the upstream sent is
 * passed on (shortened), the gateway's "ended without an answer" (a 2025
 * stream's, as its transport marks it; a 2026-07-28 stream's, parsed again
 * from the stream) is a -32603 naming only the upstream, and every error the
 * client side raised itself (a transport's, with a numeric `code` and
 * secrets; a timeout; a closed connection) reads "unavailable".
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/inMemory.d.ts"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  ConnectionClosed,
  HttpStatusError,
  RequestTimeout,
} from "../../../src/client/rpc_errors.ts";
import { SessionClient } from "../../../src/client/session_client.ts";
import { McpError } from "../../../src/jsonrpc/error_codes.ts";
import {
  unansweredResponse,
  upstreamError,
  upstreamFailure,
} from "../../../src/gateway/upstream_failure.ts";

type Message = { id?: number; method?: string; params?: { name?: string } };

/**
 * A session client connected to an in-memory upstream whose `tools/call` of
 * `name` answers what `answers[name]` gives (a JSON-RPC message for the id),
 * delivered with `extra[name]` when given (what a transport tells of it).
 */
async function connected(
  answers: Record<string, (id: number) => object>,
  extra: Record<string, object> = {},
): Promise<SessionClient> {
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
      const name = params?.name ?? "";
      const answer = answers[name](id);
      if (extra[name] === undefined) void upstreamSide.send(answer as never);
      else clientSide.onmessage?.(answer as never, extra[name] as never);
    }
  };
  await upstreamSide.start();
  const client = new SessionClient(clientSide, {
    clientInfo: { name: "gateway", version: "1" },
    capabilities: {},
  });
  await client.connect();
  return client;
}

async function failureOf(client: SessionClient, name: string): Promise<Error> {
  const error = await client.request("tools/call", { name, arguments: {} }).then(
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
    // A 2025 stream's: its transport delivers the error response marked unanswered.
    const client = await connected({
      cut: (id) => unansweredResponse("files", id),
    }, { cut: { unanswered: true } });
    try {
      const failure = await failureOf(client, "cut");
      assert.ok(failure instanceof McpError);
      assert.equal(failure.code, -32603);
      assert.equal(failure.message, 'Upstream "files" ended the response without an answer');
    } finally {
      await client.close();
    }
    // A 2026-07-28 stream's: as watchStreams appends it to an SSE stream, serialized and parsed again.
    const parsed = JSON.parse(JSON.stringify(unansweredResponse("files", 3)));
    const failure = upstreamFailure("files", upstreamError(parsed.error));
    assert.ok(failure instanceof McpError);
    assert.equal(failure.code, -32603);
    assert.equal(failure.message, 'Upstream "files" ended the response without an answer');
  });

  it("reads 'unavailable' for every error the client side raised itself", () => {
    const secret = "Error POSTing to endpoint: db01.corp.internal:5432 password=hunter2";
    const transport = new HttpStatusError(500, secret);
    for (
      const error of [
        transport,
        // A JSON-RPC-looking error of the gateway's own making (not an upstream's response).
        new McpError(-32603, String(transport)),
        new RequestTimeout(1),
        new ConnectionClosed(),
        new TypeError("fetch failed"),
        Object.assign(new Error(secret), { code: 302 }),
        "a string",
      ]
    ) {
      assert.equal(upstreamFailure("files", error).message, 'Upstream "files" is unavailable');
    }
  });
});
