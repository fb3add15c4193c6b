/**
 * The shapes of an elicitation as a handler sees it: what `ctx.elicit`
 * takes (form mode with a JSON Schema or a Standard Schema, or URL mode)
 * and what the client answers. Types only: sending and validating is
 * handler_context.ts and elicit_schema.ts, the URL-mode error
 * url_elicitation.ts.
 * @module
 */

import type { StandardOutput, StandardSchemaV1 } from "../schema/standard_schema.ts";

/**
 * Parameters of an `elicitation/create` request: form mode (`requestedSchema`)
 * or URL mode (`mode: "url"`, `url`, and on 2025-11-25 `elicitationId`).
 *
 * @example
 * ```ts
 * import type { ElicitParams } from "@tether/mcp/types";
 * const ask: ElicitParams = {
 *   message: "Which region?",
 *   requestedSchema: { type: "object", properties: { region: { type: "string" } }, required: ["region"] },
 * };
 * ```
 */
export interface ElicitParams<S extends ElicitSchema = Record<string, unknown>> {
  /** The question shown to the user. */
  message: string;
  /**
   * Form mode: a flat JSON Schema object describing the requested fields, or
   * a Standard Schema of that object (zod, Valibot, ArkType, ...).
   */
  requestedSchema?: S;
  /** Other request fields (mode, url, ...). */
  [key: string]: unknown;
}

/**
 * What `ctx.elicit` takes as `requestedSchema`: raw JSON Schema or a Standard Schema.
 *
 * @example
 * ```ts
 * import type { ElicitSchema } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schemas: ElicitSchema[] = [{ type: "object", properties: {} }, z.object({ ok: z.boolean() })];
 * ```
 */
export type ElicitSchema = Record<string, unknown> | StandardSchemaV1;

/**
 * The content type of an accepted answer to `requestedSchema` `S`.
 *
 * @example
 * ```ts
 * import type { ElicitContent } from "@tether/mcp/types";
 * import * as z from "zod";
 * const schema = z.object({ region: z.string() });
 * const content: ElicitContent<typeof schema> = { region: "eu" };
 * ```
 */
export type ElicitContent<S> = S extends StandardSchemaV1 ? StandardOutput<S>
  : Record<string, unknown>;

/**
 * The client's answer to an elicitation.
 *
 * @example
 * ```ts
 * import type { ElicitResult } from "@tether/mcp/types";
 * const answer = (result: ElicitResult): string => result.action === "accept" ? String(result.content?.region) : "none";
 * ```
 */
export interface ElicitResult<T = Record<string, unknown>> {
  /** What the user did. */
  action: "accept" | "decline" | "cancel";
  /** The submitted fields, when accepted. */
  content?: T;
  /** Other result fields. */
  [key: string]: unknown;
}
