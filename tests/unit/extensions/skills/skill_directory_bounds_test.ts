/**
 * The folder loader keeps a skill's size bounds while it reads: a file over
 * the size limit (a 1 GiB sparse file, which takes no disk) is refused
 * before it is read, a file that takes the skill's total past it likewise,
 * and a skill with more files than the limit; each error names the file or
 * skill and the bound.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSkillDirectory } from "../../../../src/extensions/skills/skill_directory.ts";

const manifest = (name: string) => `---\nname: ${name}\ndescription: Does things\n---\nBody\n`;

/** A root with one skill `acme/<name>` holding a SKILL.md and `files` (name to contents). */
async function skillFolder(
  name: string,
  files: Record<string, string> = {},
): Promise<{ root: string; skill: string }> {
  const root = await mkdtemp(join(tmpdir(), "tether-skill-bounds-"));
  const skill = join(root, "acme", name);
  await mkdir(skill, { recursive: true });
  await writeFile(join(skill, "SKILL.md"), manifest(name));
  for (const [file, contents] of Object.entries(files)) {
    await writeFile(join(skill, file), contents);
  }
  return { root, skill };
}

describe("loadSkillDirectory: bounds kept while reading", () => {
  it("refuses a 1 GiB (sparse) file before reading it, naming the file and the 16 MiB bound", async () => {
    const { root, skill } = await skillFolder("big");
    try {
      await writeFile(join(skill, "huge.bin"), "");
      await truncate(join(skill, "huge.bin"), 1024 ** 3); // sparse: no disk, 1 GiB by stat
      await assert.rejects(loadSkillDirectory(root), (error: Error) => {
        assert.ok(error instanceof RangeError, String(error));
        assert.match(error.message, /acme\/big\/huge\.bin \(at least 1073741824 bytes\)/);
        assert.match(error.message, /over the 16777216-byte size limit/);
        assert.match(error.message, /it was not read/);
        return true;
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("refuses the file that takes the skill's total past `limits.bytes`, saying what was left", async () => {
    const manifestBytes = new TextEncoder().encode(manifest("total")).byteLength;
    const { root } = await skillFolder("total", {
      "a.txt": "x".repeat(600),
      "b.txt": "y".repeat(600),
    });
    try {
      const limits = { files: 512, bytes: manifestBytes + 1000 };
      await assert.rejects(
        loadSkillDirectory(root, { limits }),
        (error: Error) =>
          error instanceof RangeError &&
          /acme\/total\/[ab]\.txt \(at least 600 bytes\)/.test(error.message) &&
          error.message.includes(`over the ${limits.bytes}-byte size limit (400 bytes left)`),
      );
      // Within the bound it loads whole.
      const [loaded] = await loadSkillDirectory(root, {
        limits: { files: 3, bytes: limits.bytes + 200 },
      });
      assert.deepEqual(Object.keys(loaded.files).sort(), ["SKILL.md", "a.txt", "b.txt"]);
      assert.deepEqual(loaded.files["a.txt"], new TextEncoder().encode("x".repeat(600)));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("refuses a skill with more files than `limits.files`", async () => {
    const { root } = await skillFolder("many", { "a.txt": "a", "b.txt": "b" });
    try {
      await assert.rejects(
        loadSkillDirectory(root, { limits: { files: 2, bytes: 1024 } }),
        /skill "acme\/many" has more than 2 files/,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
