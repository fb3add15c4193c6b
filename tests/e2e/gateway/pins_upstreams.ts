/**
 * Upstreams for the pin tests, one on the official SDK's McpServer and one
 * on tether, served on loopback: each lists the tools `stable` and `shifty`
 * and the prompt `greet`, lets the test change an entry's description, a
 * tool's `_meta` or icons (icons: the tether upstream only, the SDK's
 * McpServer lists none) or add a tool at runtime (one `list_changed` to
 * every session), and counts
 * the calls and prompt gets that reached it, by name.
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/webStandardStreamableHttp.d.ts"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import * as z from "zod";
import { createMcpHandler, definePrompt, defineTool } from "../../../mod.ts";
import { serveHandler } from "../../../examples/serve.ts";

/** A running pin-test upstream. */
export interface PinUpstream {
  /** Its MCP endpoint. */
  url: string;
  /** Tool calls and prompt gets that reached it, by the upstream's own name. */
  reached: Record<string, number>;
  /** `tools/list` requests answered. */
  readonly toolLists: number;
  /** Lists tool or prompt `name` with `description` from now on. */
  describe(kind: "tool" | "prompt", name: string, description: string): void;
  /** Lists tool `name` with these `_meta` and `icons` from now on. */
  decorate(name: string, decoration: Decoration): void;
  /** Lists one more tool from now on. */
  addTool(name: string): void;
  close(): Promise<void>;
}

/** What a client renders or follows of a tool: its `_meta` (an MCP Apps UI resource) and icons. */
export interface Decoration {
  _meta?: Record<string, unknown>;
  icons?: { src: string; mimeType?: string }[];
}

const TOOLS = ["stable", "shifty"];

/** `handler`, counting the `tools/list` requests it is sent. */
function countingToolLists(handler: (request: Request) => Promise<Response>) {
  const counted = {
    count: 0,
    handler: async (request: Request) => {
      if (request.method === "POST" && /"tools\/list"/.test(await request.clone().text())) {
        counted.count++;
      }
      return await handler(request);
    },
  };
  return counted;
}

/** The SDK upstream: one McpServer per upstream session, all changed together. */
export async function startSdkPinUpstream(): Promise<PinUpstream> {
  const reached: Record<string, number> = {};
  const descriptions: Record<string, string> = { stable: "Stays", shifty: "Adds", greet: "Greets" };
  const added: string[] = [];
  const metas: Record<string, Record<string, unknown>> = {};
  const servers = new Set<McpServer>();
  const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const tool = (server: McpServer, name: string) =>
    server.registerTool(name, {
      description: descriptions[name] ?? "added later",
      ...(metas[name] === undefined ? {} : { _meta: metas[name] }),
    }, () => {
      reached[name] = (reached[name] ?? 0) + 1;
      return { content: [{ type: "text", text: `${name} ran` }] };
    });
  type Update = { description?: string; _meta?: Record<string, unknown> };
  const handles = new Map<McpServer, Map<string, { update(u: Update): void }>>();
  const handler = async (request: Request): Promise<Response> => {
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId !== null) {
      const transport = transports.get(sessionId);
      if (transport === undefined) return new Response("unknown session", { status: 404 });
      return await transport.handleRequest(request);
    }
    const server = new McpServer({ name: "sdk-pins", version: "1.0.0" }, {
      capabilities: { tools: { listChanged: true }, prompts: { listChanged: true } },
    });
    const mine = new Map<string, { update(u: Update): void }>();
    for (const name of [...TOOLS, ...added]) mine.set(`tool ${name}`, tool(server, name));
    mine.set(
      "prompt greet",
      server.registerPrompt(
        "greet",
        { description: descriptions.greet, argsSchema: { name: z.string() } },
        ({ name }) => {
          reached.greet = (reached.greet ?? 0) + 1;
          return { messages: [{ role: "user", content: { type: "text", text: `Hello ${name}` } }] };
        },
      ),
    );
    handles.set(server, mine);
    servers.add(server);
    const transport: WebStandardStreamableHTTPServerTransport =
      new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => void transports.set(id, transport),
        onsessionclosed: (id) => void transports.delete(id),
      });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) transports.delete(transport.sessionId);
      servers.delete(server);
      handles.delete(server);
    };
    await server.connect(transport);
    return await transport.handleRequest(request);
  };
  const counted = countingToolLists(handler);
  const running = await serveHandler(counted.handler, 0);
  return {
    url: `${running.url}/mcp`,
    reached,
    get toolLists() {
      return counted.count;
    },
    describe(kind, name, description) {
      descriptions[name] = description;
      for (const mine of handles.values()) mine.get(`${kind} ${name}`)?.update({ description });
    },
    decorate(name, decoration) {
      if (decoration.icons !== undefined) throw new Error("the SDK's McpServer lists no icons");
      metas[name] = decoration._meta ?? {};
      for (const mine of handles.values()) mine.get(`tool ${name}`)?.update({ _meta: metas[name] });
    },
    addTool(name) {
      added.push(name);
      for (const server of servers) handles.get(server)?.set(`tool ${name}`, tool(server, name));
    },
    async close() {
      for (const transport of transports.values()) await transport.close().catch(() => {});
      await running.close();
    },
  };
}

/** The tether upstream: one handler, its registries changed in place. */
export async function startTetherPinUpstream(): Promise<PinUpstream> {
  const reached: Record<string, number> = {};
  const count = (name: string) => void (reached[name] = (reached[name] ?? 0) + 1);
  const decorations: Record<string, Decoration> = {};
  const descriptions: Record<string, string> = { stable: "Stays", shifty: "Adds" };
  const tool = (name: string, description: string) =>
    defineTool({
      name,
      description,
      ...decorations[name],
      input: { type: "object", properties: { n: { type: "number" } } },
      handler: () => {
        count(name);
        return `${name} ran`;
      },
    });
  const prompt = (description: string) =>
    definePrompt({
      name: "greet",
      description,
      arguments: [{ name: "name", required: true }],
      handler: (args) => {
        count("greet");
        return `Hello ${args.name}`;
      },
    });
  const handler = createMcpHandler({
    name: "tether-pins",
    version: "1.0.0",
    tools: [tool("stable", "Stays"), tool("shifty", "Adds")],
    prompts: [prompt("Greets")],
    streams: { heartbeatMs: 0 },
  });
  const counted = countingToolLists(handler);
  const running = await serveHandler(
    Object.assign(counted.handler, { close: () => handler.close() }),
    0,
  );
  return {
    url: `${running.url}/mcp`,
    reached,
    get toolLists() {
      return counted.count;
    },
    describe(kind, name, description) {
      if (kind === "tool") {
        descriptions[name] = description;
        handler.tools.remove(name);
        handler.tools.add(tool(name, description));
      } else {
        handler.prompts.remove(name);
        handler.prompts.add(prompt(description));
      }
    },
    decorate(name, decoration) {
      decorations[name] = decoration;
      handler.tools.remove(name);
      handler.tools.add(tool(name, descriptions[name] ?? "added later"));
    },
    addTool(name) {
      descriptions[name] = "added later";
      handler.tools.add(tool(name, "added later"));
    },
    close: () => running.close(),
  };
}
