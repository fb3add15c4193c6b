/**
 * The startup check of `icons` (server info, tools, resources, resource
 * templates, prompts): a list of `{ src, mimeType?, sizes?, theme? }` whose
 * `src` is an `https:`/`http:` URL or a `data:` URI. A bad icon throws when
 * the definition is added, never at list time. It does not fetch, size or
 * sniff the images: clients decide what they render.
 * @module
 */

import type { Icon } from "../types.ts";

const SCHEMES = new Set(["https:", "http:", "data:"]);
const SIZE = /^(?:any|[1-9][0-9]*x[1-9][0-9]*)$/;

/**
 * Throws a TypeError naming `owner` when `icons` is not a list of valid
 * icons; returns it unchanged otherwise (undefined stays undefined).
 */
export function checkIcons(icons: unknown, owner: string): Icon[] | undefined {
  if (icons === undefined) return undefined;
  if (!Array.isArray(icons)) throw new TypeError(`${owner}: icons must be an array`);
  icons.forEach((icon, index) => {
    const where = `${owner}: icons[${index}]`;
    if (typeof icon !== "object" || icon === null || typeof icon.src !== "string") {
      throw new TypeError(`${where} needs a string src`);
    }
    let scheme: string;
    try {
      scheme = new URL(icon.src).protocol;
    } catch {
      throw new TypeError(`${where}: src is not a URL`);
    }
    if (!SCHEMES.has(scheme)) {
      throw new TypeError(`${where}: src must be an https:, http: or data: URL, not ${scheme}`);
    }
    if (icon.mimeType !== undefined && typeof icon.mimeType !== "string") {
      throw new TypeError(`${where}: mimeType must be a string`);
    }
    if (
      icon.sizes !== undefined &&
      (!Array.isArray(icon.sizes) ||
        !icon.sizes.every((size: unknown) => typeof size === "string" && SIZE.test(size)))
    ) {
      throw new TypeError(`${where}: sizes must be strings like "48x48" or "any"`);
    }
    if (icon.theme !== undefined && icon.theme !== "light" && icon.theme !== "dark") {
      throw new TypeError(`${where}: theme must be "light" or "dark"`);
    }
  });
  return icons;
}
