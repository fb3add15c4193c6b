/**
 * Reads one file only when it fits a bound: its size is asked first (a file
 * over the bound is never read), and the read itself stops one byte past
 * the bound (a file that grew since, or a device that reports no size).
 * Memory spent is at most the bound plus one byte. It does not walk
 * folders or say what the bound is for (skill_directory.ts does).
 * @module
 */

import { open } from "node:fs/promises";

/** What {@linkcode readWithin} found: the bytes, or a size over the bound (at least bound + 1). */
export type BoundedRead =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly size: number };

/**
 * The contents of the file at `path` when they are at most `maxBytes`;
 * otherwise its size (as stat reports it, or `maxBytes + 1` when the read
 * found more than stat said), having read at most `maxBytes + 1` bytes.
 *
 * @example
 * ```ts
 * import { readWithin } from "./bounded_read.ts";
 * const read = await readWithin("./skills/pdf/SKILL.md", 16 * 1024 * 1024);
 * if (!read.ok) throw new RangeError(`SKILL.md is ${read.size} bytes, over the bound`);
 * ```
 */
export async function readWithin(path: string, maxBytes: number): Promise<BoundedRead> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return { ok: false, size };
    let buffer = new Uint8Array(size + 1); // one byte more: a file that grew shows it
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) return { ok: false, size: length };
        const grown = new Uint8Array(Math.min(length * 2, maxBytes + 1));
        grown.set(buffer);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { ok: true, bytes: length === buffer.length ? buffer : buffer.slice(0, length) };
  } finally {
    await handle.close();
  }
}
