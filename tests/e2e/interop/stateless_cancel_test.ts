/**
 * Cancellation in the 2025 revisions without sessions (`eras: { legacy:
 * "stateless" }`), seen from the official SDK clients over real HTTP: a call
 * aborted with an AbortSignal (the SDK POSTs `notifications/cancelled`)
 * aborts the running tool's `ctx.signal` with `cancelled`; the same id
 * cancelled by another principal reaches nothing.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
import type { McpHandlerOptions } from "../../../mod.ts";
import type { Principal } from "../../../src/protocol/context/request_context.ts";
import { blockingTool } from "../../blocking_tool.ts";
import { abortReason, within } from "../../helpers.ts";
import { Client, StreamableHTTPClientTransport, WAIT_MS, withServer } from "./helpers.ts";

/** The caller named by `Authorization: Bearer <name>`; none is refused. */
function bearer(request: Request): Principal | undefined {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
  return token === undefined || token === "" ? undefined : { id: token };
}

function statelessOptions(tool: McpHandlerOptions["tools"]) {
  return { tools: tool, eras: { legacy: "stateless" as const }, auth: { authenticate: bearer } };
}

/** A raw `notifications/cancelled` for `requestId`, POSTed without a session by `user`. */
function cancelPost(url: string, user: string, requestId: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-protocol-version": "2025-11-25",
      authorization: `Bearer ${user}`,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId, reason: "test" },
    }),
  });
}

/** The SDK v1 client of `user`, connected to `url` (no session is issued). */
async function sdkV1(url: string, user: string): Promise<Client> {
  const client = new Client({ name: "v1", version: "1.0.0" });
  client.onerror = () => {};
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${user}` } },
    }),
  );
  return client;
}

/**
 * Starts a call of `blocking` with `start`, and aborts the call's
 * AbortSignal once the tool runs: the tool's abort reason, and how the
 * call settled for the client.
 */
async function abortWhileRunning(
  blocking: ReturnType<typeof blockingTool>,
  start: (signal: AbortSignal) => Promise<unknown>,
): Promise<{ reason: unknown; settled: string }> {
  const controller = new AbortController();
  const settled = start(controller.signal).then(() => "resolved", () => "rejected");
  const running = await blocking.call(1, WAIT_MS);
  controller.abort("the user gave up");
  // The SDK keeps the call's response open: only its notifications/cancelled can abort it.
  return { reason: await abortReason(running.signal, WAIT_MS), settled: await settled };
}

describe("eras.legacy stateless: notifications/cancelled", () => {
  it("SDK v1: a call aborted with its AbortSignal aborts the tool's ctx.signal", async () => {
    const blocking = blockingTool();
    await withServer(statelessOptions([blocking.tool]), async (server) => {
      const client = await sdkV1(server.url, "alice");
      server.defer(() => client.close());
      const aborted = await abortWhileRunning(
        blocking,
        (signal) => client.callTool({ name: "block", arguments: {} }, undefined, { signal }),
      );
      assert.deepEqual(aborted, { reason: "cancelled", settled: "rejected" });
    });
  });

  it("SDK v2 (legacy mode): a call aborted with its AbortSignal aborts the tool's ctx.signal", async () => {
    const blocking = blockingTool();
    await withServer(statelessOptions([blocking.tool]), async (server) => {
      const client = new ClientV2({ name: "v2", version: "1.0.0" }, {
        versionNegotiation: { mode: "legacy" },
      });
      client.onerror = () => {};
      await client.connect(
        new TransportV2(new URL(server.url), {
          requestInit: { headers: { authorization: "Bearer alice" } },
        }),
      );
      server.defer(() => client.close());
      const aborted = await abortWhileRunning(
        blocking,
        (signal) => client.callTool({ name: "block", arguments: {} }, { signal }),
      );
      assert.deepEqual(aborted, { reason: "cancelled", settled: "rejected" });
    });
  });

  it("SDK v1: another principal's cancel of the same id does not abort the call; its owner's does", async () => {
    const blocking = blockingTool();
    await withServer(statelessOptions([blocking.tool]), async (server) => {
      const client = await sdkV1(server.url, "alice");
      server.defer(() => client.close());
      const call = client.callTool({ name: "block", arguments: {} });
      const settled = call.then(() => "resolved", () => "rejected");
      const running = await blocking.call(1, WAIT_MS);
      const id = running.ctx.requestId;
      const forged = await cancelPost(server.url, "mallory", id);
      assert.equal(forged.status, 202);
      await forged.body?.cancel();
      // The cancel is acted on before its 202: had it reached the call, the signal would be aborted.
      assert.equal(running.signal.aborted, false, "mallory's cancel reaches nothing");
      // Positive control: the same notification from the call's principal aborts it.
      const owned = await cancelPost(server.url, "alice", id);
      assert.equal(owned.status, 202);
      await owned.body?.cancel();
      assert.equal(await abortReason(running.signal, WAIT_MS), "cancelled");
      blocking.release();
      // A cancelled call gets no result: the SDK waits on; closing the client ends it.
      await client.close();
      await within(settled, WAIT_MS, "the call to settle once the client closes");
    });
  });
});
