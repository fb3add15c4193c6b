/**
 * `@tether/mcp/skills/directory`: reads skills from a folder on a runtime with a file system (Node, Deno,
 * Bun): every sub-folder holding a `SKILL.md` is one skill, served at its
 * path under the folder (`<root>/acme/pdf/SKILL.md` at
 * `skill://acme/pdf/SKILL.md`), with every file under it. Symbolic links
 * and hidden entries (a name starting with ".") are skipped, so nothing
 * outside the folder is served. It reads once: restart to see changes. Not
 * for workerd (no file system): give the files as data there. The size
 * bounds (`limits`) are kept while reading: a file that would take its skill
 * past them is refused before it is read (bounded_read.ts). The other checks
 * are buildSkillCatalog's, applied when the extension is built.
 * @module
 */

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { readWithin } from "./bounded_read.ts";
import { SKILL_LIMITS, type SkillDefinition } from "./skill_catalog.ts";

/**
 * Options of {@linkcode loadSkillDirectory}.
 *
 * @example
 * ```ts
 * import type { SkillDirectoryOptions } from "@tether/mcp/skills/directory";
 * const options: SkillDirectoryOptions = { limits: { files: 64, bytes: 1024 * 1024 } };
 * ```
 */
export interface SkillDirectoryOptions {
  /**
   * The size bounds of one skill, kept while reading (give `skillsExtension` the same):
   * more files, or a file that takes the skill past `bytes`, is refused, and never read.
   * @default SKILL_LIMITS (512 files, 16 MiB)
   */
  limits?: { files: number; bytes: number };
}

/** One skill's files as they are read, against its bounds. */
interface SkillRead {
  /** The skill's path under the root, for errors. */
  readonly skill: string;
  readonly limits: { files: number; bytes: number };
  readonly files: Record<string, Uint8Array>;
  count: number;
  total: number;
}

/**
 * Loads the skills under `root` (sorted by path) for {@linkcode skillsExtension}'s `skills`.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { skillsExtension } from "@tether/mcp/skills";
 * import { loadSkillDirectory } from "@tether/mcp/skills/directory";
 *
 * const skills = await loadSkillDirectory("./skills");
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", extensions: [skillsExtension({ skills })] });
 * ```
 */
export async function loadSkillDirectory(
  root: string,
  options: SkillDirectoryOptions = {},
): Promise<SkillDefinition[]> {
  const limits = options.limits ?? SKILL_LIMITS;
  const skills: SkillDefinition[] = [];
  const visit = async (segments: string[]): Promise<void> => {
    const folder = join(root, ...segments);
    const entries = (await readdir(folder, { withFileTypes: true }))
      .filter((entry) => !entry.name.startsWith("."))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (segments.length > 0 && entries.some((e) => e.isFile() && e.name === "SKILL.md")) {
      const read: SkillRead = { skill: segments.join("/"), limits, files: {}, count: 0, total: 0 };
      await readFiles(folder, [], read);
      skills.push({ path: read.skill, files: read.files });
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) await visit([...segments, entry.name]);
    }
  };
  await visit([]);
  return skills;
}

/** The files under `folder`/`segments` into `read`, each refused before it is read when over the bounds. */
async function readFiles(folder: string, segments: string[], read: SkillRead): Promise<void> {
  const here = join(folder, ...segments);
  for (const entry of await readdir(here, { withFileTypes: true })) {
    if (entry.name.startsWith(".")) continue;
    const path = [...segments, entry.name];
    if (entry.isDirectory()) await readFiles(folder, path, read);
    else if (entry.isFile()) {
      const name = path.join("/");
      const { skill, limits } = read;
      if (++read.count > limits.files) {
        throw new RangeError(
          `loadSkillDirectory: skill "${skill}" has more than ${limits.files} files (the files limit)`,
        );
      }
      const left = limits.bytes - read.total;
      const file = await readWithin(join(here, entry.name), left);
      if (!file.ok) {
        throw new RangeError(
          `loadSkillDirectory: ${skill}/${name} (at least ${file.size} bytes) takes skill "${skill}" ` +
            `over the ${limits.bytes}-byte size limit (${left} bytes left); it was not read`,
        );
      }
      read.total += file.bytes.byteLength;
      read.files[name] = file.bytes;
    }
  }
}
