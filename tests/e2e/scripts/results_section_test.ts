/**
 * How the scripts `npm run bench` runs after bench/run.ts write their section of
 * bench/RESULTS.md (bench/lib/results_section.ts): a section already there is replaced up to the
 * next `## ` heading, the sections around it kept; a missing one is added at the end.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSection } from "../../../bench/lib/results_section.ts";

const RESULTS = "# results\n\nintro\n\n## A\n\nold a\n\n## B\n\nold b\n";

describe("bench results sections", () => {
  it("replaces its own section, keeping the ones before and after it", () => {
    const dir = mkdtempSync(join(tmpdir(), "results-section-"));
    try {
      const file = join(dir, "RESULTS.md");
      writeFileSync(file, RESULTS);
      writeSection(file, "## A", "## A\n\nnew a\n");
      assert.equal(
        readFileSync(file, "utf8"),
        "# results\n\nintro\n\n## A\n\nnew a\n\n## B\n\nold b\n",
      );
      writeSection(file, "## B", "## B\n\nnew b\n");
      assert.equal(
        readFileSync(file, "utf8"),
        "# results\n\nintro\n\n## A\n\nnew a\n\n## B\n\nnew b\n",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("adds a section that is not there at the end, and makes a missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "results-section-"));
    try {
      const file = join(dir, "RESULTS.md");
      writeSection(file, "## C", "## C\n\nc\n");
      assert.equal(readFileSync(file, "utf8"), "## C\n\nc\n");
      writeFileSync(file, RESULTS);
      writeSection(file, "## C", "## C\n\nc\n");
      assert.equal(readFileSync(file, "utf8"), `${RESULTS.trimEnd()}\n\n## C\n\nc\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
