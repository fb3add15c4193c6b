/**
 * The same server written with zod v4, Valibot and ArkType
 * (tests/e2e/edge/three_schemas.ts), in both eras through @tether/mcp/testing:
 * on the runtime running this file (Node, Deno or Bun) the three list equal
 * JSON Schemas and answer the same calls alike, and a wrong argument is an
 * `isError` result of the same shape carrying each library's own message;
 * on workerd (tests/e2e/edge/three_schemas_worker.ts, bundled and served by
 * scripts/workerd_fixture.sh) each answers exactly as it does here, so no
 * library needs what a Worker forbids (code generation: ArkType falls back
 * to its interpreted mode there by itself).
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../../../src/testing/mod.ts";
import type { FetchHandler } from "../../../src/testing/exchange.ts";
import { createThreeSchemasServer, LIBRARIES, type Library } from "./three_schemas.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

const ERAS = ["2025", "2026"] as const;
type Era = typeof ERAS[number];

/** Calls every library answers alike, result for result. */
const GOOD_CALLS: [string, Record<string, unknown>][] = [
  ["add", { a: 2, b: 3 }],
  ["add", { a: 1, b: 2, c: 3 }], // an unknown key is ignored by all three
  ["greet", { name: "Ada" }],
  ["greet", { name: "Ada", loud: true }],
];

/** Wrong arguments, with the paths each library's message must name. */
const BAD_CALLS: [string, Record<string, unknown>, string[]][] = [
  ["add", { a: -5, b: 3 }, ["a"]],
  ["add", { a: 1.5, b: "x" }, ["a", "b"]],
  ["add", { b: 1 }, ["a"]],
  ["greet", { name: "" }, ["name"]],
  ["greet", { name: "Ada", loud: "yes" }, ["loud"]],
];

/** What a client sees of one server. */
interface Observation {
  tools: Record<string, unknown>[];
  good: unknown[];
  bad: { isError: unknown; text: string }[];
}

/** Lists the tools and makes every call, in `era`, through `handler` at `url`. */
async function observe(handler: FetchHandler, era: Era, url?: string): Promise<Observation> {
  const client = await connect(handler, { era, url });
  try {
    const { tools } = await client.listTools();
    const good = [];
    for (const [name, args] of GOOD_CALLS) good.push((await client.callTool(name, args)).result);
    const bad = [];
    for (const [name, args] of BAD_CALLS) {
      const { result } = await client.callTool(name, args);
      const content = result.content as { type: string; text: string }[];
      assert.equal(content.length, 1);
      bad.push({ isError: result.isError, text: content[0].text });
    }
    return { tools, good, bad };
  } finally {
    await client.close();
  }
}

/** The same for each library's server created here, in `era`. */
async function observeHere(era: Era): Promise<Record<Library, Observation>> {
  const seen = {} as Record<Library, Observation>;
  for (const library of LIBRARIES) {
    const server = createThreeSchemasServer(library);
    try {
      seen[library] = await observe(server, era);
    } finally {
      await server.close();
    }
  }
  return seen;
}

/** The same answers, wrong arguments included, each in its library's words. */
function assertAlike(seen: Record<Library, Observation>): void {
  const [first, ...others] = LIBRARIES;
  for (const library of others) {
    assert.deepEqual(seen[library].tools, seen[first].tools, `${library}'s tools/list`);
    assert.deepEqual(seen[library].good, seen[first].good, `${library}'s answers`);
  }
  const sums = seen[first].good.map((result) =>
    (result as Record<string, unknown>).structuredContent
  );
  assert.deepEqual(sums, [{ sum: 5 }, { sum: 3 }, undefined, undefined]);
  const texts = seen[first].good.slice(2).map((result) =>
    (result as { content: { text: string }[] }).content[0].text
  );
  assert.deepEqual(texts, ["Hello, Ada!", "HELLO, ADA!"]);
  BAD_CALLS.forEach(([name, args, paths], index) => {
    const messages = LIBRARIES.map((library) => {
      const { isError, text } = seen[library].bad[index];
      assert.equal(isError, true, `${library}: ${name} ${JSON.stringify(args)}`);
      assert.match(text, new RegExp(`^Invalid arguments for tool ${name}: ✖ `), library);
      for (const path of paths) assert.match(text, new RegExp(`→ at ${path}\\b`), library);
      return text;
    });
    assert.equal(new Set(messages).size, 3, `each library's own words:\n${messages.join("\n")}`);
  });
}

describe("the same server with zod, Valibot and ArkType, on this runtime", () => {
  for (const era of ERAS) {
    it(`lists equal JSON Schemas and answers alike (${era})`, async () => {
      const seen = await observeHere(era);
      assertAlike(seen);
      const add = seen.zod.tools.find((tool) => tool.name === "add")!;
      assert.deepEqual(add.inputSchema, {
        type: "object",
        properties: {
          a: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
          b: { type: "number" },
        },
        required: ["a", "b"],
      });
    });
  }
});

describe("the same server with zod, Valibot and ArkType, on workerd", { skip: workerdSkip }, () => {
  let fixture: WorkerdFixture;
  before(async () => {
    fixture = await startWorkerdFixture("isolate", {
      WORKER_ENTRY: "tests/e2e/edge/three_schemas_worker.ts",
    });
  });
  after(() => fixture?.stop());

  for (const era of ERAS) {
    it(`each library answers on workerd as it does here (${era})`, async () => {
      const base = fixture.url.replace(/\/mcp$/, "");
      const seen = {} as Record<Library, Observation>;
      for (const library of LIBRARIES) {
        seen[library] = await observe((request) => fetch(request), era, `${base}/${library}/mcp`);
      }
      assertAlike(seen);
      assert.deepEqual(seen, await observeHere(era));
      assert.doesNotMatch(fixture.output(), /Disallowed operation|Code generation/);
    });
  }
});
