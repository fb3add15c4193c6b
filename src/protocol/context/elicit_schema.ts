/**
 * `ctx.elicit` with a Standard Schema as `requestedSchema`: the schema is
 * sent as the JSON Schema its library converts it to (once per schema
 * object), and an accepted answer is validated by it, so the handler gets
 * typed content or a rejection. A raw JSON Schema passes through unchecked.
 * @module
 */

import type { ElicitParams, ElicitResult } from "./elicitation.ts";
import { type CompiledSchema, compileSchema } from "../schema/schema.ts";
import { isStandardSchema, type StandardSchemaV1 } from "../schema/standard_schema.ts";

const compiled = new WeakMap<StandardSchemaV1, CompiledSchema>();

function refuseRaw(): never {
  throw new TypeError("unreachable: a raw requestedSchema is sent as given");
}

/**
 * Sends an elicitation through `send`, converting a Standard Schema
 * `requestedSchema` and validating the accepted content against it.
 */
export async function elicitWithSchema(
  params: ElicitParams,
  send: (params: Record<string, unknown>) => Promise<Record<string, unknown>>,
): Promise<ElicitResult> {
  const schema = params.requestedSchema;
  if (!isStandardSchema(schema)) return await send(params) as ElicitResult;
  let compiledSchema = compiled.get(schema);
  if (compiledSchema === undefined) {
    compiledSchema = compileSchema(schema, {
      io: "input",
      owner: "ctx.elicit requestedSchema",
      besideHint: "a JSON Schema requestedSchema",
      validator: refuseRaw,
    });
    compiled.set(schema, compiledSchema);
  }
  const result = await send({
    ...params,
    requestedSchema: compiledSchema.advertised,
  }) as ElicitResult;
  if (result.action !== "accept") return result;
  const checked = await compiledSchema.validate(result.content ?? {});
  if (!checked.ok) {
    throw new TypeError(`The elicitation answer does not match its schema: ${checked.message}`);
  }
  return { ...result, content: checked.value as Record<string, unknown> };
}
