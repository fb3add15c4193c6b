/**
 * The skills catalog (SEP-2640): skill definitions (each a set of files with
 * a `SKILL.md` at its root) checked once at startup and turned into what
 * the wire needs: the `skill://` URI of every file and folder, each skill's
 * entry (`uri`, `frontmatter`, `resources` with sha256 digests and sizes)
 * and each folder's children. Refuses (TypeError/RangeError) a bad name, a
 * manifest whose frontmatter lacks `name` or `description`, a path that
 * leaves its skill, two skills at one URI, and a skill over the size
 * bounds. It does not read files (skill_directory.ts does) and does not serve.
 * @module
 */

import { checkScopes } from "../../protocol/definitions/scopes.ts";
import { parseFrontmatter } from "./frontmatter.ts";

/**
 * One skill, defined in code: its files by path relative to the skill's
 * folder, `SKILL.md` at the root.
 *
 * @example
 * ```ts
 * import type { SkillDefinition } from "@tether/mcp/skills";
 * const greeting: SkillDefinition = {
 *   files: {
 *     "SKILL.md": "---\nname: greeting\ndescription: Greets people\n---\nSay hello.",
 *     "templates/formal.txt": "Good morning, {name}.",
 *   },
 * };
 * ```
 */
export interface SkillDefinition {
  /** The skill's files: path (with `/`) to contents (a string is UTF-8). */
  files: Readonly<Record<string, string | Uint8Array>>;
  /**
   * Where it is served: `skill://<path>/SKILL.md`; the last segment must be
   * the frontmatter `name` (e.g. `acme/billing/refunds`).
   * @default the frontmatter `name`
   */
  path?: string;
  /**
   * OAuth scopes a caller's token must hold to see the skill: without them
   * it is not listed, and `skills/get`, `resources/read` and
   * `resources/directory/read` answer as for a skill that does not exist.
   * @default none (any caller the handler admits)
   */
  scopes?: readonly string[];
}

/**
 * The size bounds of one skill: at most 512 files and 16 MiB in total
 * (SEP-2640's SHOULD NOT-exceed limits).
 *
 * @example
 * ```ts
 * import { SKILL_LIMITS } from "@tether/mcp/skills";
 * console.log(SKILL_LIMITS.files, SKILL_LIMITS.bytes); // 512 16777216
 * ```
 */
export const SKILL_LIMITS: Readonly<{ files: number; bytes: number }> = Object.freeze({
  files: 512,
  bytes: 16 * 1024 * 1024,
});

/** The MIME type SEP-2640 gives a folder in a `resources/directory/read` listing. */
export const DIRECTORY_MIME_TYPE = "inode/directory";

/** One file of the catalog. */
export interface SkillFile {
  uri: string;
  name: string;
  bytes: Uint8Array;
  mimeType: string;
  /** The scopes of the skill it belongs to. */
  scopes: readonly string[];
}

/** A child in a folder listing (a file or a sub-folder). */
export interface SkillChild {
  uri: string;
  name: string;
  mimeType: string;
  size?: number;
}

/** One skill of the catalog, before its digests are taken. */
export interface CatalogSkill {
  /** `skill://<path>/SKILL.md`. */
  uri: string;
  frontmatter: Record<string, unknown>;
  /** Its files' URIs, `uri` first. */
  fileUris: readonly string[];
  scopes: readonly string[];
}

/** The checked catalog. */
export interface SkillCatalog {
  /** The skills in the order given. */
  skills: readonly CatalogSkill[];
  /** Every file, by URI. */
  files: ReadonlyMap<string, SkillFile>;
  /** Every folder's children (sorted by URI), by the folder's URI; each skill's root included. */
  folders: ReadonlyMap<string, { children: readonly SkillChild[]; scopes: readonly string[] }>;
}

const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SEGMENT = /^[A-Za-z0-9._~-]+$/;
const MIME_TYPES: Readonly<Record<string, string>> = {
  md: "text/markdown",
  txt: "text/plain",
  json: "application/json",
  yaml: "application/yaml",
  yml: "application/yaml",
  csv: "text/csv",
  html: "text/html",
  xml: "application/xml",
  js: "text/javascript",
  mjs: "text/javascript",
  ts: "text/typescript",
  py: "text/x-python",
  sh: "text/x-shellscript",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  svg: "image/svg+xml",
  pdf: "application/pdf",
};

/** The MIME type of a file name, by its extension (`application/octet-stream` when unknown). */
export function mimeTypeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  const extension = dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
  return Object.hasOwn(MIME_TYPES, extension) ? MIME_TYPES[extension] : "application/octet-stream";
}

/**
 * Checks skill definitions and builds the catalog; throws naming the
 * offending skill or file.
 *
 * @example
 * ```ts
 * import { buildSkillCatalog } from "./skill_catalog.ts";
 * const catalog = buildSkillCatalog([{ files: { "SKILL.md": "---\nname: hi\ndescription: Says hi\n---\n" } }]);
 * console.log(catalog.skills[0].uri); // "skill://hi/SKILL.md"
 * ```
 */
export function buildSkillCatalog(
  definitions: readonly SkillDefinition[],
  limits: { files: number; bytes: number } = SKILL_LIMITS,
): SkillCatalog {
  if (!Array.isArray(definitions)) throw new TypeError("skills must be an array");
  const encoder = new TextEncoder();
  const skills: CatalogSkill[] = [];
  const files = new Map<string, SkillFile>();
  const folders = new Map<string, Map<string, SkillChild>>();
  const folderScopes = new Map<string, readonly string[]>();
  for (const [index, definition] of definitions.entries()) {
    const label = `skills[${index}]`;
    if (typeof definition !== "object" || definition === null || !isRecord(definition.files)) {
      throw new TypeError(`${label}: files must be an object of path to contents`);
    }
    checkScopes(definition.scopes, label);
    const scopes = Object.freeze([...(definition.scopes ?? [])]);
    const manifest = definition.files["SKILL.md"];
    if (manifest === undefined) throw new TypeError(`${label}: no SKILL.md at the skill's root`);
    const text = typeof manifest === "string"
      ? manifest
      : decodeUtf8(manifest, `${label} SKILL.md`);
    let frontmatter: Record<string, unknown>;
    try {
      frontmatter = parseFrontmatter(text);
    } catch (error) {
      throw new TypeError(`${label} SKILL.md: ${(error as Error).message}`);
    }
    const name = frontmatter.name;
    if (typeof name !== "string" || name.length > 64 || !NAME.test(name)) {
      throw new TypeError(
        `${label}: frontmatter name ${
          JSON.stringify(name)
        } must be 1-64 lowercase letters, digits and single hyphens`,
      );
    }
    const description = frontmatter.description;
    if (typeof description !== "string" || description === "" || description.length > 1024) {
      throw new TypeError(`${label} (${name}): frontmatter description must be 1-1024 characters`);
    }
    const path = splitPath(definition.path ?? name, `${label} (${name}) path`);
    if (path[path.length - 1] !== name) {
      throw new TypeError(`${label}: the path's last segment must be the name ${name}`);
    }
    const root = `skill://${path.join("/")}`;
    const uri = `${root}/SKILL.md`;
    if (files.has(uri) || folders.has(root)) {
      throw new TypeError(`${label}: ${uri} is served twice`);
    }
    const paths = Object.keys(definition.files).sort((a, b) =>
      a === "SKILL.md" ? -1 : b === "SKILL.md" ? 1 : a < b ? -1 : a > b ? 1 : 0
    );
    if (paths.length > limits.files) {
      throw new RangeError(
        `${label} (${name}): ${paths.length} files, over the ${limits.files} limit`,
      );
    }
    let total = 0;
    const fileUris: string[] = [];
    addFolder(folders, folderScopes, root, scopes);
    for (const filePath of paths) {
      const segments = splitPath(filePath, `${label} (${name}) file ${JSON.stringify(filePath)}`);
      const contents = definition.files[filePath];
      if (typeof contents !== "string" && !(contents instanceof Uint8Array)) {
        throw new TypeError(`${label} (${name}): ${filePath} must be a string or a Uint8Array`);
      }
      const bytes = typeof contents === "string" ? encoder.encode(contents) : contents.slice();
      total += bytes.byteLength;
      if (total > limits.bytes) {
        throw new RangeError(`${label} (${name}): over the ${limits.bytes}-byte size limit`);
      }
      let folder = root;
      for (const segment of segments.slice(0, -1)) {
        const child = `${folder}/${segment}`;
        if (files.has(child)) {
          throw new TypeError(`${label} (${name}): ${filePath} is under a file`);
        }
        addFolder(folders, folderScopes, child, scopes);
        folders.get(folder)!.set(child, {
          uri: child,
          name: segment,
          mimeType: DIRECTORY_MIME_TYPE,
        });
        folder = child;
      }
      const fileName = segments[segments.length - 1];
      const fileUri = `${folder}/${fileName}`;
      if (folders.has(fileUri) || files.has(fileUri)) {
        throw new TypeError(`${label} (${name}): ${filePath} is both a file and a folder`);
      }
      const mimeType = mimeTypeOf(fileName);
      files.set(fileUri, { uri: fileUri, name: fileName, bytes, mimeType, scopes });
      folders.get(folder)!.set(fileUri, {
        uri: fileUri,
        name: fileName,
        mimeType,
        size: bytes.byteLength,
      });
      fileUris.push(fileUri);
    }
    skills.push({ uri, frontmatter, fileUris, scopes });
  }
  const sorted = new Map<string, { children: readonly SkillChild[]; scopes: readonly string[] }>();
  for (const [uri, children] of folders) {
    sorted.set(uri, {
      children: [...children.values()].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0)),
      scopes: folderScopes.get(uri)!,
    });
  }
  return { skills, files, folders: sorted };
}

function addFolder(
  folders: Map<string, Map<string, SkillChild>>,
  scopes: Map<string, readonly string[]>,
  uri: string,
  skillScopes: readonly string[],
): void {
  if (folders.has(uri)) return;
  folders.set(uri, new Map());
  scopes.set(uri, skillScopes);
}

function splitPath(path: unknown, label: string): string[] {
  if (typeof path !== "string" || path === "") throw new TypeError(`${label}: not a path`);
  const segments = path.split("/");
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || segment === "." || segment === "..") {
      throw new TypeError(
        `${label}: segments must be letters, digits, ".", "_", "~" or "-" (not "." or "..")`,
      );
    }
  }
  return segments;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function decodeUtf8(bytes: Uint8Array, label: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new TypeError(`${label}: not UTF-8`);
  }
}
