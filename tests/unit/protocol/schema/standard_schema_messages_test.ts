/**
 * A Standard Schema's refusal is answered in the library's own words, but
 * bounded: at most ten issues, and each message and path by echoInput's
 * prefix, so a client cannot make a tool error repeat megabytes of its own
 * input (thousands of wrong items, a 100 KB key, a library quoting the value).
 * And numbers JSON cannot carry are refused whatever the library thinks.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as z from "zod";
import * as v from "valibot";
import { toStandardJsonSchema } from "@valibot/to-json-schema";
import { defineTool } from "../../../../mod.ts";
import { makeHandler } from "../../../helpers.ts";
import { modernRequest, modernRpc } from "../../../support/modern_helpers.ts";
import { readAnswer } from "../../../helpers.ts";

const tools = [
  defineTool({
    name: "numbers",
    input: z.object({ items: z.array(z.number()), tags: z.record(z.string(), z.number()) }),
    handler: () => "ran",
  }),
  defineTool({
    name: "measure",
    input: toStandardJsonSchema(v.object({ n: v.number() })),
    handler: ({ n }) => String(n),
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

describe("Standard Schema refusals", () => {
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

  it("a number JSON cannot carry (1e400) is refused even where the library would take Infinity", async () => {
    const handler = makeHandler({ tools });
    try {
      const send = async (args: string) => {
        const template = modernRequest("tools/call", { name: "measure", arguments: "__ARGS__" });
        const body = (await template.text()).replace('"__ARGS__"', args);
        const request = new Request(template.url, {
          method: "POST",
          headers: template.headers,
          body,
        });
        return (await readAnswer(await handler(request))).message.result;
      };
      const infinite = await send('{"n":1e400}');
      assert.equal(infinite.isError, true);
      assert.match(infinite.content[0].text, /not a finite number/);
      assert.deepEqual((await send('{"n":1e300}')).content, [{ type: "text", text: "1e+300" }]);
    } finally {
      await handler.close();
    }
  });
});
