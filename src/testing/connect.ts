/**
 * `connect`: the entry of the test kit. It picks the era's client, opens a
 * session in the 2025 era (initialize + initialized), and returns a client
 * that talks to the handler function in process: no sockets, no server.
 * @module
 */

import type { ClientCapabilities } from "../protocol/types.ts";
import { LATEST_LEGACY_PROTOCOL_VERSION } from "../protocol/versions.ts";
import type { ClientHandlers } from "./client_handlers.ts";
import type { TestClient, TestEra } from "./client_types.ts";
import type { FetchHandler } from "./exchange.ts";
import { LegacyClient } from "./legacy_client.ts";
import { ModernClient } from "./modern_client.ts";

/**
 * Options of {@linkcode connect}.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "@tether/mcp/testing";
 * const options: ConnectOptions = {
 *   era: "2025",
 *   handlers: { elicitation: () => ({ action: "accept", content: { ok: true } }) },
 * };
 * ```
 */
export interface ConnectOptions {
  /** The era to speak. @default "2025" */
  era?: TestEra;
  /** 2025 era: the revision to ask for in `initialize`. @default "2025-11-25" */
  protocolVersion?: string;
  /** How the client answers elicitation, sampling and roots; their capabilities are declared. @default {} */
  handlers?: ClientHandlers;
  /** Capabilities to declare besides (or instead of) those the handlers imply; these win. */
  capabilities?: ClientCapabilities;
  /** The client's name and version. @default { name: "tether-test-client", version: "0.0.0" } */
  clientInfo?: { name: string; version: string };
  /** The URL requests go to (the handler's path). @default "http://localhost/mcp" */
  url?: string;
  /** Headers sent with every request (e.g. `authorization`). @default {} */
  headers?: Record<string, string>;
  /**
   * Each call's deadline, ms: a call still unanswered then is cancelled
   * (the server is told) and rejects with a `TimeoutError`, so a test
   * fails instead of hanging. `0`: no deadline. @default 10000
   */
  timeoutMs?: number;
}

/**
 * Connects an in-process test client to a handler: in the 2025 era it
 * initializes a session first (and rejects with `McpClientError` when the
 * server refuses); in the 2026 era nothing is sent until the first call.
 *
 * @example A tool's test, in any test runner
 * ```ts
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import { connect } from "@tether/mcp/testing";
 *
 * const handler = createMcpHandler({
 *   name: "t",
 *   version: "1",
 *   tools: [defineTool({
 *     name: "count",
 *     handler: async (_input, ctx) => {
 *       await ctx.progress(1, 2);
 *       return "done";
 *     },
 *   })],
 * });
 * for (const era of ["2025", "2026"] as const) {
 *   const client = await connect(handler, { era });
 *   const { result, progress } = await client.callTool("count");
 *   console.log(result.content, progress.length);
 *   await client.close();
 * }
 * await handler.close();
 * ```
 */
export async function connect(
  handler: FetchHandler,
  options: ConnectOptions = {},
): Promise<TestClient> {
  const common = {
    url: options.url ?? "http://localhost/mcp",
    handlers: options.handlers ?? {},
    capabilities: options.capabilities,
    clientInfo: options.clientInfo ?? { name: "tether-test-client", version: "0.0.0" },
    headers: options.headers ?? {},
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  if (options.era === "2026") return new ModernClient(handler, common);
  return await LegacyClient.open(handler, {
    ...common,
    protocolVersion: options.protocolVersion ?? LATEST_LEGACY_PROTOCOL_VERSION,
  });
}
