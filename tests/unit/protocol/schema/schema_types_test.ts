/**
 * Type inference from Standard Schemas (zod, Valibot, ArkType): handler
 * arguments, structuredContent and elicitation answers are typed from the
 * schemas. The `@ts-expect-error` lines are the test: `deno check` (and
 * `deno test`, which type-checks) fails when one of them stops being an
 * error, that is when inference breaks. At run time the definitions are
 * only built, and their listed schemas looked at.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as z from "zod";
import * as v from "valibot";
import { toStandardJsonSchema } from "@valibot/to-json-schema";
import { type } from "arktype";
import { definePrompt, defineTool, type HandlerContext } from "../../../../mod.ts";
import { defineAppTool } from "../../../../src/extensions/apps/mod.ts";
import { makeHandler } from "../../../helpers.ts";

const zodTool = defineTool({
  name: "zod_typed",
  input: z.object({ city: z.string(), days: z.number() }),
  output: z.object({ forecast: z.array(z.string()) }),
  handler: ({ city, days }) => {
    // @ts-expect-error days is a number, not a string
    const wrong: string = days;
    void wrong;
    if (days < 0) return { content: [{ type: "text", text: "bad days" }], isError: true };
    return { content: [], structuredContent: { forecast: [city] } };
  },
});

const valibotTool = defineTool({
  name: "valibot_typed",
  input: toStandardJsonSchema(v.object({ count: v.number() })),
  output: toStandardJsonSchema(v.object({ total: v.number() })),
  handler: ({ count }) => {
    // @ts-expect-error count is a number
    count.toUpperCase();
    return { content: [], structuredContent: { total: count } };
  },
});

const arktypeTool = defineTool({
  name: "arktype_typed",
  input: type({ flag: "boolean" }),
  output: type({ ok: "boolean" }),
  handler: ({ flag }) => {
    // @ts-expect-error flag is a boolean
    const n: number = flag;
    void n;
    return { content: [], structuredContent: { ok: flag } };
  },
});

const appTool = defineAppTool({
  name: "app_typed",
  input: z.object({ id: z.string() }),
  output: z.object({ id: z.string() }),
  ui: { resourceUri: "ui://typed/view.html" },
  handler: ({ id }) => ({ content: [], structuredContent: { id } }),
});

/** Mismatched returns: each must be a type error on its handler's line. Never served. */
export const mismatched = [
  defineTool({
    name: "zod_wrong_shape",
    output: z.object({ forecast: z.array(z.string()) }),
    // @ts-expect-error structuredContent must match the output schema
    handler: () => ({ content: [], structuredContent: { forecast: "sunny" } }),
  }),
  defineTool({
    name: "zod_missing",
    output: z.object({ forecast: z.array(z.string()) }),
    // @ts-expect-error an output schema needs structuredContent (or isError)
    handler: () => ({ content: [{ type: "text" as const, text: "sunny" }] }),
  }),
  defineTool({
    name: "valibot_wrong",
    output: toStandardJsonSchema(v.object({ total: v.number() })),
    // @ts-expect-error total must be a number
    handler: () => ({ content: [], structuredContent: { total: "many" } }),
  }),
  defineTool({
    name: "arktype_wrong",
    output: type({ ok: "boolean" }),
    // @ts-expect-error ok must be a boolean
    handler: () => Promise.resolve({ content: [], structuredContent: { ok: 1 } }),
  }),
  defineAppTool({
    name: "app_wrong",
    output: z.object({ id: z.string() }),
    ui: { resourceUri: "ui://typed/view.html" },
    // @ts-expect-error the app tool's output is typed too
    handler: () => ({ content: [], structuredContent: { id: 1 } }),
  }),
];

const rawTool = defineTool({
  name: "raw_untyped",
  input: { type: "object", properties: { n: { type: "number" } } },
  output: { type: "object" },
  // A raw output schema is checked at run time: any ToolReturn type-checks.
  handler: (input) => String(input.n),
});

const prompt = definePrompt({
  name: "typed_prompt",
  arguments: z.object({ topic: z.string() }),
  handler: ({ topic }) => {
    // @ts-expect-error topic is a string
    const n: number = topic;
    void n;
    return `Write about ${topic}`;
  },
});

/** Never called: it only has to type-check. */
async function elicitTyped(ctx: HandlerContext): Promise<string> {
  const answer = await ctx.elicit({
    message: "How many?",
    requestedSchema: z.object({ seats: z.number(), note: z.string().optional() }),
  });
  const seats: number | undefined = answer.content?.seats;
  // @ts-expect-error seats is a number
  const wrong: string | undefined = answer.content?.seats;
  void wrong;
  const raw = await ctx.elicit({ message: "Raw?", requestedSchema: { type: "object" } });
  const anything: unknown = raw.content?.whatever;
  return `${seats} ${String(anything)}`;
}

describe("Standard Schema types", () => {
  it("the typed definitions build a server and list their converted schemas", async () => {
    assert.equal(typeof elicitTyped, "function");
    const handler = makeHandler({
      tools: [zodTool, valibotTool, arktypeTool, appTool, rawTool],
      prompts: [prompt],
    });
    try {
      const names = handler.tools.list().map((tool) => tool.name);
      assert.deepEqual(names, [
        "zod_typed",
        "valibot_typed",
        "arktype_typed",
        "app_typed",
        "raw_untyped",
      ]);
    } finally {
      await handler.close();
    }
  });
});
