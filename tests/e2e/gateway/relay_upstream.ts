/**
 * A hostile upstream for the gateway's relay and session tests: the official
 * SDK's McpServer, one per upstream session, over its web-standard
 * Streamable HTTP transport on a free port. `secret` sends its caller's
 * secret back in an elicitation, a sampling request and logs once `waitFor`
 * callers are inside it at once; `flood` sends counts of progress, logs and
 * elicitations in one call; `restart()` forgets every session as a restarted
 * process would (their ids then answer 404). `startRelayRig` puts a
 * gateway in front of it.
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { CreateMessageResultSchema, ElicitResultSchema } from "@modelcontextprotocol/sdk/types.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/webStandardStreamableHttp.d.ts"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import * as z from "zod";
import { createMcpHandler, type McpHandler } from "../../../mod.ts";
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
  httpUpstream,
} from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { downstreamUser } from "./down_tokens.ts";

/** What the hostile upstream saw. */
export interface RelayRecord {
  /** `initialize` requests answered. */
  initializes: number;
  /** Callers inside `secret` now. */
  inside: number;
  /**
   * The most callers inside `secret` at once since it was last empty: the
   * barrier waits on this, so a quick caller that leaves cannot close it on
   * one still polling.
   */
  gathered: number;
  /** Elicitations of `flood` the gateway refused, and those answered. */
  refused: number;
  answered: number;
  /** Tool calls answered 404 (a forgotten session). */
  callsNotFound: number;
}

/** A running hostile upstream. */
export interface RelayUpstream extends RunningServer {
  record: RelayRecord;
  /** Callers `secret` waits for before it speaks. */
  waitFor: number;
  /** Forgets every upstream session (their ids answer 404 from now). */
  restart(): Promise<void>;
  /** While true, every `tools/call` is answered 404, as if its session were forgotten. */
  refuseCalls: boolean;
  /** How long a `tools/call` of a forgotten session waits for its 404, ms (a slow network). */
  notFoundDelayMs: number;
  /**
   * Holds `secret`'s answer until this is true (polled, at most 10 s): a
   * test keeps its calls running until the gateway has taken what the
   * upstream sent the session as a whole. Default: no hold.
   */
  answerWhen: () => boolean;
}

function register(server: McpServer, upstream: RelayUpstream): void {
  const record = upstream.record;
  server.registerTool("secret", {
    description: "Tells the caller's secret back through the client",
    inputSchema: { secret: z.string() },
  }, async ({ secret }, extra) => {
    record.inside++;
    record.gathered = Math.max(record.gathered, record.inside);
    const deadline = Date.now() + 30_000;
    while (record.gathered < upstream.waitFor && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Related to this request (its response stream), and not (the session's GET stream).
    await extra.sendNotification({
      method: "notifications/message",
      params: { level: "info", data: `LOG of ${secret}` },
    });
    await server.server.sendLoggingMessage({ level: "info", data: `GLOBAL of ${secret}` });
    const elicited = await extra.sendRequest({
      method: "elicitation/create",
      params: {
        message: `ELICIT for ${secret}`,
        requestedSchema: { type: "object", properties: { name: { type: "string" } } },
      },
    }, ElicitResultSchema);
    const sampled = await extra.sendRequest({
      method: "sampling/createMessage",
      params: {
        messages: [{ role: "user", content: { type: "text", text: `PROMPT of ${secret}` } }],
        maxTokens: 10,
      },
    }, CreateMessageResultSchema);
    const holdUntil = Date.now() + 10_000;
    while (!upstream.answerWhen() && Date.now() < holdUntil) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    record.inside--;
    if (record.inside === 0) record.gathered = 0;
    const answer = `${elicited.content?.name}|${(sampled.content as { text: string }).text}`;
    return { content: [{ type: "text", text: answer }] };
  });
  server.registerTool("flood", {
    description: "Sends progress, logs and elicitations by the thousand",
    inputSchema: { progress: z.number(), logs: z.number(), elicitations: z.number() },
  }, async ({ progress, logs, elicitations }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 0; i < progress && token !== undefined; i++) {
      void extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: i + 1 },
      });
    }
    for (let i = 0; i < logs; i++) {
      void extra.sendNotification({
        method: "notifications/message",
        params: { level: "info", data: `flood ${i}` },
      });
    }
    const asked = Array.from({ length: elicitations }, (_, i) =>
      extra.sendRequest({
        method: "elicitation/create",
        params: { message: `flood ${i}`, requestedSchema: { type: "object", properties: {} } },
      }, ElicitResultSchema).then(
        () => record.answered++,
        () => record.refused++,
      ));
    await Promise.all(asked);
    return { content: [{ type: "text", text: "flooded" }] };
  });
  server.registerTool("whoami", { description: "The upstream session id" }, (extra) => ({
    content: [{ type: "text", text: extra.sessionId ?? "none" }],
  }));
}

/** Serves a hostile upstream on a free port. */
export async function startRelayUpstream(): Promise<RelayUpstream> {
  let transports = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const handler = async (request: Request): Promise<Response> => {
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId !== null) {
      const transport = transports.get(sessionId);
      const isCall = request.method === "POST" &&
        (await request.clone().text()).includes('"tools/call"');
      if (transport === undefined || (isCall && upstream.refuseCalls)) {
        if (isCall) {
          upstream.record.callsNotFound++;
          await new Promise((resolve) => setTimeout(resolve, upstream.notFoundDelayMs));
        }
        return Response.json({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32001, message: "Session not found" },
        }, { status: 404 });
      }
      return await transport.handleRequest(request);
    }
    // As the SDK's own example servers: only an initialize opens a session (a gateway's
    // 2026-07-28 probe, server/discover, is refused and falls back to one).
    const { method } = await request.clone().json().catch(() => ({})) as { method?: unknown };
    if (request.method === "POST" && method !== "initialize") {
      const error = { code: -32000, message: "Bad Request: No valid session ID provided" };
      return Response.json({ jsonrpc: "2.0", id: null, error }, { status: 400 });
    }
    upstream.record.initializes++;
    const server = new McpServer({ name: "relay-upstream", version: "1.0.0" }, {
      capabilities: { logging: {} },
    });
    register(server, upstream);
    const own = transports;
    const transport: WebStandardStreamableHTTPServerTransport =
      new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => void own.set(id, transport),
        onsessionclosed: (id) => void own.delete(id),
      });
    await server.connect(transport);
    return await transport.handleRequest(request);
  };
  const running = await serveHandler(handler, 0);
  const upstream: RelayUpstream = {
    ...running,
    record: { initializes: 0, inside: 0, gathered: 0, refused: 0, answered: 0, callsNotFound: 0 },
    waitFor: 1,
    answerWhen: () => true,
    refuseCalls: false,
    notFoundDelayMs: 0,
    async restart() {
      const old = transports;
      transports = new Map();
      for (const transport of old.values()) await transport.close().catch(() => {});
    },
    async close() {
      await upstream.restart();
      await running.close();
    },
  };
  return upstream;
}

/** A gateway in front of a hostile upstream, served on a free port. */
export interface RelayRig {
  upstream: RelayUpstream;
  gateway: Gateway;
  handler: McpHandler;
  server: RunningServer;
  close(): Promise<void>;
}

/**
 * A gateway (`options` added) in front of a new hostile upstream: callers
 * with `Bearer down-<user>` are `<user>`, every other caller anonymous.
 */
export async function startRelayRig(options: Partial<GatewayOptions> = {}): Promise<RelayRig> {
  const upstream = await startRelayUpstream();
  const gateway = await createGateway({
    upstreams: [httpUpstream({ name: "up", url: `${upstream.url}/mcp` })],
    graceMs: 1_000,
    ...options,
  }).catch(async (error) => {
    await upstream.close();
    throw error;
  });
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    ...gateway.definitions(),
    auth: {
      authenticate: gateway.authenticate(downstreamUser),
    },
  });
  gateway.attach(handler);
  const server = await serveHandler(handler, 0);
  return {
    upstream,
    gateway,
    handler,
    server,
    async close() {
      await server.close();
      await gateway.close({ graceMs: 1_000 });
      await upstream.close();
    },
  };
}
