/**
 * `@tether/mcp/skills`: the Skills extension (`io.modelcontextprotocol/skills`,
 * SEP-2640) for the `extensions` option of `createMcpHandler`. A skill is a
 * folder of files with a `SKILL.md` at its root; clients list skills
 * (`skills/list`), fetch one entry (`skills/get`), browse its folders
 * (`resources/directory/read`) and read its files (`resources/read` on
 * `skill://` URIs). Skills come from code (or bundled data, on workerd) or,
 * where there is a file system, from a folder (`loadSkillDirectory` of
 * `@tether/mcp/skills/directory`, kept apart so this module loads on workerd).
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { skillsExtension } from "@tether/mcp/skills";
 *
 * const handler = createMcpHandler({
 *   name: "docs",
 *   version: "1.0.0",
 *   extensions: [skillsExtension({
 *     skills: [{ files: { "SKILL.md": "---\nname: style\ndescription: House style\n---\nBe brief." } }],
 *   })],
 * });
 * ```
 * @module
 */

export { SKILLS_EXTENSION_ID, skillsExtension, type SkillsOptions } from "./skills_extension.ts";
export { DIRECTORY_MIME_TYPE, SKILL_LIMITS, type SkillDefinition } from "./skill_catalog.ts";
