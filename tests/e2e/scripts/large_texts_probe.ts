/**
 * Prints, as one JSON line, whether the bench's large tool texts are flat
 * strings in the engine running this file (bench/lib/protocol.ts says why it
 * matters), and the same of a rope made here, which shows the probe can tell.
 * V8 (Node, Deno) needs `--allow-natives-syntax`: a string is flat when it has
 * the map of a sequential one-byte string. JavaScriptCore (Bun): when `bun:jsc`
 * does not describe it as a rope.
 */

import { LARGE_1M_TEXT, LARGE_TEXT } from "../../../bench/lib/protocol.ts";

let isFlat: (text: string) => boolean;
if ((globalThis as { Bun?: unknown }).Bun !== undefined) {
  const jsc = await import("bun:jsc" as string) as { describe(value: unknown): string };
  isFlat = (text) => !jsc.describe(text).includes("rope");
} else {
  // Built at run time, so the `%` syntax is parsed only where the flag allows it.
  const sameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (
    a: string,
    b: string,
  ) => boolean;
  // A fresh join of two strings: a sequential one-byte string, not an internalized literal.
  const sequential = [String(Date.now()), "-sequential"].join("");
  isFlat = (text) => sameMap(text, sequential);
}

const rope = "ab".repeat(64) + String(Date.now());
console.log(JSON.stringify({
  large: isFlat(LARGE_TEXT),
  large1m: isFlat(LARGE_1M_TEXT),
  rope: isFlat(rope),
}));
