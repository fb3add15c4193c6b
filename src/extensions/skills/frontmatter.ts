/**
 * Reads the YAML frontmatter of a `SKILL.md` into the JSON object that
 * `skills/list` carries. Only the subset skill manifests use: `key: value`
 * lines (plain, single- or double-quoted scalars; YAML's core schema for
 * booleans, null and numbers) and one level of nested `key:` maps (such as
 * `metadata`). Anything else (lists, block scalars, anchors, flow maps) is
 * refused with an error naming the line, never guessed at.
 * @module
 */

/** The `---` delimited block at the top of a file (after an optional BOM). */
const BLOCK = /^---\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;
const KEY_LINE = /^([A-Za-z0-9_][A-Za-z0-9_./-]*)[ \t]*:(?:[ \t]+(.*))?$/;

/**
 * Parses the frontmatter of `markdown`; throws a TypeError when there is
 * none or it uses YAML beyond the supported subset.
 *
 * @example
 * ```ts
 * import { parseFrontmatter } from "./frontmatter.ts";
 * parseFrontmatter("---\nname: pdf\ndescription: Fill PDF forms\n---\nBody");
 * // { name: "pdf", description: "Fill PDF forms" }
 * ```
 */
export function parseFrontmatter(markdown: string): Record<string, unknown> {
  const text = markdown.charCodeAt(0) === 0xfeff ? markdown.slice(1) : markdown;
  const block = BLOCK.exec(text);
  if (block === null) throw new TypeError("SKILL.md has no leading --- frontmatter block");
  const result: Record<string, unknown> = {};
  // The key whose nested map the indented lines fill (null in YAML until one comes).
  let parent: string | undefined;
  let nested: Record<string, unknown> | undefined;
  let indent = "";
  for (const [index, raw] of (block[1] ?? "").split(/\r?\n/).entries()) {
    const line = raw.replace(/[ \t]+$/, "");
    if (line === "" || /^\s*#/.test(line)) continue;
    const where = `frontmatter line ${index + 2}`;
    const leading = /^[ \t]*/.exec(line)![0];
    if (leading !== "") {
      if (parent === undefined || (indent !== "" && leading !== indent)) {
        throw new TypeError(`${where}: unexpected indentation`);
      }
      indent = leading;
      if (nested === undefined) result[parent] = nested = {};
      const [key, value] = keyValue(line.slice(leading.length), where);
      if (value === undefined) {
        throw new TypeError(`${where}: only one level of nesting is supported`);
      }
      setOwn(nested, key, value, where);
      continue;
    }
    const [key, value] = keyValue(line, where);
    nested = undefined;
    indent = "";
    parent = value === undefined ? key : undefined;
    setOwn(result, key, value === undefined ? null : value, where);
  }
  return result;
}

function keyValue(line: string, where: string): [string, unknown] {
  const match = KEY_LINE.exec(line);
  if (match === null) throw new TypeError(`${where}: expected "key: value"`);
  return [match[1], match[2] === undefined ? undefined : scalar(match[2], where)];
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown, where: string): void {
  if (Object.hasOwn(target, key)) throw new TypeError(`${where}: duplicate key ${key}`);
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function scalar(text: string, where: string): unknown {
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) throw new TypeError(`${where}: unterminated string`);
    try {
      return JSON.parse(text);
    } catch {
      throw new TypeError(`${where}: unsupported escape in a double-quoted string`);
    }
  }
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) throw new TypeError(`${where}: unterminated string`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  // A comment after a plain scalar ends it.
  const plain = text.replace(/[ \t]+#.*$/, "");
  if (/^[[{&*!|>%@`]/.test(plain) || /^- /.test(plain) || plain === "-" || /: /.test(plain)) {
    throw new TypeError(`${where}: only plain or quoted scalars are supported`);
  }
  if (/^(?:true|True|TRUE)$/.test(plain)) return true;
  if (/^(?:false|False|FALSE)$/.test(plain)) return false;
  if (/^(?:null|Null|NULL|~)$/.test(plain)) return null;
  if (/^[-+]?[0-9]+$/.test(plain)) return Number(plain);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)) {
    return Number(plain);
  }
  return plain;
}
