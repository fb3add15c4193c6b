/**
 * What the browser test's page runs: the official SDK client (v1) over its
 * StreamableHTTPClientTransport, against a tether server on another origin.
 * esbuild bundles this file with the SDK for the browser (browser_page.ts);
 * it is not a test file and never runs outside a page. It sets
 * `globalThis.runMcp(url)`, which connects, lists the tools, calls `count`
 * with progress and terminates the session (DELETE), and reports each step's
 * outcome, or the step that failed and why.
 * @module
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** What {@linkcode runMcp} saw, passed back to the test as JSON. */
export type PageOutcome =
  | {
    ok: true;
    /** The session id the transport read from the initialize answer's Mcp-Session-Id. */
    sessionId: string | undefined;
    protocolVersion: string | undefined;
    tools: string[];
    /** The text of the `count` call's result. */
    text: string;
    /** The `progress` values the call's notifications carried, in order. */
    progress: number[];
    /** The transport's session id after terminateSession (undefined once the DELETE succeeded). */
    sessionIdAfterDelete: string | undefined;
  }
  | { ok: false; step: "connect" | "list" | "call" | "delete"; error: string };

/** Runs the page's MCP session against `url`; never rejects. */
async function runMcp(url: string): Promise<PageOutcome> {
  let step: "connect" | "list" | "call" | "delete" = "connect";
  const client = new Client({ name: "tether-browser-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  try {
    await client.connect(transport, { timeout: 10_000 });
    const sessionId = transport.sessionId;
    step = "list";
    const { tools } = await client.listTools(undefined, { timeout: 10_000 });
    step = "call";
    const progress: number[] = [];
    const result = await client.callTool(
      { name: "count", arguments: {} },
      undefined,
      { timeout: 10_000, onprogress: (update) => progress.push(update.progress) },
    );
    const first = (result.content as { type: string; text?: string }[])[0];
    step = "delete";
    await transport.terminateSession();
    return {
      ok: true,
      sessionId,
      protocolVersion: transport.protocolVersion,
      tools: tools.map((tool) => tool.name),
      text: first?.text ?? "",
      progress,
      sessionIdAfterDelete: transport.sessionId,
    };
  } catch (error) {
    return { ok: false, step, error: String(error) };
  } finally {
    await client.close().catch(() => {});
  }
}

(globalThis as { runMcp?: typeof runMcp }).runMcp = runMcp;
