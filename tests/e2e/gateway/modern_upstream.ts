/**
 * A 2026-07-28 upstream for the gateway tests: a tether handler (it serves
 * 2026-07-28 and the 2025 revisions on one endpoint) on a free port. It
 * records what the tests assert: the protocol version of every request
 * (`MCP-Protocol-Version`), the Authorization headers, the capabilities
 * each call of `ask` or `caps` declared, the answers `ask` and `twice`
 * received, and the signals of `slow` that aborted. A call of `refuse` is
 * answered with a JSON-RPC error (`-32602`). With `{ legacy: false }` it
 * serves 2026-07-28 only: a 2025 `initialize` is refused, and counted apart.
 * Not a test file itself.
 */

import {
  createMcpHandler,
  definePrompt,
  defineResource,
  defineTool,
  ErrorCode,
  type McpHandler,
} from "../../../mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";

/** What the upstream saw. */
export interface ModernRecord {
  /** The `MCP-Protocol-Version` of each POST ("" when absent), in order. */
  versions: string[];
  /** The `Mcp-Method` of each POST ("" when absent). */
  methods: string[];
  /** Every Authorization header value received ("" when absent). */
  authorizations: string[];
  /** The client capabilities of each call of `ask` and `caps`. */
  capabilities: Record<string, unknown>[];
  /** The answers `ask` and `twice` completed with. */
  answers: string[];
  /** Calls of `slow` whose signal aborted. */
  aborted: number;
  /** POSTs without `MCP-Protocol-Version` (2025 `initialize` requests), left out of the lists above. */
  initializes: number;
}

/** A running tether upstream. */
export interface ModernUpstream extends RunningServer {
  handler: McpHandler;
  record: ModernRecord;
}

const schema = (property: string) => ({
  type: "object" as const,
  properties: { [property]: { type: "string" as const } },
  required: [property],
});

/** Starts the upstream on a free loopback port; `legacy: false` serves 2026-07-28 only. */
export async function startModernUpstream(
  { legacy = true }: { legacy?: boolean } = {},
): Promise<ModernUpstream> {
  const record: ModernRecord = {
    versions: [],
    methods: [],
    authorizations: [],
    capabilities: [],
    answers: [],
    aborted: 0,
    initializes: 0,
  };
  const handler = createMcpHandler({
    name: "modern-upstream",
    version: "1.0.0",
    eras: { legacy },
    tools: [
      defineTool({
        name: "echo",
        input: { type: "object", properties: { text: { type: "string" } } },
        handler: (input: { text?: string }) => `echo:${input.text ?? ""}`,
      }),
      defineTool({
        name: "caps",
        handler: (_input, ctx) => {
          record.capabilities.push({ ...ctx.clientCapabilities });
          return JSON.stringify(ctx.clientCapabilities);
        },
      }),
      defineTool({
        name: "ask",
        handler: async (_input, ctx) => {
          record.capabilities.push({ ...ctx.clientCapabilities });
          const answer = await ctx.elicit({
            message: "Your name?",
            requestedSchema: schema("name"),
          });
          const text = `${answer.action}:${String(answer.content?.name ?? "")}`;
          record.answers.push(text);
          return text;
        },
      }),
      defineTool({
        name: "twice",
        handler: async (_input, ctx) => {
          const first = await ctx.elicit({ message: "First?", requestedSchema: schema("a") });
          const second = await ctx.elicit({ message: "Second?", requestedSchema: schema("b") });
          const text = `${String(first.content?.a)}+${String(second.content?.b)}`;
          record.answers.push(text);
          return text;
        },
      }),
      defineTool({
        name: "many",
        handler: async (_input, ctx) => {
          const asked = ["a", "b", "c"].map((key) =>
            ctx.elicit({ message: `${key}?`, requestedSchema: schema(key) })
          );
          return (await Promise.all(asked)).map((answer) => answer.action).join(",");
        },
      }),
      defineTool({
        name: "slow",
        handler: async (_input, ctx) => {
          await ctx.progress(1, 2, "halfway");
          await new Promise<void>((resolve) => {
            if (ctx.signal.aborted) return resolve();
            ctx.signal.addEventListener("abort", () => resolve(), { once: true });
          });
          record.aborted++;
          return "stopped";
        },
      }),
      // Listed here; its calls are answered with a JSON-RPC error by the server below.
      defineTool({ name: "refuse", handler: () => "unreachable" }),
    ],
    prompts: [
      definePrompt({
        name: "greeting",
        handler: async (_args, ctx) => {
          const answer = await ctx.elicit({ message: "Whom?", requestedSchema: schema("who") });
          return `Hello, ${String(answer.content?.who)}`;
        },
      }),
    ],
    resources: [defineResource({ uri: "memo://note", name: "note", read: () => "remember" })],
    auth: {
      authenticate: (request) => {
        record.authorizations.push(request.headers.get("authorization") ?? "");
        return undefined;
      },
    },
    observe: { onError: () => {} },
  });
  const running = await serveHandler(async (request) => {
    if (request.method === "POST" && !request.headers.has("mcp-protocol-version")) {
      record.initializes++;
    } else if (request.method === "POST") {
      record.versions.push(request.headers.get("mcp-protocol-version") ?? "");
      record.methods.push(request.headers.get("mcp-method") ?? "");
      if (request.headers.get("mcp-name") === "refuse") {
        const { id } = await request.json() as { id: string | number };
        const error = { code: ErrorCode.InvalidParams, message: "No such widget: sprocket" };
        return Response.json({ jsonrpc: "2.0", id, error });
      }
    }
    return await handler(request);
  }, 0);
  return {
    ...running,
    handler,
    record,
    async close() {
      await running.close();
      await handler.close();
    },
  };
}
