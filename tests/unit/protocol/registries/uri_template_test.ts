/** RFC 6570 URI template matching for resource templates. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compileUriTemplate } from "../../../../src/protocol/registries/uri_template.ts";

describe("compileUriTemplate", () => {
  it("matches a simple variable", () => {
    const template = compileUriTemplate("test://template/{id}/data");
    assert.deepEqual(template.variables, ["id"]);
    assert.deepEqual(template.match("test://template/42/data"), { id: "42" });
  });

  it("a simple variable does not span a slash", () => {
    assert.equal(
      compileUriTemplate("test://template/{id}/data").match("test://template/4/2/data"),
      undefined,
    );
  });

  it("does not match other URIs", () => {
    const template = compileUriTemplate("test://template/{id}/data");
    assert.equal(template.match("test://template/42/other"), undefined);
    assert.equal(template.match("other://template/42/data"), undefined);
    assert.equal(template.match("test://template/42/data/extra"), undefined);
    assert.equal(template.match("prefix-test://template/42/data"), undefined);
  });

  it("treats regex metacharacters in the literal parts literally", () => {
    const template = compileUriTemplate("a.b+c://{x}");
    assert.deepEqual(template.match("a.b+c://1"), { x: "1" });
    assert.equal(template.match("aXb+c://1"), undefined);
    assert.equal(template.match("a.bbc://1"), undefined);
  });

  it("percent-decodes simple variables", () => {
    const template = compileUriTemplate("users://{name}");
    assert.deepEqual(template.match("users://J%C3%BCrgen%20M"), { name: "Jürgen M" });
  });

  it("a malformed percent-encoding does not match", () => {
    assert.equal(compileUriTemplate("users://{name}").match("users://%E0%A4%A"), undefined);
  });

  it("{+path} spans slashes and keeps reserved characters", () => {
    const template = compileUriTemplate("files://{+path}");
    assert.deepEqual(template.match("files://a/b/c.txt"), { path: "a/b/c.txt" });
    assert.deepEqual(template.match("files://"), { path: "" });
  });

  it("{?q,x} reads query parameters, decoded, in any order, and all are optional", () => {
    const template = compileUriTemplate("search://items{?q,x}");
    assert.deepEqual(template.variables, ["q", "x"]);
    assert.deepEqual(template.match("search://items?q=hello%20world&x=1"), {
      q: "hello world",
      x: "1",
    });
    assert.deepEqual(template.match("search://items?x=2&q=a"), { q: "a", x: "2" });
    assert.deepEqual(template.match("search://items?x=2"), { x: "2" });
    assert.deepEqual(template.match("search://items"), {});
    assert.deepEqual(template.match("search://items?other=1&q=z"), { q: "z" });
    assert.equal(template.match("search://things?q=1"), undefined);
  });

  it("{/a,b} matches path segments", () => {
    const template = compileUriTemplate("files{/dir,name}");
    assert.deepEqual(template.match("files/docs/readme.md"), { dir: "docs", name: "readme.md" });
  });

  it("{#frag} matches an optional fragment", () => {
    const template = compileUriTemplate("doc://page{#section}");
    assert.deepEqual(template.match("doc://page#intro"), { section: "intro" });
    assert.deepEqual(template.match("doc://page"), {});
  });

  it("combines a path variable with query parameters", () => {
    const template = compileUriTemplate("db://{table}/rows{?limit}");
    assert.deepEqual(template.match("db://users/rows?limit=10"), { table: "users", limit: "10" });
  });

  it("ignores the * and :n modifiers when matching", () => {
    assert.deepEqual(compileUriTemplate("x://{id:3}").match("x://abcdef"), { id: "abcdef" });
    assert.deepEqual(compileUriTemplate("x://{list*}").variables, ["list"]);
  });

  it("refuses unterminated or empty expressions with a SyntaxError", () => {
    assert.throws(() => compileUriTemplate("x://{id"), SyntaxError);
    assert.throws(() => compileUriTemplate("x://{}"), SyntaxError);
    assert.throws(() => compileUriTemplate("x://{a,}"), SyntaxError);
  });

  it("a template without expressions matches only itself", () => {
    const template = compileUriTemplate("fixed://thing");
    assert.deepEqual(template.match("fixed://thing"), {});
    assert.equal(template.match("fixed://thing2"), undefined);
  });
});
