/**
 * The Skills extension (`io.modelcontextprotocol/skills`, SEP-2640) on the
 * extension surface, in both eras: declared as `{ directoryRead: true }`
 * under `capabilities.extensions`; `skills/list` (paged, an entry never
 * split), `skills/get` (-32602 for a URI that names no skill),
 * `resources/directory/read` (a folder's direct children, sub-folders as
 * `inode/directory`; -32602 for anything else), and a `skill://{+path}`
 * resource template that lists every `SKILL.md` in `resources/list` and
 * reads every file (UTF-8 as `text`, other bytes as `blob`). A skill with
 * `scopes` does not exist for a caller whose token lacks them. In
 * 2026-07-28 the three results carry `ttlMs` and `cacheScope`. Digests are
 * taken once, on the first request that needs them (no work at import, so
 * it loads on workerd). Not here: checking definitions (skill_catalog.ts),
 * reading folders (skill_directory.ts).
 * @module
 */

import { hexDigest } from "../../hex.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { encodeBase64 } from "../../protocol/base64.ts";
import {
  type CacheHint,
  checkCacheHint,
  DEFAULT_CACHE_HINT,
} from "../../protocol/definitions/cache_hint.ts";
import type { Principal, RequestContext } from "../../protocol/context/request_context.ts";
import type { ResourceTemplateDefinition } from "../../protocol/definitions/definitions.ts";
import { eraOf, type Extension } from "../../protocol/definitions/extensions.ts";
import { paginate } from "../../protocol/dispatch/pagination.ts";
import { missingScopes } from "../../protocol/definitions/scopes.ts";
import type { ResourceEntry } from "../../protocol/types.ts";
import {
  buildSkillCatalog,
  type CatalogSkill,
  SKILL_LIMITS,
  type SkillCatalog,
  type SkillDefinition,
} from "./skill_catalog.ts";

/**
 * The Skills extension's identifier.
 *
 * @example
 * ```ts
 * import { SKILLS_EXTENSION_ID } from "@tether/mcp/skills";
 * console.log(SKILLS_EXTENSION_ID); // "io.modelcontextprotocol/skills"
 * ```
 */
export const SKILLS_EXTENSION_ID = "io.modelcontextprotocol/skills";

/**
 * Options of {@linkcode skillsExtension}.
 *
 * @example
 * ```ts
 * import type { SkillsOptions } from "@tether/mcp/skills";
 * const options: SkillsOptions = {
 *   skills: [{ files: { "SKILL.md": "---\nname: hi\ndescription: Says hi\n---\nSay hi." } }],
 *   pageSize: 50,
 * };
 * ```
 */
export interface SkillsOptions {
  /** The skills served, in listing order (from code, bundled data, or `loadSkillDirectory`). */
  skills: readonly SkillDefinition[];
  /**
   * Entries per page of `skills/list` and `resources/directory/read`.
   * @default 100
   */
  pageSize?: number;
  /**
   * The size bounds of one skill; a skill over them is refused at startup.
   * @default SKILL_LIMITS (512 files, 16 MiB)
   */
  limits?: { files: number; bytes: number };
  /**
   * How long 2026-07-28 clients may reuse the skills' lists, entries and files.
   * @default { ttlMs: 0, cacheScope: "private" }
   */
  cache?: CacheHint;
}

/** A skill entry as `skills/list` and `skills/get` carry it. */
interface SkillEntry {
  uri: string;
  frontmatter: Record<string, unknown>;
  resources: { uri: string; digest: string; size: number }[];
}

/**
 * The Skills extension for `createMcpHandler`'s `extensions` option; throws
 * at startup for a bad skill (a bad name or path, a missing description,
 * two skills at one URI, a skill over `limits`), naming it.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { skillsExtension } from "@tether/mcp/skills";
 *
 * const handler = createMcpHandler({
 *   name: "helpdesk",
 *   version: "1.0.0",
 *   extensions: [skillsExtension({
 *     skills: [{
 *       files: {
 *         "SKILL.md": "---\nname: refunds\ndescription: How to issue a refund\n---\nCheck the order first.",
 *         "forms/refund.txt": "Order:\nAmount:\n",
 *       },
 *     }],
 *   })],
 * });
 * ```
 */
export function skillsExtension(options: SkillsOptions): Extension {
  const pageSize = options.pageSize ?? 100;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new RangeError("skills pageSize must be a positive integer");
  }
  const limits = options.limits ?? SKILL_LIMITS;
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`skills limits.${key} must be a positive integer`);
    }
  }
  const cache = checkCacheHint(options.cache ?? DEFAULT_CACHE_HINT, "skills cache");
  const catalog = buildSkillCatalog(options.skills, limits);
  const entries = lazyEntries(catalog);
  const visible = (scopes: readonly string[], principal: Principal) =>
    missingScopes(scopes, principal).length === 0;
  const cacheFields = (ctx: RequestContext) =>
    eraOf(ctx.protocolVersion) === "modern"
      ? { ttlMs: cache.ttlMs, cacheScope: cache.cacheScope }
      : {};
  const uriParam = (params: Record<string, unknown>, method: string): string => {
    if (typeof params.uri !== "string") {
      throw new McpError(ErrorCode.InvalidParams, `${method}: uri must be a string`);
    }
    return params.uri;
  };

  const template: ResourceTemplateDefinition = {
    uriTemplate: "skill://{+path}",
    name: "skills",
    description: "The files of the skills this server serves (SEP-2640)",
    cache,
    list: (ctx) =>
      catalog.skills.filter((skill) => visible(skill.scopes, ctx.principal)).map(
        (skill): ResourceEntry => ({
          uri: skill.uri,
          name: skill.frontmatter.name as string,
          description: skill.frontmatter.description as string,
          mimeType: "text/markdown",
          size: catalog.files.get(skill.uri)!.bytes.byteLength,
        }),
      ),
    read: (uri, _variables, ctx) => {
      const file = catalog.files.get(uri);
      if (file === undefined || !visible(file.scopes, ctx.principal)) return undefined;
      const text = utf8(file.bytes);
      return text === undefined
        ? { uri, mimeType: file.mimeType, blob: encodeBase64(file.bytes) }
        : { uri, mimeType: file.mimeType, text };
    },
  };

  return {
    id: SKILLS_EXTENSION_ID,
    settings: { directoryRead: true },
    resourceTemplates: [template],
    methods: {
      "skills/list": {
        async handle(params, ctx) {
          const shown = catalog.skills.filter((skill) => visible(skill.scopes, ctx.principal));
          const page = paginate("skills", shown, params.cursor, pageSize);
          const all = await entries();
          const result: Record<string, unknown> = {
            skills: page.items.map((skill) => all.get(skill.uri)!),
          };
          if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
          return { ...result, ...cacheFields(ctx) };
        },
      },
      "skills/get": {
        async handle(params, ctx) {
          const uri = uriParam(params, "skills/get");
          const skill = catalog.skills.find((candidate) => candidate.uri === uri);
          if (skill === undefined || !visible(skill.scopes, ctx.principal)) {
            throw new McpError(ErrorCode.InvalidParams, "No skill is served at that uri");
          }
          return { skill: (await entries()).get(uri)!, ...cacheFields(ctx) };
        },
      },
      "resources/directory/read": {
        handle(params, ctx) {
          const uri = uriParam(params, "resources/directory/read");
          const folder = catalog.folders.get(uri);
          if (folder === undefined || !visible(folder.scopes, ctx.principal)) {
            throw new McpError(ErrorCode.InvalidParams, "Not a directory resource");
          }
          const page = paginate(`dir:${uri}`, folder.children, params.cursor, pageSize);
          const result: Record<string, unknown> = { resources: page.items };
          if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
          return { ...result, ...cacheFields(ctx) };
        },
      },
    },
  };
}

/** The skill entries with their digests, taken on first use and kept (a failure is retried). */
function lazyEntries(catalog: SkillCatalog): () => Promise<Map<string, SkillEntry>> {
  let pending: Promise<Map<string, SkillEntry>> | undefined;
  return () => {
    pending ??= build(catalog).catch((error) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

async function build(catalog: SkillCatalog): Promise<Map<string, SkillEntry>> {
  const map = new Map<string, SkillEntry>();
  for (const skill of catalog.skills) map.set(skill.uri, await entryOf(catalog, skill));
  return map;
}

async function entryOf(catalog: SkillCatalog, skill: CatalogSkill): Promise<SkillEntry> {
  const resources = [];
  for (const uri of skill.fileUris) {
    const bytes = catalog.files.get(uri)!.bytes;
    resources.push({ uri, digest: await sha256(bytes), size: bytes.byteLength });
  }
  return { uri: skill.uri, frontmatter: skill.frontmatter, resources };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  return `sha256:${await hexDigest("SHA-256", bytes)}`;
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
