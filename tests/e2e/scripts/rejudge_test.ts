/**
 * bench/run/rejudge.ts: a RESULTS.md's target rows judged again under the current lines without
 * measuring. A bound loses its verdict, a judged figure is held to its current line (a short one
 * whose rounds reach the line says so), the guard rows get their counted ratio, the scaling row
 * keeps the legacy floor's bound, and judging the committed RESULTS.md again changes nothing.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rejudge, REJUDGED } from "../../../bench/run/rejudge.ts";

const RESULTS = readFileSync(new URL("../../../bench/RESULTS.md", import.meta.url), "utf8");

/** The target table's rows as cells, spaces trimmed (deno fmt pads them). */
function targetCells(text: string): string[][] {
  const lines = text.split("\n");
  const start = lines.indexOf("## Targets");
  const rows: string[][] = [];
  for (let i = start + 1; i < lines.length && !lines[i].startsWith("## "); i++) {
    if (lines[i].startsWith("| ") && !lines[i].startsWith("| ---")) {
      rows.push(lines[i].slice(1, -1).split(" | ").map((cell) => cell.trim()));
    }
  }
  return rows;
}

/** The row whose name starts with `name`. */
function row(text: string, name: string): string[] {
  const found = targetCells(text).find((cells) => cells[0].startsWith(name));
  assert.ok(found !== undefined, `no row ${name}`);
  return found;
}

describe("bench/run/rejudge.ts", () => {
  it("leaves the committed RESULTS.md as it is: it was judged under the current lines", () => {
    const again = rejudge(RESULTS, "2026-11-28");
    assert.deepEqual(targetCells(again), targetCells(RESULTS));
    assert.match(again, new RegExp(`## Targets\\n\\n${REJUDGED.replace(/[.*`()]/g, "\\$&")}`));
  });

  it("holds a figure to its current line, strips a bound's verdict, adds the counted ratio", () => {
    const guard = "sessionful tools/call: tether (auto → JSON) ÷ the guarded legacy floor";
    const [, deno] = row(RESULTS, guard);
    assert.match(deno, /^0\.82× met \(paired: median of 12 rounds, 0\.37–1\.34;/);
    const bound = "(bound, no target: this floor keeps no event for a resume";
    const [, boundDeno] = row(RESULTS, bound);
    assert.match(boundDeno, /^0\.40× \(/);
    const edited = RESULTS.replace(deno, deno.replace(/^0\.82× met/, "0.79× met"))
      .replace(boundDeno, boundDeno.replace(/^0\.40× /, "0.40× **short** "))
      .replace(
        /; instructions counted 0\.89× \(bench\/lab\/instructions\.ts, a7e73d7, 2026-11-27: 87\.0k[^)]*\)/,
        "",
      );
    const again = rejudge(edited, "2026-11-29");
    // 0.79 under 0.80, but its rounds (0.37–1.34 and the runs' medians) reach the line.
    assert.match(
      row(again, guard)[1],
      /^0\.79× \*\*short\*\*, within its rounds' spread of the line \(0\.37–1\.34\) \(paired:.*; instructions counted 0\.89× \(bench\/lab\/instructions\.ts, a7e73d7/,
    );
    assert.match(row(again, bound)[1], /^0\.40× \(paired/);
    assert.match(again, /Judged again by `bench\/run\/rejudge\.ts` on 2026-11-29/);
    assert.equal(again.split(REJUDGED).length, 2, "one note, not two");
  });

  it("keeps the scaling row's bound where the legacy floor scales below 0.9", () => {
    const scaling = "tether tools/call at 100,000";
    const [, , bun] = row(RESULTS, scaling);
    assert.match(bun, /^0\.87× met .*so the bound is 0\.80×/);
    const again = rejudge(RESULTS.replace(bun, bun.replace(/^0\.87× met/, "0.78× met")), "x");
    assert.match(row(again, scaling)[2], /^0\.78× \*\*short\*\*, within its rounds' spread/);
  });

  it("refuses a table whose rows are not the headline's", () => {
    const lines = RESULTS.split("\n");
    const at = lines.findIndex((line) => line.startsWith("| steady tools/call, SSE"));
    assert.throws(
      () => rejudge([...lines.slice(0, at), ...lines.slice(at + 1)].join("\n"), "x"),
      /target rows, the headline has/,
    );
  });
});
