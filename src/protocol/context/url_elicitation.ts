/**
 * URL-mode elicitation's "you must visit this first" answer: the typed error
 * a tool (or resource reader, or prompt) throws when it cannot go on until
 * the user has finished an out-of-band step (an OAuth consent, a payment, a
 * secret typed into the server's own page). The sessionful 2025-11-25
 * revision answers it with the `-32042` error carrying the URLs; the
 * 2026-07-28 revision, which has no such error, answers `input_required`
 * with one URL-mode `elicitation/create` per URL (the era's exchange does
 * that). It does not track whether the step was done: the tool checks its
 * own state when the client retries.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { ClientCapabilities } from "../types.ts";

/**
 * One out-of-band step the user must take.
 *
 * @example
 * ```ts
 * import type { UrlElicitation } from "@tether/mcp/types";
 * const connect: UrlElicitation = {
 *   elicitationId: "c0ffee",
 *   url: "https://mcp.example.com/connect?elicitation=c0ffee",
 *   message: "Connect your Example Co account.",
 * };
 * ```
 */
export interface UrlElicitation {
  /**
   * Names the step: sent as `elicitationId` (2025-11-25) and used as the
   * `inputRequests` key (2026-07-28), so it must stay the same when the
   * client retries. Not a secret.
   */
  elicitationId: string;
  /** Where the user goes: an `https:` URL (or `http:` in development). Never a pre-authenticated link. */
  url: string;
  /** Why the user should go there, shown before consent. */
  message: string;
}

function checkElicitation(elicitation: UrlElicitation, index: number): UrlElicitation {
  const where = `UrlElicitationRequiredError: elicitations[${index}]`;
  if (typeof elicitation !== "object" || elicitation === null) {
    throw new TypeError(`${where} must be an object`);
  }
  const { elicitationId, url, message } = elicitation;
  if (typeof elicitationId !== "string" || elicitationId === "") {
    throw new TypeError(`${where} needs a non-empty elicitationId`);
  }
  if (typeof message !== "string") throw new TypeError(`${where} needs a message`);
  let scheme: string | undefined;
  try {
    scheme = new URL(url).protocol;
  } catch {
    scheme = undefined;
  }
  if (scheme !== "https:" && scheme !== "http:") {
    throw new TypeError(`${where}: url must be an https: or http: URL`);
  }
  return { elicitationId, url, message };
}

/**
 * Thrown by a handler that cannot go on until the user has completed one or
 * more URL-mode elicitations. Not turned into an `isError` tool result: a
 * 2025-11-25 client gets the `-32042` error with `data.elicitations`; a
 * 2026-07-28 client gets `input_required` with a URL-mode
 * `elicitation/create` per step (keyed by `elicitationId`) and retries; a
 * 2026-07-28 client that did not declare `elicitation.url` gets `-32021`,
 * and one that declined or cancelled gets `-32003`.
 *
 * @example
 * ```ts
 * import { defineTool, UrlElicitationRequiredError } from "@tether/mcp";
 * const linked = new Set<string>();
 * export const files = defineTool({
 *   name: "list_files",
 *   handler: (_input, ctx) => {
 *     if (!linked.has(ctx.principal.id)) {
 *       throw new UrlElicitationRequiredError({
 *         elicitationId: `link-${ctx.principal.id}`,
 *         url: "https://mcp.example.com/link",
 *         message: "Link your Example Co account first.",
 *       });
 *     }
 *     return "report.pdf";
 *   },
 * });
 * ```
 */
export class UrlElicitationRequiredError extends McpError {
  /** The steps, as given. */
  readonly elicitations: readonly UrlElicitation[];

  /** Names the step(s) the user must take; throws a TypeError on a missing id, message or a non-web URL. */
  constructor(
    elicitations: UrlElicitation | readonly UrlElicitation[],
    message = "This request requires the user to complete a step in their browser.",
  ) {
    const list = (Array.isArray(elicitations) ? elicitations : [elicitations]) as UrlElicitation[];
    if (list.length === 0) {
      throw new TypeError("UrlElicitationRequiredError needs at least one elicitation");
    }
    const checked = list.map(checkElicitation);
    super(ErrorCode.UrlElicitationRequired, message, {
      elicitations: checked.map((e) => ({ mode: "url", ...e })),
    });
    this.name = "UrlElicitationRequiredError";
    this.elicitations = checked;
  }
}

/**
 * The URL-mode steps named by a `-32042` error's data, or undefined when it
 * does not have that shape (any code may throw an McpError by hand).
 */
export function urlElicitationsOf(data: unknown): UrlElicitation[] | undefined {
  const list = (data as { elicitations?: unknown } | null)?.elicitations;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const out: UrlElicitation[] = [];
  for (const item of list) {
    if (
      typeof item !== "object" || item === null || typeof item.elicitationId !== "string" ||
      typeof item.url !== "string" || typeof item.message !== "string"
    ) return undefined;
    out.push({ elicitationId: item.elicitationId, url: item.url, message: item.message });
  }
  return out;
}

/**
 * True when the client declared URL-mode elicitation (`elicitation.url`),
 * at `initialize` (2025-11-25) or on this request (2026-07-28).
 *
 * @example
 * ```ts
 * import { defineTool, supportsUrlElicitation } from "@tether/mcp";
 * export const pay = defineTool({
 *   name: "pay",
 *   handler: (_input, ctx) =>
 *     supportsUrlElicitation(ctx.clientCapabilities) ? "opening checkout" : "visit https://shop.example.com",
 * });
 * ```
 */
export function supportsUrlElicitation(capabilities: ClientCapabilities): boolean {
  const elicitation = capabilities.elicitation;
  return typeof elicitation === "object" && elicitation !== null &&
    typeof elicitation.url === "object" && elicitation.url !== null;
}
