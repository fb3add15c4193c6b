/**
 * Child process of no_zod_test.ts (Node 24): records every module URL Node
 * resolves, then builds a server with one tool (a raw JSON Schema one, or
 * with argument `zod` a zod one, the positive control), serves a call to
 * it, and prints `{ text, zodModules }` as one JSON line. Not a test itself.
 */

import * as nodeModule from "node:module";
import process from "node:process";

/** Node 22.15+/24's synchronous module hooks (missing from the @types/node this repository pins). */
type Resolve = (specifier: string, context: unknown) => { url: string };
const { registerHooks } = nodeModule as unknown as {
  registerHooks(hooks: {
    resolve(specifier: string, context: unknown, nextResolve: Resolve): { url: string };
  }): void;
};

const resolved: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    resolved.push(result.url);
    return result;
  },
});

const { createMcpHandler, defineTool } = await import("../../../mod.ts");
const { modernRpc } = await import("../../support/modern_helpers.ts");

const useZod = process.argv[2] === "zod";
const input = useZod
  ? (await import("zod")).object({ n: (await import("zod")).number().int().min(1) })
  : { type: "object", properties: { n: { type: "integer", minimum: 1 } }, required: ["n"] };
const handler = createMcpHandler({
  name: "no-zod",
  version: "1.0.0",
  tools: [defineTool({ name: "double", input, handler: (args) => String(Number(args.n) * 2) })],
});
const good = await modernRpc(handler, "tools/call", { name: "double", arguments: { n: 21 } });
const bad = await modernRpc(handler, "tools/call", { name: "double", arguments: { n: -5 } });
await handler.close();
console.log(JSON.stringify({
  text: good.message.result.content[0].text,
  refused: bad.message.result.isError === true,
  zodModules: resolved.filter((url) => /\/node_modules\/zod\//.test(url)).length,
}));
