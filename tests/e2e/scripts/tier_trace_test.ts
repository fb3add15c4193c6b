/**
 * bench/lab/lib/tier_trace.ts on lines of V8's `--trace-opt --trace-deopt`
 * output as Deno 2.9 prints them: each compile counted once by tier (the
 * TurboFan compile's second, "completed optimizing" line is not a second
 * compile), OSR compiles counted, unnamed functions named `(anonymous)`,
 * and deoptimizations counted by their bailout lines.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { completeLines, summarizeTrace } from "../../../bench/lab/lib/tier_trace.ts";

const TRACE = [
  "[compiling method 0x3a6901f8ff91 <JSFunction f (sfi = 0x32ab1c6a0849)> (target MAGLEV), mode: ConcurrencyMode::kConcurrent]",
  "[completed compiling 0x3a6901f8ff91 <JSFunction f (sfi = 0x32ab1c6a0849)> (target MAGLEV) - took 0.006, 0.263, 0.002 ms]",
  "[completed compiling 0x32ab1c6a0959 <JSFunction (sfi = 0x32ab1c6a0779)> (target MAGLEV) OSR - took 0.000, 0.254, 0.002 ms]",
  "[completed compiling 0x32ab1c6a0959 <JSFunction (sfi = 0x32ab1c6a0779)> (target TURBOFAN_JS) OSR - took 0.016, 1.469, 0.022 ms]",
  "[completed optimizing 0x32ab1c6a0959 <JSFunction (sfi = 0x32ab1c6a0779)> (target TURBOFAN_JS) OSR]",
  "[completed compiling 0x3a6901f8ff91 <JSFunction f (sfi = 0x32ab1c6a0849)> (target TURBOFAN_JS) - took 0.003, 0.231, 0.005 ms]",
  "[completed optimizing 0x3a6901f8ff91 <JSFunction f (sfi = 0x32ab1c6a0849)> (target TURBOFAN_JS)]",
  "[completed compiling 0x5 <JSFunction #postIn (sfi = 0x6)> (target TURBOFAN_JS) - took 0.1, 2.0, 0.1 ms]",
  "[bailout (kind: deopt-eager, reason: Insufficient type feedback for generic keyed access): begin. deoptimizing 0x05425238d649 <JSFunction readBodyText (sfi = 0x351a369f1ed1)>, 0x2469a4021779 <Code TURBOFAN_JS>, opt id 189, bytecode offset 42]",
  'READY {"port":8787}',
];

describe("summarizeTrace", () => {
  it("counts each compile once, by tier, with TurboFan's functions named", () => {
    assert.deepEqual(summarizeTrace(TRACE), {
      maglev: 2,
      turbofan: 3,
      deopts: 1,
      turbofanNames: ["(anonymous)", "f", "#postIn"],
    });
  });

  it("finds nothing in a stretch without compiles", () => {
    assert.deepEqual(
      summarizeTrace([
        "",
        "READY {}",
        "[compiling method 0x1 <JSFunction g (sfi = 0x2)> (target TURBOFAN_JS)]",
      ]),
      {
        maglev: 0,
        turbofan: 0,
        deopts: 0,
        turbofanNames: [],
      },
    );
  });
});

describe("completeLines", () => {
  const first = "[bailout (kind: deopt-eager): begin. deoptimizing <JSFunction g (sfi = 0x2)>]\n";
  const turbofan =
    "[completed compiling 0x5 <JSFunction h (sfi = 0x6)> (target TURBOFAN_JS) - took 0.1 ms]\n";

  it("leaves a line still arriving for the next window, which then counts it whole", () => {
    const arriving = first + turbofan.slice(0, 40);
    const window1 = completeLines(arriving, 0);
    assert.deepEqual(window1.lines, [first.trimEnd()]);
    assert.equal(window1.next, first.length);
    const window2 = completeLines(first + turbofan, window1.next);
    assert.deepEqual(window2.lines, [turbofan.trimEnd()]);
    assert.equal(summarizeTrace(window2.lines).turbofan, 1);
  });

  it("gives nothing, and stays put, until a line ends", () => {
    assert.deepEqual(completeLines(first + "[completed", first.length), {
      lines: [],
      next: first.length,
    });
    assert.deepEqual(completeLines("", 0), { lines: [], next: 0 });
  });
});
