/**
 * The registries' `replace(remove, add)`: one change, heard once; checked
 * whole first, so a bad or duplicate definition leaves the registry as it
 * was and tells no listener.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PromptRegistry } from "../../../../src/protocol/registries/prompts.ts";
import { ResourceRegistry } from "../../../../src/protocol/registries/resources.ts";
import { ToolRegistry } from "../../../../src/protocol/registries/tools.ts";
import type { AnyToolDefinition } from "../../../../src/protocol/definitions/definitions.ts";

const tool = (name: string): AnyToolDefinition => ({ name, handler: () => name });
const names = (listing: readonly object[], key = "name") =>
  listing.map((entry) => (entry as Record<string, unknown>)[key]);

describe("registry replace", () => {
  it("tools: removes and adds as one change, heard once", () => {
    const tools = new ToolRegistry([tool("keep"), tool("old1"), tool("old2")]);
    let changes = 0;
    tools.onChange(() => changes++);
    tools.replace(["old1", "old2", "absent"], [tool("new1"), tool("new2")]);
    assert.deepEqual(names(tools.list()), ["keep", "new1", "new2"]);
    assert.equal(changes, 1);
    tools.replace(["absent"], []);
    assert.equal(changes, 1, "nothing changed, nothing heard");
  });

  it("tools: a duplicate or bad definition changes nothing and is not heard", () => {
    const tools = new ToolRegistry([tool("keep"), tool("old")]);
    let changes = 0;
    tools.onChange(() => changes++);
    assert.throws(
      () => tools.replace(["old"], [tool("fresh"), tool("keep")]),
      /Duplicate tool name: keep/,
    );
    assert.throws(
      () => tools.replace(["old"], [tool("fresh"), tool("bad name!")]),
      /Invalid tool name/,
    );
    assert.throws(
      () => tools.replace([], [{ ...tool("scoped"), scopes: ["a"] }, tool("keep")]),
      /Duplicate tool name/,
    );
    assert.deepEqual(names(tools.list()), ["keep", "old"]);
    assert.equal(tools.scoped, false, "a refused scoped tool leaves no trace");
    assert.equal(changes, 0);
  });

  it("prompts: one change, or none", () => {
    const prompts = new PromptRegistry([{ name: "a", handler: () => "a" }]);
    let changes = 0;
    prompts.onChange(() => changes++);
    assert.throws(
      () =>
        prompts.replace(["a"], [{ name: "b", handler: () => "b" }, {
          name: "b",
          handler: () => "b",
        }]),
      /Duplicate prompt name: b/,
    );
    assert.deepEqual(names(prompts.list()), ["a"]);
    prompts.replace(["a"], [{ name: "b", handler: () => "b" }, { name: "c", handler: () => "c" }]);
    assert.deepEqual(names(prompts.list()), ["b", "c"]);
    assert.equal(prompts.definition("b")?.name, "b");
    assert.equal(changes, 1);
  });

  it("resources and templates: one change, or none", () => {
    const read = () => "x";
    const resources = new ResourceRegistry(
      [{ uri: "a://1", name: "one", read }],
      [{ uriTemplate: "a://t/{x}", name: "t", read }],
    );
    let changes = 0;
    resources.onChange(() => changes++);
    assert.throws(
      () =>
        resources.replace(["a://1"], [{ uri: "a://2", name: "two", read }], [
          { uriTemplate: "a://t/{x}", name: "again", read },
        ]),
      /Duplicate resource template/,
    );
    assert.deepEqual(names(resources.definitions().resources, "uri"), ["a://1"]);
    assert.equal(changes, 0);
    resources.replace(["a://1", "a://t/{x}"], [{ uri: "a://2", name: "two", read }], [
      { uriTemplate: "a://u/{x}", name: "u", read },
    ]);
    const { resources: fixed, templates } = resources.definitions();
    assert.deepEqual(names(fixed, "uri"), ["a://2"]);
    assert.deepEqual(names(templates, "uriTemplate"), ["a://u/{x}"]);
    assert.deepEqual(names(resources.listTemplates(), "uriTemplate"), ["a://u/{x}"]);
    assert.equal(changes, 1);
  });
});
