/**
 * Icons on the server info, tools, resources, resource templates and
 * prompts: listed as given in both eras (the sessionful InitializeResult and
 * lists, the stateless discover/serverInfo and lists), and a bad icon (no
 * src, a javascript: URL, a malformed size or theme) refused at startup.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
} from "../../../../mod.ts";
import type { Icon } from "../../../../src/types/mod.ts";
import { connect, type TestClient } from "../../../../src/testing/mod.ts";
import { makeHandler } from "../../../helpers.ts";

const PNG: Icon = { src: "https://example.com/tool.png", mimeType: "image/png", sizes: ["48x48"] };
const SVG: Icon = {
  src: "data:image/svg+xml;base64,PHN2Zy8+",
  mimeType: "image/svg+xml",
  sizes: ["any"],
  theme: "dark",
};

/** The result of one request (the lists' shapes are what these tests look into). */
// deno-lint-ignore no-explicit-any
async function list(client: TestClient, method: string): Promise<any> {
  return (await client.request(method)).result;
}

function withIcons() {
  return makeHandler({
    icons: [SVG],
    websiteUrl: "https://example.com",
    tools: [defineTool({ name: "draw", icons: [PNG], handler: () => "drawn" })],
    resources: [defineResource({ uri: "docs://a", name: "a", icons: [PNG], read: () => "a" })],
    resourceTemplates: [defineResourceTemplate({
      uriTemplate: "users://{id}",
      name: "user",
      icons: [SVG],
      read: () => "u",
    })],
    prompts: [definePrompt({ name: "greet", icons: [PNG, SVG], handler: () => "hi" })],
  });
}

describe("icons", () => {
  it("a 2025-11-25 session sees them on serverInfo and every list", async () => {
    const handler = withIcons();
    try {
      const client = await connect(handler);
      // deno-lint-ignore no-explicit-any
      const serverInfo = client.initializeResult!.serverInfo as any;
      assert.deepEqual(serverInfo.icons, [SVG]);
      assert.equal(serverInfo.websiteUrl, "https://example.com");
      const tools = await list(client, "tools/list");
      assert.deepEqual(tools.tools[0].icons, [PNG]);
      const resources = await list(client, "resources/list");
      assert.deepEqual(resources.resources[0].icons, [PNG]);
      const templates = await list(client, "resources/templates/list");
      assert.deepEqual(templates.resourceTemplates[0].icons, [SVG]);
      const prompts = await list(client, "prompts/list");
      assert.deepEqual(prompts.prompts[0].icons, [PNG, SVG]);
    } finally {
      await handler.close();
    }
  });

  it("a 2026-07-28 request sees them on serverInfo and every list", async () => {
    const handler = withIcons();
    try {
      const client = await connect(handler, { era: "2026" });
      const discover = await list(client, "server/discover");
      const serverInfo = discover._meta["io.modelcontextprotocol/serverInfo"];
      assert.deepEqual(serverInfo.icons, [SVG]);
      const tools = await list(client, "tools/list");
      assert.deepEqual(tools.tools[0].icons, [PNG]);
      const resources = await list(client, "resources/list");
      assert.deepEqual(resources.resources[0].icons, [PNG]);
      const templates = await list(client, "resources/templates/list");
      assert.deepEqual(templates.resourceTemplates[0].icons, [SVG]);
      const prompts = await list(client, "prompts/list");
      assert.deepEqual(prompts.prompts[0].icons, [PNG, SVG]);
    } finally {
      await handler.close();
    }
  });

  it("a definition without icons lists none", async () => {
    const handler = makeHandler({ tools: [defineTool({ name: "plain", handler: () => "" })] });
    try {
      const client = await connect(handler);
      assert.equal("icons" in (client.initializeResult!.serverInfo as object), false);
      const tools = await client.listTools();
      assert.equal("icons" in tools.tools[0], false);
    } finally {
      await handler.close();
    }
  });

  const BAD: [string, unknown, RegExp][] = [
    ["not an array", { src: "https://example.com/a.png" }, /icons must be an array/],
    ["no src", [{ mimeType: "image/png" }], /icons\[0\] needs a string src/],
    ["not a URL", [{ src: "logo.png" }], /src is not a URL/],
    ["a javascript: URL", [{ src: "javascript:alert(1)" }], /https:, http: or data:/],
    ["a bad size", [{ src: "https://a.example/i.png", sizes: ["big"] }], /sizes must be/],
    ["a bad theme", [{ src: "https://a.example/i.png", theme: "blue" }], /theme must be/],
  ];
  for (const [what, icons, message] of BAD) {
    it(`refuses ${what} at startup, naming the definition`, () => {
      assert.throws(
        () => makeHandler({ tools: [{ name: "t", icons: icons as Icon[], handler: () => "" }] }),
        (error: Error) =>
          error instanceof TypeError && /Tool "t"/.test(error.message) &&
          message.test(error.message),
      );
      assert.throws(() => makeHandler({ icons: icons as Icon[] }), message);
      assert.throws(
        () =>
          makeHandler({
            prompts: [{ name: "p", icons: icons as Icon[], handler: () => "" }],
          }),
        /Prompt "p"/,
      );
      assert.throws(
        () =>
          makeHandler({
            resources: [{ uri: "docs://x", name: "x", icons: icons as Icon[], read: () => "" }],
          }),
        /Resource docs:\/\/x/,
      );
    });
  }

  it("refuses a websiteUrl that is not a web URL", () => {
    assert.throws(() => makeHandler({ websiteUrl: "javascript:alert(1)" }), /websiteUrl/);
  });
});
