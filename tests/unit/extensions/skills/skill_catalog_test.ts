/**
 * Tests of the skills catalog's startup checks, the frontmatter reader and
 * the folder loader: what is refused (names, paths, missing fields, size
 * bounds, duplicates, YAML beyond the subset) and what a folder turns into.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFrontmatter } from "../../../../src/extensions/skills/frontmatter.ts";
import { skillsExtension } from "../../../../src/extensions/skills/mod.ts";
import { buildSkillCatalog } from "../../../../src/extensions/skills/skill_catalog.ts";
import { loadSkillDirectory } from "../../../../src/extensions/skills/skill_directory.ts";

const manifest = (name: string, description = "Does things") =>
  `---\nname: ${name}\ndescription: ${description}\n---\nBody\n`;

describe("parseFrontmatter", () => {
  it("reads scalars, quoted strings, the core schema's types and one nested map", () => {
    assert.deepEqual(
      parseFrontmatter(
        "\ufeff---\nname: pdf\ndescription: 'It''s: fine'\nlicense: \"MIT \\u00e9\"\n" +
          'version: 2\nbeta: true\nnothing: ~\nmetadata:\n  author: me # who\n  tier: "1"\n---\n',
      ),
      {
        name: "pdf",
        description: "It's: fine",
        license: "MIT é",
        version: 2,
        beta: true,
        nothing: null,
        metadata: { author: "me", tier: "1" },
      },
    );
    assert.deepEqual(parseFrontmatter("---\nname: x\nmetadata:\n---\n"), {
      name: "x",
      metadata: null,
    });
    assert.deepEqual(parseFrontmatter("---\n---\nBody"), {});
  });

  it("refuses what it does not support rather than guessing", () => {
    for (
      const text of [
        "no frontmatter",
        "---\nname: x\n",
        "---\nname: x---\n",
        "---\ntags:\n  - a\n---\n",
        "---\ndescription: |\n  text\n---\n",
        "---\nname: [a, b]\n---\n",
        "---\nname: x\nname: y\n---\n",
        "---\n  name: x\n---\n",
        "---\na:\n  b:\n    c: d\n---\n",
        '---\nname: "open\n---\n',
        "---\n__proto__: x\nname: a: b\n---\n",
      ]
    ) {
      assert.throws(() => parseFrontmatter(text), TypeError, text);
    }
    const own = parseFrontmatter("---\n__proto__: x\n---\n");
    assert.equal(Object.getPrototypeOf(own), Object.prototype);
    assert.equal(Object.hasOwn(own, "__proto__"), true);
  });
});

describe("buildSkillCatalog", () => {
  it("refuses bad names, paths, missing fields, duplicates and oversized skills", () => {
    const cases: [unknown, RegExp][] = [
      [[{ files: {} }], /no SKILL.md/],
      [[{ files: { "SKILL.md": manifest("Bad_Name") } }], /lowercase/],
      [[{ files: { "SKILL.md": manifest("a--b") } }], /lowercase/],
      [[{ files: { "SKILL.md": "---\nname: a\n---\n" } }], /description/],
      [[{ path: "x/b", files: { "SKILL.md": manifest("a") } }], /last segment/],
      [[{ files: { "SKILL.md": manifest("a"), "../x": "y" } }], /segments/],
      [[{ files: { "SKILL.md": manifest("a"), "x//y": "y" } }], /segments/],
      [[{ files: { "SKILL.md": manifest("a"), "x y": "y" } }], /segments/],
      [[{ files: { "SKILL.md": manifest("a"), "x": "1", "x/y": "2" } }], /file/],
      [
        [{ files: { "SKILL.md": manifest("a") } }, { files: { "SKILL.md": manifest("a") } }],
        /twice/,
      ],
      [[{ files: { "SKILL.md": manifest("a"), "b": 7 } }], /string or a Uint8Array/],
      [[{ files: { "SKILL.md": manifest("a") }, scopes: ["has space"] }], /scope/],
      [[{ files: { "SKILL.md": new Uint8Array([0xff]) } }], /UTF-8/],
    ];
    for (const [skills, message] of cases) {
      assert.throws(() => buildSkillCatalog(skills as never), message, JSON.stringify(skills));
    }
    const three = { files: { "SKILL.md": manifest("a"), "b": "12", "c": "34" } };
    assert.throws(() => buildSkillCatalog([three], { files: 2, bytes: 1000 }), RangeError);
    assert.throws(() => buildSkillCatalog([three], { files: 10, bytes: 30 }), RangeError);
    assert.doesNotThrow(() => buildSkillCatalog([three], { files: 3, bytes: 1000 }));
    assert.throws(() => skillsExtension({ skills: [three], pageSize: 0 }), RangeError);
    assert.throws(
      () => skillsExtension({ skills: [three], limits: { files: 0, bytes: 1 } }),
      RangeError,
    );
  });
});

describe("loadSkillDirectory", () => {
  it("turns each folder with a SKILL.md into a skill at its path, skipping hidden entries and links", async () => {
    const root = await mkdtemp(join(tmpdir(), "tether-skills-"));
    try {
      await mkdir(join(root, "acme", "pdf", "scripts"), { recursive: true });
      await mkdir(join(root, "plain"), { recursive: true });
      await writeFile(join(root, "acme", "pdf", "SKILL.md"), manifest("pdf"));
      await writeFile(join(root, "acme", "pdf", "scripts", "fill.py"), "print(1)\n");
      await writeFile(join(root, "acme", "pdf", ".secret"), "no");
      await writeFile(join(root, "plain", "SKILL.md"), manifest("plain"));
      await writeFile(join(root, "outside.txt"), "no");
      let linked = true;
      try {
        await symlink(join(root, "outside.txt"), join(root, "plain", "link.txt"));
      } catch {
        linked = false; // no symlinks here (e.g. Windows without the right): nothing to check
      }
      const skills = await loadSkillDirectory(root);
      assert.deepEqual(skills.map((s) => s.path), ["acme/pdf", "plain"]);
      assert.deepEqual(Object.keys(skills[0].files).sort(), ["SKILL.md", "scripts/fill.py"]);
      assert.deepEqual(Object.keys(skills[1].files), ["SKILL.md"]);
      if (linked) assert.equal(Object.hasOwn(skills[1].files, "link.txt"), false);
      const catalog = buildSkillCatalog(skills);
      assert.deepEqual(catalog.skills.map((s) => s.uri), [
        "skill://acme/pdf/SKILL.md",
        "skill://plain/SKILL.md",
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
