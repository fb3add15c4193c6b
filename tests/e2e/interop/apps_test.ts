/**
 * The MCP Apps helpers against `@modelcontextprotocol/ext-apps` 2.0.4's own
 * host-side helpers and schemas, through real SDK clients in both eras (SDK
 * v1 on 2025-11-25, SDK v2 pinned to 2026-07-28): an app tool is listed with
 * a `_meta.ui` that ext-apps' `McpUiToolMetaSchema` accepts and from which
 * its `getToolUiResourceUri` finds the view; that `ui://` resource is listed
 * and read with the Apps MIME type and a `_meta.ui` its
 * `McpUiResourceMetaSchema` accepts; a tool sees whether the client declared
 * Apps as ext-apps' `getUiCapability` does; `appsExtension()` is the
 * declaration ext-apps' constants describe.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as z from "zod";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
import {
  getToolUiResourceUri,
  McpUiResourceMetaSchema,
  McpUiToolMetaSchema,
  RESOURCE_MIME_TYPE,
  RESOURCE_URI_META_KEY,
} from "@modelcontextprotocol/ext-apps/app-bridge";
import { EXTENSION_ID, getUiCapability } from "@modelcontextprotocol/ext-apps/server";
import {
  APP_MIME_TYPE,
  APPS_EXTENSION_ID,
  appsExtension,
  clientSupportsApps,
  defineAppResource,
  defineAppTool,
} from "../../../src/extensions/apps/mod.ts";
import { withServer } from "./helpers.ts";
import { initialize, makeHandler } from "../../helpers.ts";
import { modernRpc } from "../../support/modern_helpers.ts";

const VIEW_URI = "ui://weather/view.html";
const HTML = "<!doctype html><p id=forecast>…</p>";
const APPS_CAPABILITIES = { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } };

function appDefinitions() {
  return {
    tools: [
      defineAppTool({
        name: "forecast",
        description: "Shows the forecast",
        input: z.object({ city: z.string() }),
        ui: { resourceUri: VIEW_URI, visibility: ["model", "app"] },
        handler: ({ city }, ctx) => ({
          content: [{ type: "text", text: `Sunny in ${city}` }],
          structuredContent: {
            city,
            apps: clientSupportsApps(ctx.clientCapabilities),
            // ext-apps types capabilities as the SDK does; the value is the same object.
            extApps: getUiCapability(ctx.clientCapabilities as never) !== undefined,
          },
        }),
      }),
    ],
    resources: [
      defineAppResource({
        uri: VIEW_URI,
        name: "weather view",
        html: HTML,
        ui: { csp: { connectDomains: ["https://api.weather.example"] }, prefersBorder: true },
      }),
    ],
  };
}

/** What each client saw, in one shape. */
interface Seen {
  tools: { name: string; _meta?: Record<string, unknown> }[];
  resources: { uri: string; mimeType?: string; _meta?: Record<string, unknown> }[];
  contents: { uri: string; mimeType?: string; text?: string; _meta?: Record<string, unknown> }[];
  structured: unknown;
}

function assertAppsSeen(seen: Seen): void {
  const tool = seen.tools.find((t) => t.name === "forecast")!;
  assert.equal(getToolUiResourceUri(tool), VIEW_URI, "ext-apps finds the tool's view");
  assert.equal(tool._meta?.[RESOURCE_URI_META_KEY], VIEW_URI, "the flat key for older hosts");
  assert.equal(McpUiToolMetaSchema.safeParse(tool._meta?.ui).success, true);
  const listed = seen.resources.find((r) => r.uri === VIEW_URI)!;
  assert.equal(listed.mimeType, RESOURCE_MIME_TYPE);
  assert.equal(McpUiResourceMetaSchema.safeParse(listed._meta?.ui).success, true);
  const [content] = seen.contents;
  assert.equal(content.uri, VIEW_URI);
  assert.equal(content.mimeType, RESOURCE_MIME_TYPE);
  assert.equal(content.text, HTML);
  const ui = McpUiResourceMetaSchema.parse(content._meta?.ui);
  assert.deepEqual(ui.csp?.connectDomains, ["https://api.weather.example"]);
  assert.deepEqual(seen.structured, { city: "Lyon", apps: true, extApps: true });
}

describe("MCP Apps, against ext-apps 2.0.4", () => {
  it("the constants and the declaration are ext-apps' own", () => {
    assert.equal(APP_MIME_TYPE, RESOURCE_MIME_TYPE);
    assert.equal(APPS_EXTENSION_ID, EXTENSION_ID);
    assert.deepEqual(appsExtension(), {
      id: EXTENSION_ID,
      settings: { mimeTypes: [RESOURCE_MIME_TYPE] },
    });
    assert.equal(clientSupportsApps(APPS_CAPABILITIES), true);
    assert.equal(clientSupportsApps({ extensions: { [EXTENSION_ID]: {} } }), false);
    assert.equal(clientSupportsApps({}), false);
  });

  it("extensions: [appsExtension()] advertises the extension in both eras", async () => {
    const handler = makeHandler({ tools: [], extensions: [appsExtension()] });
    const session = await initialize(handler);
    assert.deepEqual(session.result.capabilities.extensions?.[EXTENSION_ID], {
      mimeTypes: [RESOURCE_MIME_TYPE],
    });
    const discover = await modernRpc(handler, "server/discover");
    assert.deepEqual(discover.message.result.capabilities.extensions?.[EXTENSION_ID], {
      mimeTypes: [RESOURCE_MIME_TYPE],
    });
    await handler.close();
    const plain = makeHandler({ tools: [] });
    const without = await initialize(plain);
    assert.equal(without.result.capabilities.extensions?.[EXTENSION_ID], undefined);
    await plain.close();
  });

  it("refuses a view URI that is not ui://, and a view without HTML", () => {
    assert.throws(
      () => defineAppResource({ uri: "https://x.example/v.html", name: "v", html: "" }),
      /ui:\/\//,
    );
    assert.throws(() => defineAppResource({ uri: "ui://x/v.html", name: "v" }), /html or a read/);
    assert.throws(
      () => defineAppTool({ name: "t", ui: { resourceUri: "file:///v.html" }, handler: () => "" }),
      /App tool "t".*ui:\/\//,
    );
  });

  it("SDK v1 on 2025-11-25: the app tool is listed and its ui:// view is readable", async () => {
    await withServer(appDefinitions(), async (server) => {
      const { client } = await server.connect({ capabilities: APPS_CAPABILITIES });
      const tools = (await client.listTools()).tools;
      const resources = (await client.listResources()).resources;
      // ext-apps types a tool as SDK v2 does; SDK v1's is the same JSON.
      const uri = getToolUiResourceUri(tools.find((t) => t.name === "forecast")! as never)!;
      const contents = (await client.readResource({ uri })).contents;
      const called = await client.callTool({ name: "forecast", arguments: { city: "Lyon" } });
      assertAppsSeen({ tools, resources, contents, structured: called.structuredContent });
    });
  });

  it("SDK v2 on 2026-07-28: the app tool is listed and its ui:// view is readable", async () => {
    await withServer(appDefinitions(), async (server) => {
      const client = new ClientV2({ name: "apps-host", version: "1.0.0" }, {
        capabilities: APPS_CAPABILITIES,
        versionNegotiation: { mode: { pin: "2026-07-28" } },
      });
      client.onerror = () => {};
      server.defer(() => client.close());
      const transport = new TransportV2(new URL(server.url));
      await client.connect(transport);
      assert.equal(transport.sessionId, undefined, "the stateless era");
      const tools = (await client.listTools()).tools;
      const resources = (await client.listResources()).resources;
      const uri = getToolUiResourceUri(tools.find((t) => t.name === "forecast")!)!;
      const contents = (await client.readResource({ uri })).contents;
      const called = await client.callTool({ name: "forecast", arguments: { city: "Lyon" } });
      assertAppsSeen({
        tools: tools as Seen["tools"],
        resources: resources as Seen["resources"],
        contents: contents as Seen["contents"],
        structured: called.structuredContent,
      });
    });
  });
});
