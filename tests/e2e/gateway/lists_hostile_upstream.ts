/**
 * A hostile upstream for the gateway's list tests: a tether handler served
 * on loopback whose tools and resources the test swaps at runtime (each
 * swap one `list_changed` to its sessions), and which can refuse every
 * request (503) to play an upstream that is down. Its tools answer
 * `upstream <name> got <arguments>`, its resources `upstream <uri>`, so a
 * test sees when a call or a read reached it. With it, a gateway in front
 * of such upstreams beside local definitions.
 */

import assert from "node:assert/strict";
import {
  createMcpHandler,
  defineResource,
  defineTool,
  type McpHandler,
  type McpHandlerOptions,
} from "../../../mod.ts";
import {
  createGateway,
  type Gateway,
  type GatewayOptions,
  httpUpstream,
} from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import {
  connectClient,
  type ConnectOptions,
  type SdkConnection,
  textOf,
  waitFor,
} from "../interop/helpers.ts";

/** A running hostile upstream. */
export interface HostileUpstream {
  /** Its MCP endpoint. */
  url: string;
  handler: McpHandler;
  /** While true, every request is answered 503. */
  refusing: boolean;
  /** Requests answered 503 so far. */
  refused: number;
  /** Lists exactly these tools from now on (one change). */
  setTools(names: readonly string[]): void;
  /** Lists exactly these resources from now on (one change). */
  setResources(uris: readonly string[]): void;
  close(): Promise<void>;
}

function tool(name: string) {
  return defineTool({
    name,
    input: { type: "object", additionalProperties: true },
    handler: (args: unknown) => `upstream ${name} got ${JSON.stringify(args)}`,
  });
}

function resource(uri: string) {
  return defineResource({ uri, name: uri.replace(/\W+/g, "_"), read: () => `upstream ${uri}` });
}

/** Starts an upstream listing `tools` and `resources`. */
export async function startHostileUpstream(
  options: { tools?: readonly string[]; resources?: readonly string[]; refusing?: boolean } = {},
): Promise<HostileUpstream> {
  let tools = [...options.tools ?? []];
  let resources = [...options.resources ?? []];
  const handler = createMcpHandler({
    name: "hostile",
    version: "1.0.0",
    tools: tools.map(tool),
    resources: resources.map(resource),
    limits: { pageSize: 1_000 },
    streams: { heartbeatMs: 0 },
  });
  const state = {
    refusing: options.refusing ?? false,
    refused: 0,
  };
  const server: RunningServer = await serveHandler(
    Object.assign(
      (request: Request) => {
        if (!state.refusing) return handler(request);
        state.refused++;
        return Promise.resolve(new Response("down for maintenance", { status: 503 }));
      },
      { close: () => handler.close() },
    ),
    0,
  );
  return {
    url: `${server.url}/mcp`,
    handler,
    get refusing() {
      return state.refusing;
    },
    set refusing(value: boolean) {
      state.refusing = value;
    },
    get refused() {
      return state.refused;
    },
    // One entry at a time (what any server may do), all in one turn.
    setTools(names) {
      for (const name of tools) handler.tools.remove(name);
      for (const name of names) handler.tools.add(tool(name));
      tools = [...names];
    },
    setResources(uris) {
      for (const uri of resources) handler.resources.remove(uri);
      for (const uri of uris) handler.resources.add(resource(uri));
      resources = [...uris];
    },
    close: () => server.close(),
  };
}

/** A gateway in front of `upstreams`, served with `local` beside their definitions. */
export interface ListsGateway {
  gateway: Gateway;
  handler: McpHandler;
  url: string;
  /** What the gateway's `onError` was told. */
  errors: Error[];
  /** Connects an SDK client (closed by `close`). */
  connect(options?: ConnectOptions): Promise<SdkConnection>;
  close(): Promise<void>;
}

/**
 * Starts a gateway (`options` beside the upstreams), its handler with
 * `local`, and its server; when that fails, closes the upstreams (so a
 * failing test does not keep the process alive) and rethrows.
 */
export async function startListsGateway(
  upstreams: Record<string, HostileUpstream>,
  local: Partial<McpHandlerOptions> = {},
  options: Partial<GatewayOptions> = {},
): Promise<ListsGateway> {
  try {
    return await gatewayInFront(upstreams, local, options);
  } catch (error) {
    for (const upstream of Object.values(upstreams)) await upstream.close();
    throw error;
  }
}

async function gatewayInFront(
  upstreams: Record<string, HostileUpstream>,
  local: Partial<McpHandlerOptions> = {},
  options: Partial<GatewayOptions> = {},
): Promise<ListsGateway> {
  const errors: Error[] = [];
  const gateway = await createGateway({
    upstreams: Object.entries(upstreams).map(([name, upstream]) =>
      httpUpstream({ name, url: upstream.url })
    ),
    graceMs: 0,
    onError: (error) => void errors.push(error as Error),
    ...options,
  });
  const definitions = gateway.definitions();
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    limits: { pageSize: 1_000 },
    streams: { heartbeatMs: 0 },
    ...local,
    tools: [...definitions.tools, ...local.tools ?? []],
    prompts: [...definitions.prompts, ...local.prompts ?? []],
    resources: [...definitions.resources, ...local.resources ?? []],
    resourceTemplates: [...definitions.resourceTemplates, ...local.resourceTemplates ?? []],
  });
  gateway.attach(handler);
  const server = await serveHandler(handler, 0);
  const url = `${server.url}/mcp`;
  const clients: SdkConnection[] = [];
  return {
    gateway,
    handler,
    url,
    errors,
    async connect(connectOptions) {
      const connection = await connectClient(url, connectOptions);
      clients.push(connection);
      return connection;
    },
    async close() {
      for (const client of clients) await client.close();
      await server.close();
      await gateway.close({ graceMs: 0 });
    },
  };
}

/**
 * Makes `change` (numbered) until `heard` holds (a client opens its listen
 * stream only after `initialize`, so an early change may reach nobody).
 */
export async function changeUntilHeard(
  change: (round: number) => void,
  heard: () => boolean,
  what: string,
): Promise<void> {
  for (let round = 0; round < 50; round++) {
    change(round);
    try {
      await waitFor(heard, what, 200);
      return;
    } catch { /* not heard yet: change again */ }
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Counts of each list_changed a client received. */
export interface Heard {
  tools: number;
  prompts: number;
  resources: number;
}

/** Connects through `connect`, counting the list_changed notifications the client hears. */
export async function listening<T>(
  connect: (options: ConnectOptions) => Promise<T>,
): Promise<{ heard: Heard; connection: T }> {
  const heard: Heard = { tools: 0, prompts: 0, resources: 0 };
  const connection = await connect({
    setup(client) {
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => void heard.tools++);
      client.setNotificationHandler(
        PromptListChangedNotificationSchema,
        () => void heard.prompts++,
      );
      client.setNotificationHandler(
        ResourceListChangedNotificationSchema,
        () => void heard.resources++,
      );
    },
  });
  return { heard, connection };
}

/** What the downstream client gets from the local tool and resource (lists_locals.ts). */
export async function localsAnswer(connection: SdkConnection): Promise<void> {
  const called = await connection.client.callTool({
    name: "evil_secret",
    arguments: { password: "hunter2" },
  });
  assert.equal(textOf(called), "local secret", "the call stays with the gateway's own tool");
  const read = await connection.client.readResource({ uri: "local://secret" });
  assert.deepEqual(
    read.contents.map((content) => "text" in content ? content.text : undefined),
    ["local contents"],
    "the read stays with the gateway's own resource",
  );
}
