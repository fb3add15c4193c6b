/**
 * The "Schemas: zod, Valibot, ArkType or raw JSON Schema" example of
 * docs/schemas.md (once the README's),
 * run as written: its `ts` block is written to a temporary module inside the
 * checkout (so `valibot` and `arktype` resolve; its `@tether/mcp` import
 * pointed at this checkout's mod.ts), imported, and called in process: the
 * Valibot input and the raw schema's `$ref`'d pattern and `minimum` refuse
 * bad input, good input runs, and the Valibot schema is listed as JSON Schema.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import type { McpHandler } from "../../../mod.ts";
import { modernRpc } from "../../support/modern_helpers.ts";
import { ROOT, sectionOf, tsBlocks } from "./docs_text.ts";

const MOD = pathToFileURL(join(ROOT, "mod.ts")).href;
const TITLE = "Schemas: zod, Valibot, ArkType or raw JSON Schema";
const WORK = mkdtempSync(join(ROOT, "tests", "e2e", "examples", ".readme-schemas-"));
after(() => rmSync(WORK, { recursive: true, force: true }));

/** The one `ts` block of the subsection, up to the next heading. */
function example(): string {
  const blocks = tsBlocks(sectionOf("docs/schemas.md", `## ${TITLE}`));
  assert.equal(blocks.length, 1);
  return blocks[0].replaceAll('from "@tether/mcp"', `from ${JSON.stringify(MOD)}`);
}

async function call(handler: McpHandler, name: string, args: Record<string, unknown>) {
  return (await modernRpc(handler, "tools/call", { name, arguments: args })).message.result;
}

describe("docs/schemas.md: Schemas", () => {
  it("the Valibot, ArkType and raw schemas validate and list as the text says", async () => {
    const file = join(WORK, "schemas.ts");
    writeFileSync(file, example());
    const { handler } = await import(pathToFileURL(file).href) as { handler: McpHandler };
    try {
      const listed = (await modernRpc(handler, "tools/list")).message.result.tools;
      assert.equal(listed[0].inputSchema.properties.seats.minimum, 1);
      assert.equal(listed[0].outputSchema.properties.reserved.type, "number");
      const reserved = await call(handler, "reserve", { sku: "a", seats: 2 });
      assert.deepEqual(reserved.structuredContent, { reserved: 2 });
      assert.equal((await call(handler, "reserve", { sku: "a", seats: 0 })).isError, true);
      const shipped = await call(handler, "ship", { zip: "75001", boxes: 2 });
      assert.deepEqual(shipped.content, [{ type: "text", text: "Shipping 2 boxes to 75001" }]);
      for (const bad of [{ zip: "750", boxes: 2 }, { zip: "75001", boxes: 0 }]) {
        assert.equal((await call(handler, "ship", bad)).isError, true, JSON.stringify(bad));
      }
    } finally {
      await handler.close();
    }
  });
});
