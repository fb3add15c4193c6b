/**
 * The variables of an RFC 6570 URI template, read from its string literal
 * type: what a resource template's `read` receives, typed. Types only, the
 * same reading src/protocol/registries/uri_template.ts does at run time; a
 * template typed as plain `string` gives `Record<string, string>`. Names are
 * taken as written (modifiers `*` and `:n` removed, no other normalization).
 * @module
 */

/**
 * The variable names of the template `T`: all of them, or with `Which` =
 * `"required"` those a matching URI always carries (the first name of a
 * `{id}`, `{+path}`, `{/segment}` or `{.ext}` expression; query `{?q}`,
 * `{&page}`, `{;x}`, fragment `{#f}` and the later names of a list may be
 * absent). These are the keys a template's `complete` may have.
 *
 * @example
 * ```ts
 * import type { TemplateVariableName } from "@tether/mcp/types";
 * const name: TemplateVariableName<"users://{id}{?page}"> = "page";
 * const required: TemplateVariableName<"users://{id}{?page}", "required"> = "id";
 * ```
 */
export type TemplateVariableName<T extends string, Which extends "all" | "required" = "all"> =
  string extends T ? string
    : T extends `${string}{${infer Expression}}${infer Rest}` ?
        | (Expression extends `${"?" | "&" | ";" | "#"}${infer List}`
          ? Which extends "all" ? TemplateVariableName<`{${List}}`, "all"> : never
          : Expression extends `${"+" | "/" | "."}${infer List}`
            ? TemplateVariableName<`{${List}}`, Which>
          : Expression extends `${infer First},${infer More}` ?
              | TemplateVariableName<`{${First}}`, Which>
              | (Which extends "all" ? TemplateVariableName<`{${More}}`, "all"> : never)
          : Expression extends `${infer Name}*` ? Name
          : Expression extends `${infer Name}:${string}` ? Name
          : Expression)
        | TemplateVariableName<Rest, Which>
    : never;

/**
 * The variables `read` receives for the template `T`: a string for each
 * name a matching URI always carries, an optional string for the rest (see
 * {@linkcode TemplateVariableName}). `string` gives `Record<string, string>`.
 *
 * @example
 * ```ts
 * import type { TemplateVariables } from "@tether/mcp/types";
 * const variables: TemplateVariables<"users://{id}/posts{?page}"> = { id: "7" }; // page?: string
 * ```
 */
export type TemplateVariables<T extends string> = string extends T ? Record<string, string>
  : {
    [
      K in keyof (
        & { [K in TemplateVariableName<T>]?: string }
        & { [K in TemplateVariableName<T, "required">]: string }
      )
    ]: (
      & { [K in TemplateVariableName<T>]?: string }
      & { [K in TemplateVariableName<T, "required">]: string }
    )[K];
  };
