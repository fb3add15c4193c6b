/**
 * A real browser on another origin: headless Chromium loads a page from
 * its own loopback port, whose script is the official SDK client bundled by
 * esbuild, and uses tether (served by the runtime running this test) to
 * connect, list tools, call a tool with progress and terminate the session
 * with DELETE. With `cors` the whole session works, and the server sees the
 * preflights; without it, the same page fails at the preflight and no POST
 * reaches the server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "puppeteer-core";
import {
  createMcpHandler,
  defineTool,
  type McpEvent,
  type McpHandlerOptions,
} from "../../../mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { within } from "../../helpers.ts";
import {
  BROWSER_STEP_MS,
  bundlePageClient,
  servePage,
  temporaryDirectory,
  withChromium,
} from "./browser_page.ts";
import type { PageOutcome } from "./page_client.ts";

/** A tool that reports progress three times before it answers. */
const count = defineTool({
  name: "count",
  description: "Counts to three, reporting progress",
  handler: async (_input, ctx) => {
    for (let step = 1; step <= 3; step++) await ctx.progress(step, 3);
    return "counted to 3";
  },
});

/** A tether server on its own port, recording what reached it. */
interface RecordedServer {
  server: RunningServer;
  /** `METHOD status` of every request, in order. */
  seen: string[];
  events: McpEvent[];
}

async function startTether(options: Partial<McpHandlerOptions>): Promise<RecordedServer> {
  const seen: string[] = [];
  const events: McpEvent[] = [];
  const handler = createMcpHandler({
    name: "browser-test",
    version: "1.0.0",
    tools: [count],
    ...options,
    observe: {
      onError: () => {},
      onEvent: (event) => events.push(event),
      ...options?.observe,
    },
  });
  const recorded = Object.assign(async (request: Request) => {
    const response = await handler(request);
    seen.push(`${request.method} ${response.status}`);
    return response;
  }, { close: () => handler.close() });
  return { server: await serveHandler(recorded), seen, events };
}

/** Opens the page in a new tab and runs its MCP session against `url`. */
async function runPage(browser: Browser, pageUrl: string, url: string): Promise<PageOutcome> {
  const page = await browser.newPage();
  try {
    page.setDefaultTimeout(BROWSER_STEP_MS);
    await page.goto(pageUrl, { waitUntil: "load", timeout: BROWSER_STEP_MS });
    return await within(
      page.evaluate(
        (target) =>
          (globalThis as unknown as { runMcp(url: string): Promise<PageOutcome> }).runMcp(target),
        url,
      ),
      BROWSER_STEP_MS,
      "the page's MCP session",
    );
  } finally {
    await page.close().catch(() => {});
  }
}

describe("the SDK client in Chromium, from another origin", () => {
  let pageServer: RunningServer | undefined;
  let removeBundle: (() => Promise<void>) | undefined;

  before(async () => {
    const [directory, remove] = await temporaryDirectory("tether-page-");
    removeBundle = remove;
    pageServer = await servePage(await bundlePageClient(directory));
  });

  after(async () => {
    await pageServer?.close();
    await removeBundle?.();
  });

  it("with cors: connects, lists, calls with progress and DELETEs; without: fails at the preflight", async () => {
    const pageOrigin = pageServer!.url;
    const open = await startTether({ security: { cors: { origins: [pageOrigin] } } });
    const closed = await startTether({});
    try {
      assert.notEqual(new URL(open.server.url).origin, pageOrigin, "the page is cross-origin");
      const [granted, refused] = await withChromium(async (browser) => [
        await runPage(browser, `${pageOrigin}/`, `${open.server.url}/mcp`),
        await runPage(browser, `${pageOrigin}/`, `${closed.server.url}/mcp`),
      ]);

      assert.ok(granted.ok, `the page's session failed: ${JSON.stringify(granted)}`);
      assert.match(granted.sessionId ?? "", /^[\x21-\x7e]+$/, "Mcp-Session-Id was readable");
      assert.equal(granted.protocolVersion, "2025-11-25");
      assert.deepEqual(granted.tools, ["count"]);
      assert.equal(granted.text, "counted to 3");
      assert.deepEqual(granted.progress, [1, 2, 3]);
      assert.equal(granted.sessionIdAfterDelete, undefined);
      // The browser asked first, then sent the real requests: the listening GET and the DELETE too.
      assert.equal(open.seen[0], "OPTIONS 204", open.seen.join(", "));
      for (const line of ["POST 200", "GET 200", "DELETE 204"]) {
        assert.ok(open.seen.includes(line), `${line} in ${open.seen.join(", ")}`);
      }
      const ended = open.events.filter((event) => event.type === "session-ended");
      assert.deepEqual(ended.map((event) => event.reason), ["delete"]);

      assert.equal(refused.ok, false);
      assert.equal(refused.ok ? undefined : refused.step, "connect");
      assert.match(refused.ok ? "" : refused.error, /fetch/i);
      // Only the preflight arrived (refused by the Origin guard); no POST ever reached the server.
      assert.ok(closed.seen.length > 0, "the preflight reached the server");
      assert.ok(closed.seen.every((line) => line === "OPTIONS 403"), closed.seen.join(", "));
    } finally {
      await open.server.close();
      await closed.server.close();
    }
  });
});
