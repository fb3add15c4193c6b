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
  type Icon,
} from "../../mod.ts";
import { initialize, makeHandler, rpc } from "../helpers.ts";
import { modernRpc } from "../modern/helpers.ts";

const PNG: Icon = { src: "https://example.com/tool.png", mimeType: "image/png", sizes: ["48x48"] };
const SVG: Icon = {
  src: "data:image/svg+xml;base64,PHN2Zy8+",
  mimeType: "image/svg+xml",
  sizes: ["any"],
  theme: "dark",
};

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
      const session = await initialize(handler);
      assert.deepEqual(session.result.serverInfo.icons, [SVG]);
      assert.equal(session.result.serverInfo.websiteUrl, "https://example.com");
      const tools = await rpc(handler, session, "tools/list");
      assert.deepEqual(tools.message.result.tools[0].icons, [PNG]);
      const resources = await rpc(handler, session, "resources/list");
      assert.deepEqual(resources.message.result.resources[0].icons, [PNG]);
      const templates = await rpc(handler, session, "resources/templates/list");
      assert.deepEqual(templates.message.result.resourceTemplates[0].icons, [SVG]);
      const prompts = await rpc(handler, session, "prompts/list");
      assert.deepEqual(prompts.message.result.prompts[0].icons, [PNG, SVG]);
    } finally {
      await handler.close();
    }
  });

  it("a 2026-07-28 request sees them on serverInfo and every list", async () => {
    const handler = withIcons();
    try {
      const discover = await modernRpc(handler, "server/discover");
      const serverInfo = discover.message.result._meta["io.modelcontextprotocol/serverInfo"];
      assert.deepEqual(serverInfo.icons, [SVG]);
      const tools = await modernRpc(handler, "tools/list");
      assert.deepEqual(tools.message.result.tools[0].icons, [PNG]);
      const resources = await modernRpc(handler, "resources/list");
      assert.deepEqual(resources.message.result.resources[0].icons, [PNG]);
      const templates = await modernRpc(handler, "resources/templates/list");
      assert.deepEqual(templates.message.result.resourceTemplates[0].icons, [SVG]);
      const prompts = await modernRpc(handler, "prompts/list");
      assert.deepEqual(prompts.message.result.prompts[0].icons, [PNG, SVG]);
    } finally {
      await handler.close();
    }
  });

  it("a definition without icons lists none", async () => {
    const handler = makeHandler({ tools: [defineTool({ name: "plain", handler: () => "" })] });
    try {
      const session = await initialize(handler);
      assert.equal("icons" in session.result.serverInfo, false);
      const tools = await rpc(handler, session, "tools/list");
      assert.equal("icons" in tools.message.result.tools[0], false);
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
