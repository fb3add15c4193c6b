/**
 * Standard Schema everywhere a schema goes, through the official SDK client:
 * zod v4, Valibot 1.5 and ArkType 2.2 tools (listed from their own JSON
 * Schema converters, input and structuredContent validated by their own
 * library), a Valibot prompt, a typed `ctx.elicit`, and the startup refusal
 * of a schema that cannot describe itself as JSON Schema.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as z from "zod";
import * as v from "valibot";
import { toStandardJsonSchema } from "@valibot/to-json-schema";
import { type } from "arktype";
import { definePrompt, defineTool } from "../../../mod.ts";
import type { StandardSchemaV1 } from "../../../src/types/mod.ts";
import { makeHandler } from "../../helpers.ts";
import { ElicitRequestSchema, withServer } from "./helpers.ts";

const zodTool = defineTool({
  name: "zod_add",
  input: z.object({ a: z.number().int().min(1), b: z.number() }),
  output: z.object({ sum: z.number() }),
  handler: ({ a, b }) => ({
    content: [],
    structuredContent: { sum: b === 99 ? Number.NaN : a + b },
  }),
});

const valibotTool = defineTool({
  name: "valibot_add",
  input: toStandardJsonSchema(
    v.object({ a: v.pipe(v.number(), v.integer(), v.minValue(1)), b: v.number() }),
  ),
  output: toStandardJsonSchema(v.object({ sum: v.pipe(v.number(), v.maxValue(100)) })),
  handler: ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
});

const arktypeTool = defineTool({
  name: "arktype_add",
  input: type({ a: "number.integer >= 1", b: "number" }),
  output: type({ sum: "number <= 100" }),
  handler: ({ a, b }) => ({ content: [], structuredContent: { sum: a + b } }),
});

/** A plain Valibot schema has no converter: its JSON Schema is given beside it. */
const besideTool = defineTool({
  name: "valibot_beside",
  input: v.object({ word: v.pipe(v.string(), v.minLength(3)) }),
  inputJsonSchema: {
    type: "object",
    properties: { word: { type: "string", minLength: 3 } },
    required: ["word"],
  },
  handler: ({ word }) => word.toUpperCase(),
});

/** A schema whose validation is asynchronous (Standard Schema allows it). */
const asyncEven: StandardSchemaV1<{ n: number }> = {
  "~standard": {
    version: 1,
    vendor: "test-async",
    validate: (value) =>
      Promise.resolve(
        typeof value === "object" && value !== null && (value as { n?: unknown }).n === 2
          ? { value: value as { n: number } }
          : { issues: [{ message: "must be 2", path: ["n"] }] },
      ),
  },
};
const asyncTool = defineTool({
  name: "async_even",
  input: asyncEven,
  inputJsonSchema: { type: "object", properties: { n: { type: "number" } } },
  handler: ({ n }) => `n=${n}`,
});

const valibotPrompt = definePrompt({
  name: "review",
  arguments: toStandardJsonSchema(v.object({ code: v.pipe(v.string(), v.minLength(1)) })),
  handler: ({ code }) => `Review ${code}`,
});

type ToolText = { content: { type: string; text: string }[]; isError?: boolean };

describe("Standard Schema tools (zod, Valibot, ArkType) through the SDK client", () => {
  it("lists each library's JSON Schema, runs good input and refuses bad input and output", async () => {
    await withServer(
      {
        tools: [zodTool, valibotTool, arktypeTool, besideTool, asyncTool],
        prompts: [valibotPrompt],
      },
      async (server) => {
        const { client } = await server.connect();
        const { tools } = await client.listTools();
        const byName = new Map(tools.map((tool) => [tool.name, tool]));
        for (const name of ["zod_add", "valibot_add", "arktype_add"]) {
          const schema = byName.get(name)!.inputSchema as Record<string, unknown>;
          assert.equal(schema.type, "object", name);
          assert.equal(schema.$schema, undefined, name);
          const a = (schema.properties as Record<string, Record<string, unknown>>).a;
          assert.equal(a.type, "integer", name);
          assert.equal(a.minimum, 1, name);
          assert.deepEqual(schema.required, ["a", "b"], name);
          assert.ok(byName.get(name)!.outputSchema, name);
        }
        assert.deepEqual(byName.get("valibot_beside")!.inputSchema, besideTool.inputJsonSchema);

        for (const name of ["zod_add", "valibot_add", "arktype_add"]) {
          const good = await client.callTool({ name, arguments: { a: 2, b: 3 } });
          assert.equal(good.isError, undefined, `${name}: ${JSON.stringify(good)}`);
          assert.deepEqual(good.structuredContent, { sum: 5 }, name);
          const bad = await client.callTool({ name, arguments: { a: -5, b: 3 } }) as ToolText;
          assert.equal(bad.isError, true, name);
          assert.match(bad.content[0].text, new RegExp(`^Invalid arguments for tool ${name}: `));
          assert.match(bad.content[0].text, /→ at a/, name);
        }
        // Output checked by the output schema: valibot and arktype cap the sum at 100, zod refuses NaN.
        for (const [name, b] of [["valibot_add", 200], ["arktype_add", 200], ["zod_add", 99]]) {
          const bad = await client.callTool({ name: name as string, arguments: { a: 1, b } });
          assert.equal(bad.isError, true, name as string);
          assert.match(
            (bad as ToolText).content[0].text,
            /returned structuredContent that fails its schema/,
          );
        }

        const upper = await client.callTool({ name: "valibot_beside", arguments: { word: "abc" } });
        assert.deepEqual(upper.content, [{ type: "text", text: "ABC" }]);
        const short = await client.callTool({ name: "valibot_beside", arguments: { word: "ab" } });
        assert.equal(short.isError, true);

        const even = await client.callTool({ name: "async_even", arguments: { n: 2 } });
        assert.deepEqual(even.content, [{ type: "text", text: "n=2" }]);
        const odd = await client.callTool({ name: "async_even", arguments: { n: 3 } }) as ToolText;
        assert.equal(odd.isError, true);
        assert.match(odd.content[0].text, /must be 2/);

        const { prompts } = await client.listPrompts();
        assert.deepEqual(prompts[0].arguments, [{ name: "code", required: true }]);
        const prompt = await client.getPrompt({ name: "review", arguments: { code: "x" } });
        assert.deepEqual(prompt.messages[0].content, { type: "text", text: "Review x" });
        await assert.rejects(client.getPrompt({ name: "review", arguments: { code: "" } }));
      },
    );
  });

  it("ctx.elicit with a zod schema sends its JSON Schema and validates the answer", async () => {
    const answers = [{ region: "eu", seats: 2 }, { region: "eu", seats: -1 }];
    const seen: Record<string, unknown>[] = [];
    const book = defineTool({
      name: "book",
      handler: async (_input, ctx) => {
        const answer = await ctx.elicit({
          message: "Where?",
          requestedSchema: z.object({ region: z.string(), seats: z.number().int().positive() }),
        });
        // Typed: `seats` is a number here.
        const seats: number = answer.content?.seats ?? 0;
        return `${answer.content?.region} x${seats + 0}`;
      },
    });
    await withServer({ tools: [book] }, async (server) => {
      const { client } = await server.connect({
        capabilities: { elicitation: {} },
        setup: (client) => {
          client.setRequestHandler(ElicitRequestSchema, (request) => {
            const params = request.params as { requestedSchema?: Record<string, unknown> };
            seen.push(params.requestedSchema ?? {});
            return { action: "accept", content: answers[seen.length - 1] };
          });
        },
      });
      const good = await client.callTool({ name: "book", arguments: {} });
      assert.deepEqual(good.content, [{ type: "text", text: "eu x2" }]);
      assert.equal(seen[0].type, "object");
      assert.equal(seen[0].$schema, undefined);
      assert.deepEqual(Object.keys(seen[0].properties as object), ["region", "seats"]);
      const bad = await client.callTool({ name: "book", arguments: {} }) as ToolText;
      assert.equal(bad.isError, true);
      assert.match(bad.content[0].text, /elicitation answer does not match its schema/);
    });
  });

  it("a schema with no JSON Schema converter is refused at startup, naming the tool and what to pass", () => {
    const plain = v.object({ a: v.number() });
    assert.throws(
      () =>
        makeHandler({ tools: [defineTool({ name: "plain", input: plain, handler: () => "" })] }),
      /Tool "plain": input schema \("valibot"\) cannot describe itself as JSON Schema.*pass inputJsonSchema beside it.*toStandardJsonSchema/,
    );
    assert.throws(
      () =>
        makeHandler({
          tools: [
            defineTool({ name: "out", output: plain, handler: () => ({ content: [] }) as never }),
          ],
        }),
      /Tool "out": output schema \("valibot"\) .*pass outputJsonSchema beside it/,
    );
    assert.throws(
      () =>
        makeHandler({
          prompts: [definePrompt({ name: "p", arguments: plain, handler: () => "" })],
        }),
      /Prompt "p": arguments schema \("valibot"\) .*pass argumentsJsonSchema beside it/,
    );
  });
});
