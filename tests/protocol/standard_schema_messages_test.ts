/**
 * A Standard Schema's refusal is answered in the library's own words, but
 * bounded: at most ten issues, and each message and path by echoInput's
 * prefix, so a client cannot make a tool error repeat megabytes of its own
 * input (thousands of wrong items, a 100 KB key, a library quoting the value).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as z from "zod";
import * as v from "valibot";
import { toStandardJsonSchema } from "@valibot/to-json-schema";
import { defineTool } from "../../mod.ts";
import { makeHandler } from "../helpers.ts";
import { modernRpc } from "../modern/helpers.ts";

const tools = [
  defineTool({
    name: "numbers",
    input: z.object({ items: z.array(z.number()), tags: z.record(z.string(), z.number()) }),
    handler: () => "ran",
  }),
  defineTool({
    name: "word",
    input: toStandardJsonSchema(v.object({ word: v.pipe(v.string(), v.maxLength(3)) })),
    handler: () => "ran",
  }),
];

async function refusal(name: string, args: Record<string, unknown>): Promise<string> {
  const handler = makeHandler({ tools });
  try {
    const answer = await modernRpc(handler, "tools/call", { name, arguments: args });
    assert.equal(answer.message.result.isError, true);
    return answer.message.result.content[0].text;
  } finally {
    await handler.close();
  }
}

describe("Standard Schema refusals are bounded", () => {
  it("10,000 wrong items list ten issues and a count", async () => {
    const text = await refusal("numbers", { items: Array(10_000).fill("x"), tags: {} });
    assert.match(text, /^Invalid arguments for tool numbers: ✖ /);
    assert.match(text, /✖ and 9990 more$/);
    assert.ok(text.length < 2_000, `message of ${text.length} chars`);
  });

  it("a 100 KB key, and a value the library quotes, are repeated by a prefix only", async () => {
    const key = await refusal("numbers", { items: [], tags: { ["k".repeat(100_000)]: "x" } });
    assert.match(key, /→ at tags\.k+/);
    assert.ok(key.length < 2_000, `message of ${key.length} chars`);
    const quoted = await refusal("word", { word: "w".repeat(100_000) });
    assert.ok(quoted.length < 2_000, `message of ${quoted.length} chars`);
  });
});
