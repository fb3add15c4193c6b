/**
 * The Skills extension's part of the conformance fixture (examples/everything.ts):
 * the skills the `sep-2640-*` scenarios list, get, browse and read, defined
 * in code (so the fixture serves them on workerd too, where there is no
 * folder to read), served with `skillsExtension()`. `code-review` has
 * sub-folders, for `resources/directory/read`.
 * @module
 */

import type { Extension } from "../src/extensions/mod.ts";
import { type SkillDefinition, skillsExtension } from "../src/extensions/skills/mod.ts";

/** The fixture's skills. */
export const fixtureSkillDefinitions: readonly SkillDefinition[] = [
  {
    files: {
      "SKILL.md": [
        "---",
        "name: code-review",
        "description: Reviews a change against the team checklist",
        "metadata:",
        "  author: tether",
        '  version: "1.0"',
        "---",
        "# Code review",
        "",
        "Read `references/checklist.md`, then run `scripts/diffstat.sh` on the change.",
        "",
      ].join("\n"),
      "references/checklist.md": "- Tests fail before the fix\n- Names say what things are\n",
      "scripts/diffstat.sh": '#!/bin/sh\ngit diff --stat "$@"\n',
    },
  },
  {
    path: "tether/release-notes",
    files: {
      "SKILL.md": [
        "---",
        "name: release-notes",
        "description: Writes release notes from merged changes",
        "---",
        "List user-visible changes first, one line each.",
        "",
      ].join("\n"),
    },
  },
];

/** The skills extension as the fixture serves it. */
export function fixtureSkills(): Extension {
  return skillsExtension({ skills: fixtureSkillDefinitions });
}
