/**
 * A resource template's variables typed from its `uriTemplate` literal
 * (`TemplateVariables`): the `@ts-expect-error` lines are the test, as in
 * schema_types_test.ts: `deno check` (and `deno test`, which type-checks)
 * fails when one stops being an error. At run time the templates are read
 * through @tether/mcp/testing, so the types describe what `read` really gets.
 */

import assert from "node:assert/strict";
import { it } from "node:test";
import {
  createMcpHandler,
  defineResourceTemplate,
  type ResourceTemplateDefinition,
} from "../../../../mod.ts";
import type { TemplateVariables } from "../../../../src/types/mod.ts";
import { connect } from "../../../../src/testing/mod.ts";

const posts = defineResourceTemplate({
  uriTemplate: "users://{id}/posts/{post}{?page,sort}",
  name: "post",
  complete: {
    id: () => ["7"],
    // @ts-expect-error no variable is named user
    user: () => [],
  },
  read: (_uri, variables) => {
    const { id, post, page } = variables;
    const idText: string = id;
    const postText: string = post;
    // @ts-expect-error page is absent when the URI has no ?page=
    const pageText: string = page;
    // @ts-expect-error the template has no variable named user
    void variables.user;
    return JSON.stringify({ idText, postText, pageText, sort: variables.sort ?? null });
  },
});

const files = defineResourceTemplate({
  uriTemplate: "files://{+path}{#section}",
  name: "file",
  read: (_uri, { path, section }) => {
    // @ts-expect-error section is a fragment: it may be absent
    const sectionText: string = section;
    return `${path.toUpperCase()} ${sectionText ?? "-"}`;
  },
});

// A template typed as plain string keeps Record<string, string>; a typed one is still a definition.
const anyName: TemplateVariables<string> = { whatever: "x" };
const list: ResourceTemplateDefinition[] = [posts, files];
// @ts-expect-error id is required for this template
const missing: TemplateVariables<"users://{id}"> = {};
const modifiers: TemplateVariables<"x://{/seg*}{.ext}{id:3}"> = { seg: "a", ext: "b", id: "c" };
// In a list only the first name is always there.
const firstOnly: TemplateVariables<"m://{x,y}"> = { x: "1" };
// @ts-expect-error x is required
const withoutFirst: TemplateVariables<"m://{x,y}"> = { y: "1" };
void [anyName, missing, modifiers, firstOnly, withoutFirst];

it("read gets the variables its type names: required ones always, query and fragment ones when present", async () => {
  const handler = createMcpHandler({ name: "t", version: "1", resourceTemplates: list });
  const client = await connect(handler, { era: "2026" });
  try {
    const read = async (uri: string) => {
      const { result } = await client.request("resources/read", { uri });
      return (result as { contents: { text: string }[] }).contents[0].text;
    };
    assert.deepEqual(JSON.parse(await read("users://7/posts/42")), {
      idText: "7",
      postText: "42",
      sort: null,
    });
    assert.deepEqual(JSON.parse(await read("users://7/posts/42?page=2&sort=new")), {
      idText: "7",
      postText: "42",
      pageText: "2",
      sort: "new",
    });
    assert.equal(await read("files://a/b.txt"), "A/B.TXT -");
    assert.equal(await read("files://a/b.txt#intro"), "A/B.TXT intro");
  } finally {
    await client.close();
    await handler.close();
  }
});
