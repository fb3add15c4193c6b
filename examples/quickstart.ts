/**
 * The smallest useful tether server: one tool, one resource, one prompt.
 * Runs on Deno, Bun and Node:
 *   npm start                       (Node 24 from node_modules, stripping types natively)
 *   node examples/quickstart.ts     (any Node >= 22.18)
 *   deno run -A examples/quickstart.ts
 *   bun examples/quickstart.ts
 * Then point an MCP client at http://127.0.0.1:8787/mcp
 */

import * as z from "zod";
import { createMcpHandler, definePrompt, defineResource, defineTool } from "../mod.ts";
import { serveHandler } from "./serve.ts";

const handler = createMcpHandler({
  name: "quickstart",
  version: "1.0.0",
  instructions: "A tiny demo server: try the add tool.",
  tools: [
    defineTool({
      name: "add",
      description: "Adds two numbers",
      input: z.object({ a: z.number(), b: z.number() }),
      output: z.object({ sum: z.number() }),
      handler: ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
    }),
  ],
  resources: [
    defineResource({
      uri: "demo://hello",
      name: "hello",
      mimeType: "text/plain",
      read: () => "Hello from tether!",
    }),
  ],
  prompts: [
    definePrompt({
      name: "explain",
      description: "Asks the model to explain a topic",
      arguments: z.object({ topic: z.string().describe("What to explain") }),
      handler: ({ topic }) => `Explain ${topic} in two sentences.`,
    }),
  ],
});

const port = Number(
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.PORT ??
    8787,
);
const server = await serveHandler(handler, port);
console.log(`tether quickstart listening on ${server.url}/mcp`);
