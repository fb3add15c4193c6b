/**
 * An upstream for the gateway tests: the official SDK's McpServer, one per
 * upstream session, over its web-standard Streamable HTTP server transport,
 * served on a free port of the test's runtime. It records what the tests
 * assert: `initialize` per session, live sessions, every Authorization
 * header it received, and the signals of its tools.
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/completable.d.ts"
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/experimental/tasks/stores/in-memory.d.ts"
import { InMemoryTaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/webStandardStreamableHttp.d.ts"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import * as z from "zod";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";

/** What the upstream saw. */
export interface UpstreamRecord {
  /** `initialize` requests answered. */
  initializes: number;
  /** Upstream sessions open now. */
  live: Set<string>;
  /** Every Authorization header value received (empty string when absent). */
  authorizations: string[];
  /** Calls of `slow` whose signal aborted. */
  aborted: number;
  /** Resolves the next `slow` call's start. */
  slowStarted: (() => void)[];
  /** The resource URIs each upstream session subscribed to. */
  subscriptions: Map<string, Set<string>>;
  /** Upstream tasks created (`brew` called with `params.task`). */
  tasksCreated: number;
  /** Their ids, in order. */
  taskIds: string[];
  /** Releases the waiting `brew` tasks and `long` calls, oldest first. */
  release: (() => void)[];
}

/** A running SDK upstream. */
export interface SdkUpstream extends RunningServer {
  record: UpstreamRecord;
  /** Adds a tool on every upstream session (each tells its client `tools/list_changed`). */
  addTool(name: string): void;
  /** The status of upstream task `taskId`. */
  taskStatus(taskId: string): Promise<string | undefined>;
  /** Tells the upstream sessions subscribed to `uri` that it changed; how many were told. */
  touch(uri: string): Promise<number>;
}

function register(
  server: McpServer,
  record: UpstreamRecord,
  extraTools: string[],
  sessionId: () => string | undefined,
): void {
  let count = 0;
  const subscribed = () => {
    const id = sessionId() ?? "none";
    let set = record.subscriptions.get(id);
    if (set === undefined) record.subscriptions.set(id, set = new Set());
    return set;
  };
  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    subscribed().add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscribed().delete(request.params.uri);
    return {};
  });
  server.experimental.tasks.registerToolTask("brew", {
    description: "Brews as an upstream task until released",
    execution: { taskSupport: "optional" },
  }, {
    async createTask({ taskStore, taskRequestedTtl }) {
      const task = await taskStore.createTask({ ttl: taskRequestedTtl, pollInterval: 20 });
      record.tasksCreated++;
      record.taskIds.push(task.taskId);
      void (async () => {
        await new Promise<void>((resolve) => record.release.push(resolve));
        await taskStore.storeTaskResult(task.taskId, "completed", {
          content: [{ type: "text", text: `brewed in ${sessionId()}` }],
        }).catch(() => {}); // cancelled meanwhile
      })();
      return { task };
    },
    getTask: async (extra) => (await extra.taskStore.getTask(extra.taskId))!,
    getTaskResult: async (extra) =>
      await extra.taskStore.getTaskResult(extra.taskId) as { content: [] },
  });
  server.registerTool("long", { description: "Waits until released" }, async () => {
    await new Promise<void>((resolve) => record.release.push(resolve));
    return { content: [{ type: "text", text: `long done in ${sessionId()}` }] };
  });
  server.registerResource(
    "city",
    new ResourceTemplate("weather://{city}", {
      list: undefined,
      complete: {
        city: (value) => ["Paris", "Prague", "Porto"].filter((c) => c.startsWith(value)),
      },
    }),
    { description: "Weather of a city" },
    (uri) => ({ contents: [{ uri: uri.href, text: "sunny" }] }),
  );
  server.registerPrompt(
    "travel",
    {
      description: "Plans a trip",
      argsSchema: {
        to: completable(
          z.string(),
          (value) => ["Lisbon", "London"].filter((c) => c.startsWith(value)),
        ),
      },
    },
    ({ to }) => ({ messages: [{ role: "user", content: { type: "text", text: `Go to ${to}` } }] }),
  );
  server.registerTool("whoami", { description: "The upstream session id" }, (extra) => ({
    content: [{ type: "text", text: extra.sessionId ?? "none" }],
  }));
  server.registerTool("increment", { description: "Counts in this upstream session" }, () => ({
    content: [{ type: "text", text: String(++count) }],
  }));
  server.registerTool(
    "slow",
    { description: "Reports progress, then waits for cancellation" },
    async (extra) => {
      const token = extra._meta?.progressToken;
      if (token !== undefined) {
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress: 1, total: 2, message: "halfway" },
        });
      }
      await extra.sendNotification({
        method: "notifications/message",
        params: { level: "info", data: "slow started" },
      });
      record.slowStarted.shift()?.();
      await new Promise<void>((resolve) => {
        if (extra.signal.aborted) resolve();
        extra.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      record.aborted++;
      return { content: [{ type: "text", text: "cancelled" }] };
    },
  );
  server.registerTool("ask", { description: "Elicits a name" }, async () => {
    const answer = await server.server.elicitInput({
      message: "Your name?",
      requestedSchema: { type: "object", properties: { name: { type: "string" } } },
    });
    return { content: [{ type: "text", text: `${answer.action}:${answer.content?.name}` }] };
  });
  server.registerTool("sample", { description: "Asks the client's model" }, async () => {
    const answer = await server.server.createMessage({
      messages: [{ role: "user", content: { type: "text", text: "hi" } }],
      maxTokens: 10,
    });
    return { content: [{ type: "text", text: (answer.content as { text: string }).text }] };
  });
  server.registerTool("roots", { description: "Lists the client's roots" }, async () => {
    const answer = await server.server.listRoots();
    return { content: [{ type: "text", text: answer.roots.map((root) => root.uri).join(",") }] };
  });
  server.registerTool(
    "echo",
    { description: "Echoes", inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool("forecast", {
    description: "A forecast, as structured content",
    inputSchema: { city: z.string() },
    outputSchema: { city: z.string(), sky: z.string() },
  }, ({ city }) => ({
    content: [{ type: "text", text: `${city}: sunny` }],
    structuredContent: { city, sky: "sunny" },
  }));
  server.registerPrompt("greet", { description: "Greets", argsSchema: { name: z.string() } }, (
    { name },
  ) => ({ messages: [{ role: "user", content: { type: "text", text: `Hello ${name}` } }] }));
  server.registerResource("motd", "memo://motd", { description: "Message of the day" }, () => ({
    contents: [{ uri: "memo://motd", text: "be kind" }],
  }));
  for (const name of extraTools) {
    server.registerTool(name, { description: "added later" }, () => ({ content: [] }));
  }
}

/** Serves an SDK upstream on a free port. */
export async function startSdkUpstream(): Promise<SdkUpstream> {
  const record: UpstreamRecord = {
    initializes: 0,
    live: new Set(),
    authorizations: [],
    aborted: 0,
    slowStarted: [],
    subscriptions: new Map(),
    tasksCreated: 0,
    taskIds: [],
    release: [],
  };
  const taskStore = new InMemoryTaskStore();
  const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const servers = new Set<McpServer>();
  const sessionServers = new Map<string, McpServer>();
  const extraTools: string[] = [];
  const handler = async (request: Request): Promise<Response> => {
    record.authorizations.push(request.headers.get("authorization") ?? "");
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId !== null) {
      const transport = transports.get(sessionId);
      if (transport === undefined) return new Response("unknown session", { status: 404 });
      return await transport.handleRequest(request);
    }
    // As the SDK's own example servers: only an initialize opens a session (a gateway's
    // 2026-07-28 probe, server/discover, is refused and falls back to one).
    const { method } = await request.clone().json().catch(() => ({})) as { method?: unknown };
    if (request.method === "POST" && method !== "initialize") {
      const error = { code: -32000, message: "Bad Request: No valid session ID provided" };
      return Response.json({ jsonrpc: "2.0", id: null, error }, { status: 400 });
    }
    record.initializes++;
    const server = new McpServer({ name: "sdk-upstream", version: "1.0.0" }, {
      capabilities: {
        logging: {},
        tools: { listChanged: true },
        resources: { subscribe: true },
        tasks: { requests: { tools: { call: {} } }, cancel: {} },
      },
      taskStore,
    });
    register(server, record, extraTools, () => transport.sessionId);
    servers.add(server);
    const transport: WebStandardStreamableHTTPServerTransport =
      new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => {
          transports.set(id, transport);
          sessionServers.set(id, server);
          record.live.add(id);
        },
        onsessionclosed: (id) => {
          transports.delete(id);
          sessionServers.delete(id);
          record.live.delete(id);
          servers.delete(server);
        },
      });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id !== undefined) {
        transports.delete(id);
        sessionServers.delete(id);
        record.live.delete(id);
      }
      servers.delete(server);
    };
    await server.connect(transport);
    return await transport.handleRequest(request);
  };
  const running = await serveHandler(handler, 0);
  return {
    ...running,
    record,
    addTool(name) {
      extraTools.push(name);
      for (const server of servers) {
        server.registerTool(name, { description: "added later" }, () => ({ content: [] }));
      }
    },
    async taskStatus(taskId) {
      const sessionId = [...record.live].find(() => true);
      for (const id of [undefined, sessionId, ...record.live]) {
        const task = await taskStore.getTask(taskId, id).catch(() => null);
        if (task !== null) return task.status;
      }
      return undefined;
    },
    async touch(uri) {
      let told = 0;
      for (const [id, uris] of record.subscriptions) {
        const server = sessionServers.get(id);
        if (!uris.has(uri) || server === undefined) continue;
        await server.server.sendResourceUpdated({ uri });
        told++;
      }
      return told;
    },
    async close() {
      taskStore.cleanup();
      for (const transport of transports.values()) await transport.close().catch(() => {});
      await running.close();
    },
  };
}
