/**
 * The "Icons", "Output schemas" and "URL elicitation" examples of
 * docs/schemas.md and the "MCP Apps" one of docs/extensions.md (once the
 * README's), run as written: each section's one `ts` block is written to a
 * temporary module (its `@tether/mcp` import pointed at this checkout's
 * mod.ts, nothing else changed), imported, served on a free port, and
 * driven by the official SDK clients: SDK v1 on 2025-11-25 and SDK v2
 * pinned to 2026-07-28. What each test checks is what the guide's text
 * promises for that example.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import {
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  UrlElicitationRequiredError as UrlErrorV1,
} from "@modelcontextprotocol/sdk/types.js";
import {
  getToolUiResourceUri,
  RESOURCE_MIME_TYPE,
} from "@modelcontextprotocol/ext-apps/app-bridge";
import type { McpHandler } from "../../../mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { connectClient, deferred, type SdkConnection, withTimeout } from "../interop/helpers.ts";
import { ROOT, sectionOf, tsBlocks } from "./docs_text.ts";

const MOD = pathToFileURL(join(ROOT, "mod.ts")).href;
const APPS = pathToFileURL(join(ROOT, "src/extensions/apps/mod.ts")).href;
const WORK = mkdtempSync(join(tmpdir(), "tether-readme-extras-"));
after(() => rmSync(WORK, { recursive: true, force: true }));

/** The one `ts` block of the section `## title` of its guide (up to the next heading). */
function exampleOf(title: string): string {
  const path = title === "MCP Apps" ? "docs/extensions.md" : "docs/schemas.md";
  const blocks = tsBlocks(sectionOf(path, `## ${title}`));
  assert.equal(blocks.length, 1, `one ts block under "${title}"`);
  return blocks[0];
}

let loads = 0;

/** Imports the example as a fresh module (its own handler and state), `@tether/mcp` being this checkout. */
async function load<T>(title: string): Promise<T & { handler: McpHandler }> {
  const code = exampleOf(title)
    .replaceAll('from "@tether/mcp"', `from ${JSON.stringify(MOD)}`)
    .replaceAll('from "@tether/mcp/apps"', `from ${JSON.stringify(APPS)}`);
  assert.ok(code.includes(MOD), "the example imports @tether/mcp");
  const file = join(WORK, `${title.toLowerCase().replaceAll(" ", "_")}_${++loads}.ts`);
  writeFileSync(file, code);
  return await import(pathToFileURL(file).href);
}

/** Serves `handler`, runs `body` with its URL, then closes everything. */
async function served(
  handler: McpHandler,
  body: (url: string, closeLater: (close: () => Promise<unknown>) => void) => Promise<void>,
): Promise<void> {
  const running = await serveHandler(handler, 0);
  const closers: (() => Promise<unknown>)[] = [];
  try {
    await body(`${running.url}/mcp`, (close) => void closers.push(close));
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await running.close();
    await handler.close();
  }
}

async function v1(url: string, options: Parameters<typeof connectClient>[1] = {}) {
  return await connectClient(url, options);
}

async function v2Modern(
  url: string,
  onElicit: (params: Record<string, unknown>) => void = () => {},
): Promise<ClientV2> {
  const client = new ClientV2({ name: "readme-v2", version: "1.0.0" }, {
    capabilities: { elicitation: { form: {}, url: {} } },
    versionNegotiation: { mode: { pin: "2026-07-28" } },
  });
  client.setRequestHandler("elicitation/create", (request) => {
    onElicit(request.params as Record<string, unknown>);
    return Promise.resolve({ action: "accept" });
  });
  client.onerror = () => {};
  await client.connect(new TransportV2(new URL(url)));
  return client;
}

describe("docs: icons, output schemas, URL elicitation, MCP Apps", () => {
  it("Icons: on serverInfo with websiteUrl, and on the tool, in both eras", async () => {
    const { handler } = await load("Icons");
    await served(handler, async (url, closeLater) => {
      const legacy: SdkConnection = await v1(url);
      closeLater(() => legacy.close());
      const info = legacy.client.getServerVersion();
      assert.equal(info?.icons?.[0].src, "https://weather.example/logo.svg");
      assert.equal(info?.websiteUrl, "https://weather.example");
      const tool = (await legacy.client.listTools()).tools[0];
      assert.equal(tool.icons?.[0].src, "https://weather.example/sun.png");
      const modern = await v2Modern(url);
      closeLater(() => modern.close());
      const modernTool = (await modern.listTools()).tools[0];
      assert.deepEqual(modernTool.icons, tool.icons);
    });
  });

  it("Output schemas: the array reaches 2026-07-28; a 2025 client gets the text alone", async () => {
    const { handler } = await load("Output schemas");
    await served(handler, async (url, closeLater) => {
      const modern = await v2Modern(url);
      closeLater(() => modern.close());
      const listed = (await modern.listTools()).tools[0];
      assert.equal((listed.outputSchema as { type?: string }).type, "array");
      const result = await modern.callTool({ name: "list_users", arguments: {} });
      assert.equal((result.structuredContent as unknown[]).length, 2);
      const legacy = await v1(url);
      closeLater(() => legacy.close());
      assert.equal((await legacy.client.listTools()).tools[0].outputSchema, undefined);
      const old = await legacy.client.callTool({ name: "list_users", arguments: {} });
      assert.equal(old.structuredContent, undefined);
      assert.deepEqual(old.content, [{ type: "text", text: "Found 2 users: Alice and Bob." }]);
    });
  });

  it("URL elicitation, 2025-11-25: the SDK's UrlElicitationRequiredError, then the retry; link_account's completion notification", async () => {
    const { handler, linked } = await load<{ linked: Set<string> }>("URL elicitation");
    await served(handler, async (url, closeLater) => {
      const completed = deferred<string>();
      const asked: Record<string, unknown>[] = [];
      const legacy = await v1(url, {
        capabilities: { elicitation: { form: {}, url: {} } },
        setup: (client) => {
          client.setNotificationHandler(
            ElicitationCompleteNotificationSchema,
            (notification) => completed.resolve(notification.params.elicitationId),
          );
          client.setRequestHandler(ElicitRequestSchema, (request) => {
            asked.push(request.params);
            linked.add("anonymous"); // The user links the account in the browser.
            return Promise.resolve({ action: "accept" });
          });
        },
      });
      closeLater(() => legacy.close());
      const error = await legacy.client.callTool({ name: "list_files", arguments: {} }).then(
        () => assert.fail("list_files should need the link first"),
        (thrown) => thrown,
      );
      assert.ok(error instanceof UrlErrorV1, `got ${error}`);
      assert.equal(error.elicitations[0].elicitationId, "link-anonymous");
      const linking = await legacy.client.callTool({ name: "link_account", arguments: {} });
      assert.deepEqual(linking.content, [{ type: "text", text: "Linked." }]);
      assert.equal(asked[0].mode, "url");
      assert.equal(asked[0].elicitationId, "link-anonymous");
      assert.equal(await withTimeout(completed.promise, 5_000, "completion"), "link-anonymous");
      const files = await legacy.client.callTool({ name: "list_files", arguments: {} });
      assert.deepEqual(files.content, [{ type: "text", text: "report.pdf" }]);
    });
  });

  it("URL elicitation, 2026-07-28: an input_required round through the client's handler, then the files", async () => {
    const { handler, linked } = await load<{ linked: Set<string> }>("URL elicitation");
    await served(handler, async (url, closeLater) => {
      const asked: Record<string, unknown>[] = [];
      const modern = await v2Modern(url, (params) => {
        asked.push(params);
        linked.add("anonymous");
      });
      closeLater(() => modern.close());
      const files = await modern.callTool({ name: "list_files", arguments: {} });
      assert.deepEqual(files.content, [{ type: "text", text: "report.pdf" }]);
      assert.equal(asked.length, 1);
      assert.equal(asked[0].mode, "url");
      assert.equal(asked[0].url, "https://files.example/link?elicitation=link-anonymous");
      assert.equal("elicitationId" in asked[0], false, "2026-07-28 sends no elicitationId");
    });
  });

  it("MCP Apps: the tool names its ui:// view, which reads as an app, in both eras", async () => {
    const { handler } = await load("MCP Apps");
    await served(handler, async (url, closeLater) => {
      const legacy = await v1(url);
      closeLater(() => legacy.close());
      const modern = await v2Modern(url);
      closeLater(() => modern.close());
      for (const client of [legacy.client, modern]) {
        const tools = (await client.listTools()).tools;
        const view = getToolUiResourceUri(tools[0] as never);
        assert.equal(view, "ui://weather/forecast.html");
        const contents = (await client.readResource({ uri: view! })).contents;
        assert.equal(contents[0].mimeType, RESOURCE_MIME_TYPE);
        assert.match(String((contents[0] as { text?: string }).text), /<main id=forecast>/);
      }
    });
  });
});
