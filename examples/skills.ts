/**
 * The "Skills" example of docs/extensions.md: two skills served with the Skills extension
 * (SEP-2640), one defined in code and the others read from a folder when the
 * runtime has a file system. tests/e2e/examples/readme_skills_test.ts checks the
 * guide shows this code and drives it with the official SDK client.
 * @module
 */

// #region readme
import { createMcpHandler } from "../mod.ts";
import { skillsExtension } from "../src/extensions/skills/mod.ts";
import { loadSkillDirectory } from "../src/extensions/skills/skill_directory.ts";

/** A skill in code: its files by path, SKILL.md (with name and description) at the root. */
const refunds = {
  files: {
    "SKILL.md": "---\nname: refunds\ndescription: How to issue a refund\n---\n" +
      "Check the order, then fill in `forms/refund.txt`.\n",
    "forms/refund.txt": "Order:\nAmount:\nReason:\n",
  },
};

/** The server; `folder` (optional) holds more skills, one sub-folder with a SKILL.md each. */
export async function createSkillsHandler(folder?: string) {
  const fromFolder = folder === undefined ? [] : await loadSkillDirectory(folder);
  return createMcpHandler({
    name: "helpdesk",
    version: "1.0.0",
    extensions: [skillsExtension({ skills: [refunds, ...fromFolder] })],
  });
}
// #endregion readme
