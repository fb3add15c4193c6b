/**
 * Raw JSON Schemas refuse numbers JSON cannot carry: `1e400` parses to
 * Infinity, which would pass a `{"type": "number"}` check and reach the tool,
 * and a tool's NaN or Infinity would leave as `null` against its own output
 * schema. Both eras, input and output, typed and untyped places.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../../mod.ts";
import { initialize, makeHandler, postRequest, readAnswer, rpc } from "../../../helpers.ts";
import { modernRequest, modernRpc } from "../../../support/modern_helpers.ts";

const seen: unknown[] = [];

const tools = [
  defineTool({
    name: "measure",
    input: {
      type: "object",
      properties: { n: { type: "number" }, extra: {} },
    },
    output: { type: "object", properties: { n: { type: "number" }, notes: {} } },
    handler: (input) => {
      seen.push(input.n);
      const n = input.n as number;
      if (input.extra === "nan") return { content: [], structuredContent: { n: Number.NaN } };
      if (input.extra === "deep") {
        return { content: [], structuredContent: { n, notes: [{ at: -Infinity }] } };
      }
      return { content: [], structuredContent: { n } };
    },
  }),
];

/** A tools/call body whose `arguments` JSON is written by hand (JSON.stringify cannot write 1e400). */
function legacyCall(args: string): string {
  return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"measure","arguments":${args}}}`;
}

/** A 2026-07-28 tools/call whose `arguments` JSON is written by hand. */
async function modernCall(args: string): Promise<Request> {
  const template = modernRequest("tools/call", { name: "measure", arguments: "__ARGS__" });
  const body = (await template.text()).replace('"__ARGS__"', args);
  return new Request(template.url, { method: "POST", headers: template.headers, body });
}

describe("raw schemas: non-finite numbers", () => {
  it("an input number of 1e400 is refused before the tool runs, in both eras, typed or not", async () => {
    const handler = makeHandler({ tools });
    try {
      const session = await initialize(handler);
      const send = async (args: string) => {
        const legacy = await readAnswer(
          await handler(postRequest(legacyCall(args), {
            sessionId: session.id,
            protocolVersion: session.protocolVersion,
          })),
        );
        const modern = await readAnswer(await handler(await modernCall(args)));
        return [legacy.message.result, modern.message.result];
      };
      seen.length = 0;
      for (const args of ['{"n":1e400}', '{"n":-1e400}', '{"n":1,"extra":[{"deep":1e999}]}']) {
        for (const result of await send(args)) {
          assert.equal(result.isError, true, args);
          assert.match(result.content[0].text, /not a finite number/, args);
        }
      }
      assert.deepEqual(seen, [], "the tool never ran");
      // Positive control: a large finite number passes and comes back as itself.
      for (const result of await send('{"n":1e300}')) {
        assert.equal(result.isError, undefined);
        assert.deepEqual(result.structuredContent, { n: 1e300 });
      }
    } finally {
      await handler.close();
    }
  });

  it("a tool's NaN or -Infinity output is an isError result, not null in the answer", async () => {
    const handler = makeHandler({ tools });
    try {
      const session = await initialize(handler);
      for (const extra of ["nan", "deep"]) {
        const legacy = await rpc(handler, session, "tools/call", {
          name: "measure",
          arguments: { n: 2, extra },
        });
        const modern = await modernRpc(handler, "tools/call", {
          name: "measure",
          arguments: { n: 2, extra },
        });
        for (const result of [legacy.message.result, modern.message.result]) {
          assert.equal(result.isError, true, extra);
          assert.match(result.content[0].text, /fails its schema: .*not a finite number/, extra);
          assert.equal(result.structuredContent, undefined);
        }
      }
    } finally {
      await handler.close();
    }
  });
});
