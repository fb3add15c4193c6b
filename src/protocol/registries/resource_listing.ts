/**
 * What the resource registry lists and returns: the listing fields of a
 * resource and a template, and a reader's value as `contents`. No lookup
 * (resources.ts and resource_serving.ts do that).
 * @module
 */

import { encodeBase64 } from "../base64.ts";
import type { ResourceReadReturn } from "../definitions/definitions.ts";
import type { ResourceContents } from "../types.ts";

/** The fields of `source` named by `keys` that are set. */
export function pick(source: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The listing fields of a fixed resource. */
export const RESOURCE_KEYS = [
  "uri",
  "name",
  "title",
  "description",
  "mimeType",
  "size",
  "annotations",
  "icons",
  "_meta",
] as const;
/** The listing fields of a resource template. */
export const TEMPLATE_KEYS = [
  "uriTemplate",
  "name",
  "title",
  "description",
  "mimeType",
  "annotations",
  "icons",
  "_meta",
] as const;

/** No listing (what a lens does not show). */
export const NONE: Record<string, unknown>[] = [];

/** Turns what a reader returned into `contents`. */
export function toResourceContents(
  uri: string,
  mimeType: string | undefined,
  value: ResourceReadReturn,
): ResourceContents[] {
  if (typeof value === "string") {
    return [mimeType === undefined ? { uri, text: value } : { uri, mimeType, text: value }];
  }
  if (value instanceof Uint8Array) {
    const blob = encodeBase64(value);
    return [mimeType === undefined ? { uri, blob } : { uri, mimeType, blob }];
  }
  return Array.isArray(value) ? value : [value];
}
