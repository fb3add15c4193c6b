/**
 * bench/lab/lib/cachegrind.ts on made-up cachegrind output: only the cost lines
 * of V8's optimizing compilers count (TurboFan, Turboshaft, Maglev), not a
 * builtin or the file's summary line, and a file that names none of them
 * (a stripped binary) gives undefined rather than zero.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilerInstructions } from "../../../bench/lab/lib/cachegrind.ts";

/** Writes `text` as a cachegrind output file, and returns what the reader makes of it. */
function read(text: string): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), "cachegrind-test-"));
  try {
    const file = join(dir, "out");
    writeFileSync(file, text);
    return compilerInstructions(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("compilerInstructions", () => {
  it("sums the compilers' cost lines and nothing else", () => {
    const text = [
      "desc: I1 cache: none",
      "cmd: node --predictable case.ts",
      "events: Ir",
      "fl=???",
      "fn=???",
      "0 9000",
      "fl=/node",
      "fn=v8::internal::compiler::GraphReducer::Reduce(v8::internal::compiler::Node*)",
      "0 100",
      "12 20",
      "fn=Builtins_KeyedStoreIC",
      "0 4000",
      "fn=v8::internal::maglev::MaglevGraphBuilder::Build()",
      "0 30",
      "fl=/other",
      "fn=v8::internal::compiler::turboshaft::Operation::Effects() const",
      "0 7",
      "summary: 13157",
      "",
    ].join("\n");
    assert.equal(read(text), 157);
  });

  it("is undefined for a binary without symbols", () => {
    const text = ["events: Ir", "fl=???", "fn=???", "0 5000", "summary: 5000", ""].join("\n");
    assert.equal(read(text), undefined);
  });

  it("counts nothing after a compiler function's file ends", () => {
    const text = [
      "events: Ir",
      "fl=/node",
      "fn=v8::internal::compiler::Typer::Run()",
      "0 40",
      "fl=/lib/libc.so.6",
      "0 999",
      "summary: 1039",
      "",
    ].join("\n");
    assert.equal(read(text), 40);
  });
});
