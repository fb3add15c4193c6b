/**
 * The gateway in front of a 2026-07-28 upstream (tether's own handler over
 * HTTP, modern_upstream.ts): it negotiates 2026-07-28 with it (and 2025
 * with an SDK 1.x upstream); in front of one that serves 2026-07-28 only,
 * once a 2025 session's upstream session is refused, it calls it in
 * independent requests for every caller (in front of one of both eras,
 * 2025 sessions keep 2025 upstream sessions: the last describe), with the
 * caller's credentials and mirrored capabilities, carries its
 * `input_required` rounds to 2025 sessions (the official SDK client over
 * HTTP: requests on the call's stream) and to 2026-07-28 clients (tether's
 * test client: rounds of their own), rereads its lists on the list changes
 * of its `subscriptions/listen` stream, cancels its tool when the caller
 * drops the call, and passes its JSON-RPC errors on as today.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from "@modelcontextprotocol/client";
import { defineTool } from "../../../mod.ts";
import { connect } from "../../../src/testing/mod.ts";
import { connectClient, type SdkConnection, waitFor } from "../interop/helpers.ts";
import { type ModernUpstream, startModernUpstream } from "./modern_upstream.ts";
import { startGateway } from "./fixture.ts";
import { type Rig, startRig } from "./modern_rig.ts";

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;

/** An official SDK client (2025-11-25) as `user`, answering elicitations with `name` when given. */
function sdkClient(rig: Rig, user: string, name?: string): Promise<SdkConnection> {
  return connectClient(rig.url, {
    token: `down-${user}`,
    capabilities: name === undefined ? {} : { elicitation: {} },
    setup: (client) => {
      if (name === undefined) return;
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        const properties = Object.keys(
          (request.params as { requestedSchema?: { properties?: object } }).requestedSchema
            ?.properties ?? {},
        );
        return { action: "accept", content: { [properties[0]]: `${name}-${properties[0]}` } };
      });
    },
  });
}

/** tether's 2026-07-28 test client as `user`, over HTTP. */
function modernClient(rig: Rig, user: string, name?: string) {
  return connect((request) => fetch(request), {
    era: "2026",
    url: rig.url,
    headers: { authorization: `Bearer down-${user}` },
    handlers: name === undefined ? {} : {
      elicitation: (params) => {
        const key = Object.keys(params.requestedSchema?.properties ?? {})[0];
        return { action: "accept", content: { [key]: `${name}-${key}` } };
      },
    },
  });
}

describe("gateway in front of a 2026-07-28-only upstream", () => {
  let upstream: ModernUpstream;
  let rig: Rig;
  /** Every request the upstream received was a 2026-07-28 request (no 2025 session). */
  const assertAllModern = () => {
    const { versions, methods } = upstream.record;
    assert.ok(versions.every((v) => v === "2026-07-28"), `${versions}\n${methods}`);
    assert.ok(!methods.includes("initialize"), String(methods));
  };
  before(async () => {
    upstream = await startModernUpstream({ legacy: false });
    rig = await startRig(`${upstream.url}/mcp`);
  });
  after(async () => {
    await rig?.close();
    await upstream?.close();
  });

  it("negotiates 2026-07-28: discover, then requests of their own, never initialize", () => {
    assert.equal(upstream.record.methods[0], "server/discover");
    assert.ok(upstream.record.methods.includes("tools/list"), String(upstream.record.methods));
    assert.ok(
      upstream.record.versions.every((v) => v === "2026-07-28"),
      String(upstream.record.versions),
    );
    assert.ok(rig.handler.tools.list().some((tool) => tool.name === "up_echo"));
    assert.equal(rig.gateway.stats().upstreamSessions, 0);
  });

  it("a tool call from both eras, with the caller's credentials", async () => {
    const old = await sdkClient(rig, "alice");
    try {
      const result = await old.client.callTool({ name: "up_echo", arguments: { text: "hi" } });
      assert.equal(textOf(result), "echo:hi", JSON.stringify(result));
      assert.equal((result as Record<string, unknown>).resultType, undefined, "no 2026 fields");
    } finally {
      await old.close();
    }
    // The first 2025 session's upstream session was refused; no later one asks again.
    assert.equal(upstream.record.initializes, 1);
    const again = await sdkClient(rig, "carl");
    try {
      const result = await again.client.callTool({ name: "up_echo", arguments: { text: "re" } });
      assert.equal(textOf(result), "echo:re", JSON.stringify(result));
    } finally {
      await again.close();
    }
    assert.equal(upstream.record.initializes, 1);
    const modern = await modernClient(rig, "bob");
    const { result } = await modern.callTool("up_echo", { text: "yo" });
    assert.equal(textOf(result), "echo:yo");
    const seen = upstream.record.authorizations;
    assert.ok(seen.includes("Bearer up-alice") && seen.includes("Bearer up-bob"), String(seen));
    assert.ok(seen.every((value) => !value.includes("down-")), String(seen));
    assert.equal(rig.gateway.stats().upstreamSessions, 0, "no upstream session held");
    assertAllModern();
  });

  it("an eliciting tool's rounds reach a 2025 session and the answers the upstream", async () => {
    const old = await sdkClient(rig, "alice", "Ada");
    try {
      const asked = await old.client.callTool({ name: "up_ask", arguments: {} });
      assert.equal(textOf(asked), "accept:Ada-name", JSON.stringify(asked));
      const twice = await old.client.callTool({ name: "up_twice", arguments: {} });
      assert.equal(textOf(twice), "Ada-a+Ada-b", JSON.stringify(twice));
      assert.ok(upstream.record.answers.includes("Ada-a+Ada-b"));
      assertAllModern();
    } finally {
      await old.close();
    }
  });

  it("an eliciting tool's rounds become a 2026-07-28 client's own rounds", async () => {
    const modern = await modernClient(rig, "carol", "Cy");
    const asked = await modern.callTool("up_ask");
    assert.equal(textOf(asked.result), "accept:Cy-name");
    assert.ok(asked.rounds >= 1, "the client answered a round");
    const twice = await modern.callTool("up_twice");
    assert.equal(textOf(twice.result), "Cy-a+Cy-b");
    assert.ok(upstream.record.answers.includes("Cy-a+Cy-b"));
    assertAllModern();
  });

  it("the caller's capabilities are mirrored: without elicitation, the upstream sees none", async () => {
    const without = await sdkClient(rig, "dan");
    const withIt = await sdkClient(rig, "erin", "E");
    try {
      upstream.record.capabilities.length = 0;
      await without.client.callTool({ name: "up_caps", arguments: {} });
      await withIt.client.callTool({ name: "up_caps", arguments: {} });
      const modern = await modernClient(rig, "fay");
      await modern.callTool("up_caps");
      assert.deepEqual(upstream.record.capabilities, [{}, { elicitation: {} }, {}]);
      // The upstream's refusal of the undeclared capability passes back as it is (-32021).
      await assert.rejects(
        without.client.callTool({ name: "up_ask", arguments: {} }),
        (error: { code?: number }) => error.code === -32021,
      );
      assertAllModern();
    } finally {
      await without.close();
      await withIt.close();
    }
  });

  it("a list change on the upstream's listen stream reaches the downstream lists", async () => {
    const old = await sdkClient(rig, "alice");
    try {
      upstream.handler.tools.add(defineTool({ name: "added", handler: () => "new" }));
      await waitFor(
        () => rig.handler.tools.list().some((tool) => tool.name === "up_added"),
        "the gateway lists up_added",
      );
      const listed = await old.client.listTools();
      assert.ok(listed.tools.some((tool) => tool.name === "up_added"));
      const result = await old.client.callTool({ name: "up_added", arguments: {} });
      assert.equal(textOf(result), "new");
      assert.ok(upstream.record.methods.includes("subscriptions/listen"));
      assertAllModern();
    } finally {
      await old.close();
    }
  });

  it("a call the caller drops cancels the upstream tool; progress is relayed", async () => {
    const old = await sdkClient(rig, "alice");
    try {
      const controller = new AbortController();
      const progress: number[] = [];
      const call = old.client.callTool({ name: "up_slow", arguments: {} }, undefined, {
        signal: controller.signal,
        onprogress: (update) => {
          progress.push(update.progress);
          controller.abort();
        },
      });
      await assert.rejects(call);
      assert.deepEqual(progress, [1]);
      await waitFor(() => upstream.record.aborted === 1, "the upstream tool's signal aborted");
      assertAllModern();
    } finally {
      await old.close();
    }
  });

  it("the official v2 client at 2026-07-28: its listen stream, a call, eliciting rounds, a cancelled call", async () => {
    const client = new V2Client({ name: "v2-downstream", version: "1.0.0" }, {
      capabilities: { elicitation: {} },
      versionNegotiation: { mode: { pin: "2026-07-28" } },
    });
    client.setRequestHandler("elicitation/create", (request) => {
      const schema = (request.params as { requestedSchema?: { properties?: object } })
        .requestedSchema;
      const key = Object.keys(schema?.properties ?? {})[0];
      return Promise.resolve({ action: "accept", content: { [key]: `V2-${key}` } });
    });
    client.onerror = () => {};
    let changed = false;
    client.setNotificationHandler("notifications/tools/list_changed", () => void (changed = true));
    const headers = { authorization: "Bearer down-gina" };
    await client.connect(new V2Transport(new URL(rig.url), { requestInit: { headers } }));
    const subscription = await client.listen({ toolsListChanged: true });
    try {
      // The upstream's list change reaches the client's own listen stream, through the gateway's.
      upstream.handler.tools.add(defineTool({ name: "v2late", handler: () => "late" }));
      await waitFor(() => changed, "tools/list_changed on the v2 client's listen stream");
      const echoed = await client.callTool({ name: "up_echo", arguments: { text: "v2" } });
      assert.equal(textOf(echoed), "echo:v2");
      assert.equal(
        textOf(await client.callTool({ name: "up_ask", arguments: {} })),
        "accept:V2-name",
      );
      assert.equal(textOf(await client.callTool({ name: "up_twice", arguments: {} })), "V2-a+V2-b");
      assert.ok(upstream.record.answers.includes("V2-a+V2-b"));
      const aborted = upstream.record.aborted;
      const controller = new AbortController();
      const call = client.callTool({ name: "up_slow", arguments: {} }, {
        signal: controller.signal,
        onprogress: () => controller.abort(),
      });
      await assert.rejects(call);
      await waitFor(() => upstream.record.aborted === aborted + 1, "the upstream tool aborted");
      assertAllModern();
    } finally {
      await subscription.close();
      await client.close();
    }
  });

  it("a prompt that elicits and a resource read, from both eras", async () => {
    const old = await sdkClient(rig, "alice", "Ada");
    try {
      const prompt = await old.client.getPrompt({ name: "up_greeting" });
      assert.deepEqual(prompt.messages[0].content, { type: "text", text: "Hello, Ada-who" });
      const read = await old.client.readResource({ uri: "memo://note" });
      assert.equal((read.contents[0] as { text?: string }).text, "remember");
    } finally {
      await old.close();
    }
    const modern = await modernClient(rig, "hal", "Hal");
    const prompt = await modern.request<{ messages: { content: unknown }[] }>("prompts/get", {
      name: "up_greeting",
    });
    assert.deepEqual(prompt.result.messages[0].content, { type: "text", text: "Hello, Hal-who" });
    assertAllModern();
  });

  it("the upstream's JSON-RPC error is passed on as today", async () => {
    const old = await sdkClient(rig, "alice");
    try {
      const refused = await old.client.callTool({ name: "up_refuse", arguments: {} });
      assert.equal(refused.isError, true);
      assert.equal(textOf(refused), 'Upstream "up": MCP error -32602: No such widget: sprocket');
    } finally {
      await old.close();
    }
  });
});

describe("gateway: the bounds of a 2026-07-28 upstream's rounds", () => {
  it("more inputs in one round than maxRelayedRequests fail the call, counted", async () => {
    const upstream = await startModernUpstream({ legacy: false });
    try {
      const rig = await startRig(`${upstream.url}/mcp`, undefined, { maxRelayedRequests: 2 });
      const old = await sdkClient(rig, "alice", "A");
      try {
        const refused = await old.client.callTool({ name: "up_many", arguments: {} });
        assert.equal(refused.isError, true, JSON.stringify(refused));
        assert.equal(textOf(refused), "The upstream asked for more than 2 inputs at once");
        assert.equal(rig.gateway.stats().relaysDropped, 1);
        const asked = await old.client.callTool({ name: "up_ask", arguments: {} });
        assert.equal(textOf(asked), "accept:A-name", "one input is within the bound");
      } finally {
        await old.close();
        await rig.close();
      }
    } finally {
      await upstream.close();
    }
  });
});

describe("gateway: a 2026-07-28 upstream's listen stream that breaks", () => {
  it("is opened again, and every list reread: a change made meanwhile is listed", async () => {
    const upstream = await startModernUpstream();
    let refuse = false;
    let cut: (() => void) | undefined;
    let listens = 0;
    // The gateway's fetch to the upstream: its listen streams can be cut, and refused (503).
    const through: typeof fetch = async (input, init) => {
      if (new Headers(init?.headers).get("mcp-method") !== "subscriptions/listen") {
        return await fetch(input, init);
      }
      listens++;
      if (refuse) return new Response("down", { status: 503 });
      const response = await fetch(input, init);
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      const abort = new AbortController();
      response.body!.pipeTo(writable, { signal: abort.signal }).catch(() => {});
      cut = () => abort.abort();
      return new Response(readable, { status: response.status, headers: response.headers });
    };
    try {
      const rig = await startRig(`${upstream.url}/mcp`, undefined, { retryMs: 50 }, through);
      try {
        await waitFor(() => cut !== undefined, "the listen stream opens");
        refuse = true;
        cut!();
        upstream.handler.tools.add(defineTool({ name: "missed", handler: () => "missed" }));
        await waitFor(() => listens >= 2, "a refused reopen");
        refuse = false;
        await waitFor(
          () => rig.handler.tools.list().some((tool) => tool.name === "up_missed"),
          "the change made while the stream was down is listed",
        );
      } finally {
        await rig.close();
      }
    } finally {
      await upstream.close();
    }
  });
});

describe("gateway: the revision each upstream is spoken to in", () => {
  it("an SDK 1.x upstream falls back to a 2025 session", async () => {
    const fixture = await startGateway();
    try {
      const connection = await fixture.connect("alice");
      const result = await connection.client.callTool({ name: "up_whoami", arguments: {} });
      assert.equal(result.isError, undefined, JSON.stringify(result));
      assert.ok(fixture.upstream.record.initializes >= 2, "discovery and the caller initialized");
    } finally {
      await fixture.close();
    }
  });

  it('protocol: "2025" speaks 2025 to a tether upstream; "2026-07-28" never falls back', async () => {
    const upstream = await startModernUpstream();
    try {
      const rig = await startRig(`${upstream.url}/mcp`, "2025");
      try {
        assert.equal(upstream.record.methods.includes("server/discover"), false);
        assert.ok(
          !upstream.record.versions.includes("2026-07-28"),
          String(upstream.record.versions),
        );
        assert.ok(rig.handler.tools.list().some((tool) => tool.name === "up_echo"));
      } finally {
        await rig.close();
      }
    } finally {
      await upstream.close();
    }
    const fixture = await startGateway({ onError: () => {} }, {}, { protocol: "2026-07-28" });
    try {
      assert.deepEqual(fixture.gateway.stats().unavailable, ["up"]);
    } finally {
      await fixture.close();
    }
  });
});

describe('gateway in front of an upstream of both eras ("auto")', () => {
  it("a 2025 session calls through a 2025 upstream session of its own; a 2026-07-28 request in 2026-07-28", async () => {
    const upstream = await startModernUpstream();
    try {
      const rig = await startRig(`${upstream.url}/mcp`);
      const record = upstream.record;
      try {
        assert.equal(record.methods[0], "server/discover", "discovery spoke 2026-07-28");
        assert.equal(record.initializes, 0);
        const old = await sdkClient(rig, "alice");
        try {
          const seen = record.versions.length;
          const result = await old.client.callTool({ name: "up_echo", arguments: { text: "hi" } });
          assert.equal(textOf(result), "echo:hi", JSON.stringify(result));
          assert.equal(record.initializes, 1, "the session's own upstream session");
          assert.ok(
            record.versions.slice(seen).every((version) => version === "2025-11-25"),
            String(record.versions.slice(seen)),
          );
          assert.equal(rig.gateway.stats().upstreamSessions, 1);
        } finally {
          await old.close();
        }
        const seen = record.versions.length;
        const modern = await modernClient(rig, "bob");
        const { result } = await modern.callTool("up_echo", { text: "yo" });
        assert.equal(textOf(result), "echo:yo");
        assert.equal(record.initializes, 1, "no session for a 2026-07-28 request");
        assert.ok(
          record.versions.slice(seen).every((version) => version === "2026-07-28"),
          String(record.versions.slice(seen)),
        );
        assert.ok(record.methods.slice(seen).includes("tools/call"));
      } finally {
        await rig.close();
      }
    } finally {
      await upstream.close();
    }
  });

  it('protocol: "2026-07-28" speaks 2026-07-28 to a 2025 session too', async () => {
    const upstream = await startModernUpstream();
    try {
      const rig = await startRig(`${upstream.url}/mcp`, "2026-07-28");
      try {
        const old = await sdkClient(rig, "alice");
        try {
          const result = await old.client.callTool({ name: "up_echo", arguments: { text: "hi" } });
          assert.equal(textOf(result), "echo:hi", JSON.stringify(result));
        } finally {
          await old.close();
        }
        assert.equal(upstream.record.initializes, 0);
        assert.ok(upstream.record.versions.every((version) => version === "2026-07-28"));
        assert.equal(rig.gateway.stats().upstreamSessionsOpened, 0);
      } finally {
        await rig.close();
      }
    } finally {
      await upstream.close();
    }
  });
});
