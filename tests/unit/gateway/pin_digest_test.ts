/**
 * The pin digest and the pin set's parser: the digest is `v2:sha256:`, the
 * SHA-256 of the canonical JSON of the fields a model or user sees and a
 * client renders or follows (`_meta`, icons), the same whatever the key
 * order, blind to the fields left out, and changed by every field in; the
 * legacy `sha256:` digest is the one of before; a pin set read from JSON is
 * checked and copied, `__proto__` included, both forms accepted.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { canonicalJson, legacyPinDigest } from "../../../src/gateway/catalog/pin_digest.ts";
import { parsePinSet, pinDigest } from "../../../src/gateway/mod.ts";

const TOOL = {
  name: "read",
  title: "Read",
  description: "Reads a file",
  inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  annotations: { readOnlyHint: true },
};

describe("pin digest", () => {
  it("is SHA-256 of the canonical JSON of the covered fields", async () => {
    const text = canonicalJson(TOOL);
    assert.equal(
      text,
      '{"annotations":{"readOnlyHint":true},"description":"Reads a file",' +
        '"inputSchema":{"properties":{"path":{"type":"string"}},"required":["path"],"type":"object"},' +
        '"name":"read","title":"Read"}',
    );
    const expected = createHash("sha256").update(text).digest("hex");
    assert.equal(await pinDigest("tools", TOOL), `v2:sha256:${expected}`);
    assert.equal(await legacyPinDigest("tools", TOOL), `sha256:${expected}`, "no _meta, no icons");
  });

  it("covers _meta and icons when listed; the legacy digest does not", async () => {
    const rendered = {
      ...TOOL,
      _meta: { ui: { resourceUri: "ui://files/viewer.html" } },
      icons: [{ src: "https://example.com/i.png" }],
    };
    const text = canonicalJson(rendered);
    const expected = createHash("sha256").update(text).digest("hex");
    assert.equal(await pinDigest("tools", rendered), `v2:sha256:${expected}`);
    const changes: Record<string, unknown>[] = [
      { _meta: { ui: { resourceUri: "ui://files/other.html" } } },
      {
        _meta: { ui: { resourceUri: "ui://files/viewer.html" }, "openai/outputTemplate": "ui://x" },
      },
      { icons: [{ src: "https://example.com/j.png" }] },
      { icons: undefined },
    ];
    for (const change of changes) {
      assert.notEqual(
        await pinDigest("tools", { ...rendered, ...change }),
        await pinDigest("tools", rendered),
        JSON.stringify(change),
      );
      assert.equal(
        await legacyPinDigest("tools", { ...rendered, ...change }),
        await legacyPinDigest("tools", TOOL),
        "the legacy digest ignores _meta and icons",
      );
    }
    const prompt = { name: "greet", icons: [{ src: "https://example.com/p.png" }] };
    assert.notEqual(
      await pinDigest("prompts", prompt),
      await pinDigest("prompts", { ...prompt, icons: [{ src: "https://example.com/q.png" }] }),
    );
  });

  it("is the same whatever the key order, and ignores execution", async () => {
    const reordered = {
      annotations: { readOnlyHint: true },
      inputSchema: { required: ["path"], properties: { path: { type: "string" } }, type: "object" },
      description: "Reads a file",
      title: "Read",
      name: "read",
      execution: { taskSupport: "optional" },
    };
    assert.equal(await pinDigest("tools", reordered), await pinDigest("tools", TOOL));
  });

  it("changes with each covered field of each kind", async () => {
    const base = await pinDigest("tools", TOOL);
    const changes: Record<string, unknown>[] = [
      { name: "read2" },
      { title: "Read!" },
      { description: "Reads a file, then mails it" },
      { inputSchema: { type: "object", properties: { path: { type: "number" } } } },
      { outputSchema: { type: "object" } },
      { annotations: { readOnlyHint: false } },
    ];
    for (const change of changes) {
      assert.notEqual(
        await pinDigest("tools", { ...TOOL, ...change }),
        base,
        JSON.stringify(change),
      );
    }
    const prompt = { name: "greet", description: "Greets", arguments: [{ name: "to" }] };
    assert.notEqual(
      await pinDigest("prompts", prompt),
      await pinDigest("prompts", { ...prompt, arguments: [{ name: "to", required: true }] }),
    );
    const resource = { uri: "memo://a", name: "a", mimeType: "text/plain" };
    assert.notEqual(
      await pinDigest("resources", resource),
      await pinDigest("resources", { ...resource, mimeType: "text/html" }),
    );
    assert.equal(
      await pinDigest("resources", resource),
      await pinDigest("resources", { ...resource, size: 12 }),
      "a resource's size is not pinned",
    );
    const template = { uriTemplate: "memo://{id}", name: "memo" };
    assert.notEqual(
      await pinDigest("resourceTemplates", template),
      await pinDigest("resourceTemplates", { ...template, uriTemplate: "memo://{+id}" }),
    );
  });

  it("canonical JSON keeps array order and escapes strings as JSON does", () => {
    assert.equal(canonicalJson([3, 1, 2]), "[3,1,2]");
    assert.equal(canonicalJson({ "é": "\u2028\n", a: null }), '{"a":null,"é":"\u2028\\n"}');
    assert.equal(canonicalJson({ b: undefined, a: [undefined] }), '{"a":[null]}');
  });
});

describe("parsePinSet", () => {
  const digest = `v2:sha256:${"ab".repeat(32)}`;
  const legacy = `sha256:${"cd".repeat(32)}`;

  it("copies a valid set, own __proto__ keys included, legacy digests too", () => {
    const parsed = parsePinSet(
      JSON.parse(`{"up":{"tools":{"__proto__":"${digest}","a":"${digest}","b":"${legacy}"}}}`),
    );
    assert.equal(Object.hasOwn(parsed.up.tools!, "__proto__"), true);
    assert.equal(parsed.up.tools!.a, digest);
    assert.equal(parsed.up.tools!.b, legacy);
    assert.equal(Object.getPrototypeOf(parsed.up.tools), Object.prototype);
  });

  it("refuses a bad set, naming the bad part", () => {
    assert.throws(() => parsePinSet([]), /must be an object of upstreams/);
    assert.throws(() => parsePinSet({ up: "x" }), /upstream "up" must be an object of kinds/);
    assert.throws(() => parsePinSet({ up: { widgets: {} } }), /has "widgets", not one of/);
    assert.throws(() => parsePinSet({ up: { tools: [] } }), /tools must be an object of digests/);
    assert.throws(
      () => parsePinSet({ up: { tools: { a: "sha256:XYZ" } } }),
      /tools "a" is not a v2:sha256:<64 hex> digest/,
    );
    assert.throws(
      () => parsePinSet({ up: { tools: { a: `v3:sha256:${"ab".repeat(32)}` } } }),
      /tools "a" is not a v2:sha256:<64 hex> digest/,
    );
  });
});
