/**
 * `@tether/mcp/skills/directory`: reads skills from a folder on a runtime with a file system (Node, Deno,
 * Bun): every sub-folder holding a `SKILL.md` is one skill, served at its
 * path under the folder (`<root>/acme/pdf/SKILL.md` at
 * `skill://acme/pdf/SKILL.md`), with every file under it. Symbolic links
 * and hidden entries (a name starting with ".") are skipped, so nothing
 * outside the folder is served. It reads once: restart to see changes. Not
 * for workerd (no file system): give the files as data there. The checks
 * are buildSkillCatalog's, applied when the extension is built.
 * @module
 */

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SkillDefinition } from "./skill_catalog.ts";

/**
 * Loads the skills under `root` (sorted by path) for {@linkcode skillsExtension}'s `skills`.
 *
 * @example
 * ```ts ignore
 * import { createMcpHandler } from "@tether/mcp";
 * import { skillsExtension } from "@tether/mcp/skills";
 * import { loadSkillDirectory } from "@tether/mcp/skills/directory";
 *
 * const skills = await loadSkillDirectory("./skills");
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", extensions: [skillsExtension({ skills })] });
 * ```
 */
export async function loadSkillDirectory(root: string): Promise<SkillDefinition[]> {
  const skills: SkillDefinition[] = [];
  const visit = async (segments: string[]): Promise<void> => {
    const folder = join(root, ...segments);
    const entries = (await readdir(folder, { withFileTypes: true }))
      .filter((entry) => !entry.name.startsWith("."))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (segments.length > 0 && entries.some((e) => e.isFile() && e.name === "SKILL.md")) {
      const files: Record<string, Uint8Array> = {};
      await readFiles(folder, [], files);
      skills.push({ path: segments.join("/"), files });
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) await visit([...segments, entry.name]);
    }
  };
  await visit([]);
  return skills;
}

async function readFiles(
  folder: string,
  segments: string[],
  files: Record<string, Uint8Array>,
): Promise<void> {
  const here = join(folder, ...segments);
  for (const entry of await readdir(here, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const path = [...segments, entry.name];
    if (entry.isDirectory()) await readFiles(folder, path, files);
    else if (entry.isFile()) {
      files[path.join("/")] = new Uint8Array(await readFile(join(here, entry.name)));
    }
  }
}
