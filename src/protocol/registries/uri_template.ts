/**
 * Matching URIs against RFC 6570 URI templates, for resource templates.
 * Supports the expressions MCP servers use: `{var}`, `{+var}`, `{#var}`,
 * `{/var}`, `{.var}`, `{;var}`, `{?a,b}`, `{&a,b}` (modifiers `*` and `:n`
 * are accepted and ignored when matching). It matches; it does not expand.
 * @module
 */

/** A compiled template. */
export interface UriTemplate {
  /** The template text as given. */
  readonly template: string;
  /** The variable names, in order of appearance. */
  readonly variables: readonly string[];
  /** Returns the variables when `uri` matches, otherwise undefined. */
  match(uri: string): Record<string, string> | undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

interface Part {
  operator: string;
  names: string[];
}

/**
 * Compiles a URI template. Throws a SyntaxError naming the template when an
 * expression is unterminated or empty.
 *
 * @example
 * ```ts
 * import { compileUriTemplate } from "./uri_template.ts";
 * compileUriTemplate("test://template/{id}/data").match("test://template/42/data"); // { id: "42" }
 * ```
 */
export function compileUriTemplate(template: string): UriTemplate {
  let pattern = "^";
  const parts: Part[] = [];
  let index = 0;
  while (index < template.length) {
    const open = template.indexOf("{", index);
    if (open === -1) {
      pattern += escapeRegExp(template.slice(index));
      break;
    }
    pattern += escapeRegExp(template.slice(index, open));
    const close = template.indexOf("}", open);
    if (close === -1) throw new SyntaxError(`Unterminated expression in URI template: ${template}`);
    let body = template.slice(open + 1, close);
    let operator = "";
    if (body !== "" && "+#/.;?&".includes(body[0])) {
      operator = body[0];
      body = body.slice(1);
    }
    const names = body.split(",").map((name) => name.replace(/\*$|:\d+$/, "").trim());
    if (names.some((name) => name === "")) {
      throw new SyntaxError(`Empty variable in URI template: ${template}`);
    }
    parts.push({ operator, names });
    pattern += groupFor(operator, names.length);
    index = close + 1;
  }
  const regex = new RegExp(pattern + "$");
  const variables = parts.flatMap((part) => part.names);
  return {
    template,
    variables,
    match(uri: string): Record<string, string> | undefined {
      const found = regex.exec(uri);
      if (found === null) return undefined;
      const result: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const captured = found[i + 1];
        if (captured === undefined) continue;
        if (!assign(parts[i], captured, result)) return undefined;
      }
      return result;
    },
  };
}

function groupFor(operator: string, count: number): string {
  switch (operator) {
    case "+":
      return "([^?#]*)";
    case "#":
      return "(?:#(.*))?";
    case "/":
      return "((?:/[^/?#]*)" + (count > 1 ? "*" : "") + ")";
    case ".":
      return "((?:\\.[^/?#.]*)" + (count > 1 ? "*" : "") + ")";
    case ";":
      return "((?:;[^/?#]*)*)";
    case "?":
      return "(?:\\?([^#]*))?";
    case "&":
      return "((?:&[^#]*)?)";
    default:
      return "([^/?#]*)";
  }
}

function assign(part: Part, captured: string, into: Record<string, string>): boolean {
  const { operator, names } = part;
  if (operator === "?" || operator === "&" || operator === ";") {
    const separator = operator === ";" ? ";" : "&";
    for (const pair of captured.split(separator)) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      const key = safeDecode(eq === -1 ? pair : pair.slice(0, eq));
      const value = safeDecode(eq === -1 ? "" : pair.slice(eq + 1));
      if (key === undefined || value === undefined) return false;
      if (names.includes(key)) into[key] = value;
    }
    return true;
  }
  let text = captured;
  if (operator === "/" || operator === ".") text = text.slice(1);
  const values = names.length === 1
    ? [text]
    : text.split(operator === "/" ? "/" : operator === "." ? "." : ",");
  for (let i = 0; i < names.length && i < values.length; i++) {
    const value = operator === "+" || operator === "#" ? values[i] : safeDecode(values[i]);
    if (value === undefined) return false;
    into[names[i]] = value;
  }
  return true;
}
