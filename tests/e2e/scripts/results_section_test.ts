/**
 * How the bench commands share bench/RESULTS.md (bench/lib/results_section.ts): a scale-out or
 * gateway script's section already there is replaced up to the next `## ` heading, the sections
 * around it kept, a missing one added at the end; the single-process report (bench/run.ts)
 * replaces its own sections and keeps the others'.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeReport, writeSection } from "../../../bench/lib/results_section.ts";

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

  it("a report replaces its title and sections and keeps the sections it does not write", () => {
    const dir = mkdtempSync(join(tmpdir(), "results-section-"));
    try {
      const file = join(dir, "RESULTS.md");
      writeFileSync(
        file,
        "# old\n\nold intro\n\n## A\n\nold a\n\n## Scale\n\nscale\n\n## B\n\nold b\n",
      );
      writeReport(file, "# new\n\nnew intro\n\n## A\n\nnew a\n\n## B\n\nnew b\n");
      assert.equal(
        readFileSync(file, "utf8"),
        "# new\n\nnew intro\n\n## A\n\nnew a\n\n## B\n\nnew b\n\n## Scale\n\nscale\n",
      );
      writeReport(join(dir, "fresh.md"), "# only\n\n## A\n\na\n");
      assert.equal(readFileSync(join(dir, "fresh.md"), "utf8"), "# only\n\n## A\n\na\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
