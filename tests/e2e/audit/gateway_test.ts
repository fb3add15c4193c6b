/**
 * The audit record of upstream entries through the gateway, with real
 * parts: an official SDK upstream and a tether upstream over HTTP, a
 * tether gateway in front of both (audit records to `onEvent`), official
 * SDK clients downstream (v1 on a 2025-11-25 session, v2 pinned to
 * 2026-07-28). Each record names the upstream that served the entry; the
 * downstream token and the upstream credentials appear in none.
 */

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { Client as ClientV2, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  type AuditRecord,
  createMcpHandler,
  definePrompt,
  defineTool,
  type McpHandler,
} from "../../../mod.ts";
import { createGateway, type Gateway, httpUpstream } from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { connectClient, type SdkConnection, withTimeout } from "../interop/helpers.ts";
import type { ViewOf } from "../../../src/types/mod.ts";
import { recordOf } from "./audit_records.ts";
import { type SdkUpstream, startSdkUpstream } from "../gateway/sdk_upstream.ts";

const DOWN_TOKEN = "down-SECRET-7d1e";
const UP_TOKEN = "up-SECRET-5b2a";

/** The gateway handler's arguments-digest key. */
const DIGEST_KEY = "e2e-gateway-audit-key-0123456789abcdef";

/** HMAC-SHA-256 of `{"to":"Lisbon"}` under {@linkcode DIGEST_KEY}, computed here. */
const LISBON_DIGEST = `hmac-sha256:${
  createHmac("sha256", DIGEST_KEY).update('{"to":"Lisbon"}').digest("hex")
}`;

interface Rig {
  gateway: Gateway;
  handler: McpHandler;
  url: string;
  records: AuditRecord[];
  close(): Promise<void>;
}

/**
 * An SDK upstream "sdk" and a tether upstream "tt" behind a gateway that audits; `view` is the
 * gateway handler's (`createMcpHandler({ view })`).
 */
async function startRig(view?: ViewOf): Promise<Rig> {
  const sdk: SdkUpstream = await startSdkUpstream();
  const tetherUpstream = createMcpHandler({
    name: "tt",
    version: "1.0.0",
    tools: [
      defineTool({ name: "hello", handler: () => "hello from tether" }),
      defineTool({
        name: "fail",
        handler: () => {
          throw new Error("upstream internals");
        },
      }),
    ],
    prompts: [definePrompt({ name: "greet", handler: () => "Greetings" })],
    observe: { onError: () => {} },
  });
  const tetherServer: RunningServer = await serveHandler(tetherUpstream, 0);
  const credentials = () => ({ authorization: `Bearer ${UP_TOKEN}` });
  const gateway = await createGateway({
    upstreams: [
      httpUpstream({ name: "sdk", url: `${sdk.url}/mcp`, credentials }),
      httpUpstream({ name: "tt", url: `${tetherServer.url}/mcp`, credentials }),
    ],
    graceMs: 1_000,
  });
  const records: AuditRecord[] = [];
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    ...gateway.definitions(),
    tools: [
      ...gateway.definitions().tools ?? [],
      defineTool({ name: "local", handler: () => "local" }),
    ],
    ...(view === undefined ? {} : { view }),
    auth: {
      authenticate: gateway.authenticate((request) =>
        request.headers.get("authorization") === `Bearer ${DOWN_TOKEN}`
          ? { id: "alice", issuer: "https://idp.example", token: DOWN_TOKEN }
          : undefined
      ),
    },
    observe: {
      onError: () => {},
      onEvent: (event) => {
        if (event.type === "audit") records.push(event);
      },
      audit: { digestKey: DIGEST_KEY },
    },
  });
  gateway.attach(handler);
  const server = await serveHandler(handler, 0);
  return {
    gateway,
    handler,
    url: `${server.url}/mcp`,
    records,
    async close() {
      await server.close();
      await gateway.close({ graceMs: 1_000 });
      await tetherServer.close();
      await tetherUpstream.close();
      await sdk.close();
    },
  };
}

describe("audit records through the gateway", () => {
  it("SDK v1 downstream: SDK and tether upstream entries name their upstream", async () => {
    const rig = await startRig();
    let connection: SdkConnection | undefined;
    try {
      connection = await connectClient(rig.url, { token: DOWN_TOKEN });
      const { client, sessionId } = connection;
      await client.callTool({ name: "sdk_whoami", arguments: {} });
      await client.callTool({ name: "tt_hello", arguments: {} });
      await client.callTool({ name: "local", arguments: {} });
      await client.getPrompt({ name: "sdk_travel", arguments: { to: "Lisbon" } });
      await client.readResource({ uri: "weather://Paris" });
      const failed = await client.callTool({ name: "tt_fail", arguments: {} });
      assert.equal(failed.isError, true);

      const whoami = await recordOf(rig.records, "sdk_whoami");
      assert.equal(whoami.upstream, "sdk");
      assert.equal(whoami.outcome, "ok");
      assert.equal(whoami.sessionId, sessionId, "the downstream session");
      assert.deepEqual(whoami.principal, { subject: "alice", issuer: "https://idp.example" });
      assert.equal((await recordOf(rig.records, "tt_hello")).upstream, "tt");
      assert.equal((await recordOf(rig.records, "local")).upstream, undefined);
      const travel = await recordOf(rig.records, "sdk_travel");
      assert.equal(travel.method, "prompts/get");
      assert.equal(travel.upstream, "sdk");
      assert.equal(travel.argumentsDigest, LISBON_DIGEST);
      const weather = await recordOf(rig.records, "weather://Paris");
      assert.equal(weather.method, "resources/read");
      assert.equal(weather.upstream, "sdk");
      const fail = await recordOf(rig.records, "tt_fail");
      assert.equal(fail.upstream, "tt");
      assert.equal(fail.outcome, "tool-error");

      const text = JSON.stringify(rig.records);
      assert.ok(!text.includes(DOWN_TOKEN) && !text.includes(UP_TOKEN), "no token in a record");
      assert.ok(!text.includes("upstream internals"));
    } finally {
      await connection?.close();
      await rig.close();
    }
  });

  it("a tool and a prompt renamed by a view: their records name their upstream", async () => {
    // Each record was looked up by the name the client sent, so a renamed entry had none.
    const renamed: Record<string, string> = { tt_hello: "greeting", sdk_travel: "trip" };
    const rig = await startRig(() => ({
      verdict: () => "allow",
      override: (_kind, definition) => {
        const name = renamed[(definition as { name: string }).name];
        return name === undefined ? undefined : { name };
      },
    }));
    let connection: SdkConnection | undefined;
    try {
      connection = await connectClient(rig.url, { token: DOWN_TOKEN });
      const { client } = connection;
      const hello = await client.callTool({ name: "greeting", arguments: {} });
      assert.deepEqual(hello.content, [{ type: "text", text: "hello from tether" }]);
      await client.getPrompt({ name: "trip", arguments: { to: "Lisbon" } });
      const greeting = await recordOf(rig.records, "greeting");
      assert.equal(greeting.upstream, "tt");
      assert.equal(greeting.outcome, "ok");
      assert.equal((await recordOf(rig.records, "trip")).upstream, "sdk");
      await client.callTool({ name: "local", arguments: {} });
      assert.equal((await recordOf(rig.records, "local")).upstream, undefined);
    } finally {
      await connection?.close();
      await rig.close();
    }
  });

  it("SDK v2 downstream on 2026-07-28: the upstream call's record has no session", async () => {
    const rig = await startRig();
    const client = new ClientV2({ name: "v2", version: "1.0.0" }, {
      capabilities: {},
      versionNegotiation: { mode: { pin: "2026-07-28" } },
    });
    try {
      await client.connect(
        new StreamableHTTPClientTransport(new URL(rig.url), {
          requestInit: { headers: { authorization: `Bearer ${DOWN_TOKEN}` } },
        }),
      );
      await client.callTool({ name: "tt_hello", arguments: {} });
      await client.getPrompt({ name: "tt_greet", arguments: {} });
      const hello = await recordOf(rig.records, "tt_hello");
      assert.equal(hello.upstream, "tt");
      assert.equal(hello.sessionId, null);
      assert.equal(hello.protocolVersion, "2026-07-28");
      assert.equal(hello.outcome, "ok");
      assert.equal((await recordOf(rig.records, "tt_greet")).upstream, "tt");
      const text = JSON.stringify(rig.records);
      assert.ok(!text.includes(DOWN_TOKEN) && !text.includes(UP_TOKEN));
    } finally {
      await withTimeout(client.close(), 5_000, "client.close()");
      await rig.close();
    }
  });
});
