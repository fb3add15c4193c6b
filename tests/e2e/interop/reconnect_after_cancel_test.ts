/**
 * No reconnect loop after a cancel, through the official clients over real
 * HTTP: the SDK v1 client, the SDK v2 client in a session (the legacy era)
 * and mcp-remote's stdio bridge. A call whose SSE answer has started is
 * cancelled; the client resumes that stream, which ended unanswered. Then N
 * `notifications/tools/list_changed` are sent: the client must get exactly
 * N, and no HTTP request may reach the server during an idle window after
 * (counted by a wrapper around the handler). Before the fix each client
 * took the listening stream back and forth once per `retry` and got
 * notifications twice.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
import { createMcpHandler, defineTool, type McpHandler } from "../../../mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import {
  Client,
  deferred,
  sleep,
  StreamableHTTPClientTransport,
  WAIT_MS,
  waitFor,
  withTimeout,
} from "./helpers.ts";
import { startMcpRemote } from "./stdio_bridge.ts";
import { MAX_PARKED_PER_SESSION } from "../../../src/legacy/streams/stream_hub.ts";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

/** Notifications sent after the cancel. */
const N = 20;
/** The `retry:` the server sends: official clients reconnect after it (short: the idle window is 15 of it). */
const RETRY_MS = 25;
/** How long no request may arrive once the notifications are in: many reconnect periods. */
const IDLE_WINDOW_MS = 15 * RETRY_MS;

/** One HTTP request as the counting wrapper saw it. */
interface Seen {
  method: string;
  path: string;
  lastEventId: string | null;
  sessionId: string | null;
  /** The JSON-RPC method of a POST, when it carries one. */
  rpc?: string;
}

/** A served handler whose requests are counted, with a tool that runs until cancelled. */
async function serveCounting() {
  const calls = { started: 0, cancelled: 0 };
  const slow = defineTool({
    name: "slow",
    handler: async (_input, ctx) => {
      calls.started++;
      await withTimeout(
        new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true })),
        WAIT_MS,
        "the call to be cancelled",
      );
      calls.cancelled++;
      return "cancelled";
    },
  });
  const handler: McpHandler = createMcpHandler({
    name: "reconnect",
    version: "1.0.0",
    tools: [slow],
    streams: {
      // Every answer on a resumable stream: the call's answer has started when it is cancelled.
      responseMode: "sse",
      retryMs: RETRY_MS,
    },
    observe: {
      onError: () => {},
    },
  });
  const seen: Seen[] = [];
  const counting = Object.assign(async (request: Request) => {
    const entry: Seen = {
      method: request.method,
      path: new URL(request.url).pathname,
      lastEventId: request.headers.get("last-event-id"),
      sessionId: request.headers.get("mcp-session-id"),
    };
    if (request.method === "POST") {
      try {
        entry.rpc = (JSON.parse(await request.clone().text()) as { method?: string }).method;
      } catch { /* not ours to judge */ }
    }
    seen.push(entry);
    return await handler(request);
  }, { close: () => handler.close() });
  const running = await serveHandler(counting, 0);
  return {
    handler,
    url: `${running.url}/mcp`,
    seen,
    calls,
    close: () => running.close(),
  };
}

/** What each client does; the checks after the cancel are shared. */
interface Driver {
  /** Connects and opens the session (and the client's listening GET). */
  connect(url: string): Promise<void>;
  /** Starts the `index`th slow call (from 0). */
  call(index: number): void;
  /** Resolves once the client holds the call's priming event id (its SSE answer has started). */
  answerStarted(index: number): Promise<void>;
  /** Cancels the call. */
  cancel(index: number): void;
  /** list_changed notifications received so far. */
  changes(): number;
  close(): Promise<void>;
}

/**
 * Cancels `calls` calls one after the other, waits for `resumes` resumes
 * (GETs with `Last-Event-ID`), then checks delivery and the idle window.
 */
async function noLoopAfterCancel(
  driver: Driver,
  { calls = 1, resumes = calls }: { calls?: number; resumes?: number } = {},
): Promise<void> {
  const server = await serveCounting();
  const resumesSeen = () => server.seen.filter((seen) => seen.lastEventId !== null).length;
  try {
    await driver.connect(server.url);
    let sessionId = "";
    for (let index = 0; index < calls; index++) {
      driver.call(index);
      await waitFor(() => server.calls.started === index + 1, "the call to start");
      sessionId = server.seen.find((seen) => seen.rpc === "tools/call")!.sessionId!;
      await waitFor(
        () => server.seen.some((seen) => seen.method === "GET" && seen.sessionId === sessionId),
        "the client to open its listening stream",
      );
      await withTimeout(
        driver.answerStarted(index),
        WAIT_MS,
        "the client to get the priming event",
      );
      driver.cancel(index);
      await waitFor(() => server.calls.cancelled === index + 1, "the tool to see the cancel");
      // The client resumes the cancelled call's stream (it holds its priming event id).
      await waitFor(
        () => resumesSeen() >= Math.min(index + 1, resumes),
        "the client to resume the cancelled call's stream",
      );
    }
    await waitFor(() => resumesSeen() >= resumes, `${resumes} resumes`);

    for (let i = 0; i < N; i++) {
      await server.handler.notify(sessionId, { method: "notifications/tools/list_changed" });
    }
    await waitFor(() => driver.changes() >= N, `the client to receive ${N} notifications`);
    const before = server.seen.length;
    await sleep(IDLE_WINDOW_MS);
    const during = server.seen.slice(before);
    assert.equal(driver.changes(), N, `exactly ${N} notifications, each once`);
    assert.deepEqual(
      during.map((seen) => `${seen.method} ${seen.lastEventId ?? "(no Last-Event-ID)"}`),
      [],
      "no request reaches the server while the client is idle",
    );
    // No OAuth: besides the endpoint (which never asks for it), only metadata discovery, which
    // mcp-remote 0.15 runs at startup whatever the server; answered 404, it goes on without.
    const foreign = server.seen.filter((seen) => seen.path !== "/mcp");
    assert.deepEqual(
      foreign.filter((seen) => seen.method !== "GET" || !seen.path.includes("/.well-known/")),
      [],
    );
  } finally {
    await driver.close();
    await server.close();
  }
}

/** The SDK v1 client, with one abort controller and priming latch per call. */
function sdkV1Driver(): Driver {
  let client: Client | undefined;
  let changes = 0;
  const controllers: AbortController[] = [];
  const primed: ReturnType<typeof deferred<void>>[] = [];
  return {
    async connect(url) {
      client = new Client({ name: "v1", version: "1.0.0" }, { capabilities: {} });
      client.onerror = () => {};
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++);
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    },
    call(index) {
      controllers[index] = new AbortController();
      primed[index] = deferred<void>();
      client!.callTool({ name: "slow", arguments: {} }, undefined, {
        signal: controllers[index].signal,
        onresumptiontoken: () => primed[index].resolve(),
      }).catch(() => {});
    },
    answerStarted: (index) => primed[index].promise,
    cancel: (index) => controllers[index].abort("the user gave up"),
    changes: () => changes,
    close: async () => await client?.close(),
  };
}

describe("no reconnect loop after a cancel", () => {
  it("SDK v1 client: exactly N notifications and no requests while idle", async () => {
    await noLoopAfterCancel(sdkV1Driver());
  });

  it("SDK v1 client, one cancel past the bound of quiet connections: the refused resume is tried twice, then nothing", async () => {
    await noLoopAfterCancel(sdkV1Driver(), {
      calls: MAX_PARKED_PER_SESSION + 1,
      // Each kept resume, and the refused one twice (the SDK's default maxRetries: 2).
      resumes: MAX_PARKED_PER_SESSION + 2,
    });
  });

  it("SDK v2 client in a session: exactly N notifications and no requests while idle", async () => {
    let client: ClientV2 | undefined;
    let changes = 0;
    const controller = new AbortController();
    const primed = deferred<void>();
    await noLoopAfterCancel({
      async connect(url) {
        client = new ClientV2({ name: "v2", version: "1.0.0" }, {
          capabilities: {},
          versionNegotiation: { mode: "legacy" },
        });
        client.onerror = () => {};
        client.setNotificationHandler("notifications/tools/list_changed", () => void changes++);
        const transport = new TransportV2(new URL(url));
        await client.connect(transport);
        assert.ok(transport.sessionId, "the legacy era, in a session");
      },
      call() {
        client!.callTool({ name: "slow", arguments: {} }, {
          signal: controller.signal,
          onresumptiontoken: () => primed.resolve(),
        }).catch(() => {});
      },
      answerStarted: () => primed.promise,
      cancel: () => controller.abort("the user gave up"),
      changes: () => changes,
      close: async () => await client?.close(),
    });
  });

  it("mcp-remote's stdio bridge: exactly N notifications and no requests while idle", async () => {
    let bridge: ReturnType<typeof startMcpRemote> | undefined;
    await noLoopAfterCancel({
      async connect(url) {
        bridge = startMcpRemote(url);
        bridge.send({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-11-25",
            capabilities: {},
            clientInfo: { name: "stdio-test", version: "1.0.0" },
          },
        });
        const answer = await bridge.next((message) => message.id === 1);
        assert.ok(answer.result, `initialize answered ${JSON.stringify(answer)}`);
        bridge.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      },
      call() {
        bridge!.send({
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "slow", arguments: {} },
        });
      },
      // The bridge (on Node) shows nothing of its HTTP side; the priming goes out as the call starts.
      answerStarted: () => Promise.resolve(),
      cancel() {
        bridge!.send({
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: 2, reason: "the user gave up" },
        });
      },
      changes: () =>
        bridge?.received.filter((message) => message.method === "notifications/tools/list_changed")
          .length ?? 0,
      close: async () => await bridge?.close(),
    });
  });
});
