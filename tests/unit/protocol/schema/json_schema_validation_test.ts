/**
 * Raw JSON Schemas are validated for real (draft 2020-12, @cfworker/json-schema
 * by default): `minimum`, `pattern`, `anyOf`, `$ref`, `format`, if/then/else on
 * input and on structuredContent; keywords the validator cannot honour are
 * refused at startup; a `jsonSchemaValidator` of one's own replaces it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AnyToolDefinition, defineTool, type JsonSchemaValidator } from "../../../../mod.ts";
import { initialize, makeHandler, rpc } from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";

const ran: unknown[] = [];

const order = defineTool({
  name: "order",
  input: {
    type: "object",
    $defs: { sku: { type: "string", pattern: "^[A-Z]{3}-\\d{3}$" } },
    properties: {
      sku: { $ref: "#/$defs/sku" },
      quantity: { type: "integer", minimum: 1 },
      ship: { anyOf: [{ const: "pickup" }, { type: "string", format: "email" }] },
    },
    required: ["sku", "quantity"],
  },
  output: { type: "object", properties: { total: { type: "number", minimum: 0 } } },
  handler: (input) => {
    ran.push(input);
    const quantity = input.quantity as number;
    return { content: [], structuredContent: { total: quantity === 13 ? -1 : quantity * 2 } };
  },
});

function handlerWith(
  tools: AnyToolDefinition[] = [order],
  jsonSchemaValidator?: JsonSchemaValidator,
) {
  return makeHandler(
    jsonSchemaValidator === undefined ? { tools } : { tools, jsonSchemaValidator },
  );
}

describe("raw JSON Schema: real validation", () => {
  it("refuses input that breaks minimum, pattern, anyOf or a $ref'd schema, in both eras", async () => {
    const handler = handlerWith();
    try {
      const session = await initialize(handler);
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ sku: "ABC-123", quantity: -5 }, /quantity/],
        [{ sku: "ABC-123", quantity: 1.5 }, /quantity/],
        [{ sku: "abc", quantity: 1 }, /sku/],
        [{ sku: "ABC-123", quantity: 1, ship: "by boat" }, /ship/],
        [{ sku: "ABC-123", quantity: 1, ship: "not-an-email" }, /ship/],
        [{ quantity: 1 }, /sku/],
      ];
      ran.length = 0;
      for (const [args, where] of bad) {
        for (
          const answer of [
            await rpc(handler, session, "tools/call", { name: "order", arguments: args }),
            await modernRpc(handler, "tools/call", { name: "order", arguments: args }),
          ]
        ) {
          const result = answer.message.result;
          assert.equal(result.isError, true, JSON.stringify(args));
          assert.match(result.content[0].text, /^Invalid arguments for tool order: /);
          assert.match(result.content[0].text, where, JSON.stringify(args));
        }
      }
      assert.deepEqual(ran, [], "the tool never ran");
      // Positive control: each branch of anyOf, the $ref'd pattern and the minimum pass.
      for (const ship of [undefined, "pickup", "ada@example.com"]) {
        const args = { sku: "ABC-123", quantity: 1, ...(ship === undefined ? {} : { ship }) };
        const answer = await rpc(handler, session, "tools/call", {
          name: "order",
          arguments: args,
        });
        assert.equal(answer.message.result.isError, undefined, JSON.stringify(answer.message));
        assert.deepEqual(answer.message.result.structuredContent, { total: 2 });
      }
    } finally {
      await handler.close();
    }
  });

  it("names a client's property in an error by a bounded prefix only (a 100 KB key)", async () => {
    const tool = defineTool({
      name: "map",
      input: { type: "object", additionalProperties: { type: "string" }, propertyNames: {} },
      handler: () => "ran",
    });
    const handler = handlerWith([tool]);
    try {
      const key = "k".repeat(100_000);
      const answer = await modernRpc(handler, "tools/call", {
        name: "map",
        arguments: { [key]: 1 },
      });
      const text: string = answer.message.result.content[0].text;
      assert.equal(answer.message.result.isError, true);
      assert.match(text, /^Invalid arguments for tool map: k+: Instance type "number" is invalid/);
      assert.ok(text.length < 1_000, `message of ${text.length} chars`);
      const good = await modernRpc(handler, "tools/call", { name: "map", arguments: { a: "b" } });
      assert.equal(good.message.result.content[0].text, "ran", "positive control");
    } finally {
      await handler.close();
    }
  });

  it("checks structuredContent against a raw output schema (minimum)", async () => {
    const handler = handlerWith();
    try {
      const answer = await modernRpc(handler, "tools/call", {
        name: "order",
        arguments: { sku: "ABC-123", quantity: 13 },
      });
      assert.equal(answer.message.result.isError, true);
      assert.match(
        answer.message.result.content[0].text,
        /Tool order returned structuredContent that fails its schema: total: /,
      );
    } finally {
      await handler.close();
    }
  });

  it("keeps the listed schema verbatim (no validator bookkeeping leaks into tools/list)", async () => {
    const handler = handlerWith();
    try {
      const answer = await modernRpc(handler, "tools/list", {});
      assert.deepEqual(answer.message.result.tools[0].inputSchema, order.input);
    } finally {
      await handler.close();
    }
  });

  it("refuses at startup the keywords the validator cannot honour, naming tool and keyword", () => {
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ $dynamicRef: "#node" }, /\$dynamicRef/],
      [{ $defs: { a: { $dynamicAnchor: "node" } } }, /\$dynamicAnchor/],
      [
        { properties: { host: { type: "string", format: "idn-hostname" } } },
        /format "idn-hostname"/,
      ],
      [
        { properties: { a: { $ref: "https://example.com/other.json" } } },
        /\$ref .* does not resolve/,
      ],
      [{ properties: { a: { $ref: "#/$defs/missing" } } }, /\$ref .* does not resolve/],
      [{ properties: { a: { type: "string", pattern: "([" } } }, /not a valid regular expression/],
    ];
    for (const [extra, message] of refused) {
      const tool = defineTool({
        name: "strict",
        input: { type: "object", ...extra },
        handler: () => "",
      });
      assert.throws(() => handlerWith([tool]), (error: Error) => {
        assert.match(error.message, /^Tool "strict": input schema refused: /);
        assert.match(error.message, message);
        return true;
      }, JSON.stringify(extra));
    }
    const output = defineTool({
      name: "strict_out",
      output: { type: "object", properties: { at: { type: "string", format: "iri" } } },
      handler: () => ({ content: [], structuredContent: {} }),
    });
    assert.throws(
      () => handlerWith([output]),
      /^TypeError: Tool "strict_out": output schema refused: .*"iri"/,
    );
    // A keyword with a property of the same name is no keyword: `format` as a property name is fine.
    const named = defineTool({
      name: "named",
      input: {
        type: "object",
        properties: { format: { type: "string" }, $ref: { type: "string" } },
      },
      handler: () => "",
    });
    handlerWith([named]).close();
  });

  it("uses the jsonSchemaValidator given, for input and output; a non-function is refused", async () => {
    const compiled: unknown[] = [];
    const onlyEven: JsonSchemaValidator = (schema) => {
      compiled.push(schema);
      return (value) => {
        const n = (value as { n?: unknown }).n;
        return typeof n === "number" && n % 2 === 0 ? undefined : "n: not even";
      };
    };
    const tool = defineTool({
      name: "even",
      input: { type: "object", properties: { n: { type: "number" } }, "x-anything": true },
      output: { type: "object" },
      handler: (input) => ({ content: [], structuredContent: { n: (input.n as number) + 1 } }),
    });
    const handler = handlerWith([tool], onlyEven);
    try {
      assert.equal(compiled.length, 2);
      const odd = await modernRpc(handler, "tools/call", { name: "even", arguments: { n: 3 } });
      assert.match(
        odd.message.result.content[0].text,
        /Invalid arguments for tool even: n: not even/,
      );
      const even = await modernRpc(handler, "tools/call", { name: "even", arguments: { n: 2 } });
      assert.match(even.message.result.content[0].text, /fails its schema: n: not even/);
    } finally {
      await handler.close();
    }
    assert.throws(
      () => makeHandler({ tools: [], jsonSchemaValidator: "ajv" as never }),
      /Option jsonSchemaValidator must be a function/,
    );
  });
});
