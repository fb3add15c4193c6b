/**
 * `@tether/mcp/testing`: an in-process MCP client for testing a server
 * without sockets. `connect(handler)` talks to the handler function itself,
 * in the sessionful 2025 era or the stateless 2026-07-28 era: calls return
 * their result with the progress and messages that came with them, server
 * requests (elicitation, sampling, roots) are answered by handlers the test
 * gives, errors are thrown as `McpClientError`. It imports no test framework
 * and no runtime module, so it works under `node:test`, `deno test`,
 * `bun test`, vitest and on workerd.
 *
 * @example
 * ```ts
 * import { createMcpHandler, defineTool } from "@tether/mcp";
 * import { connect } from "@tether/mcp/testing";
 * import * as z from "zod";
 *
 * const handler = createMcpHandler({
 *   name: "t",
 *   version: "1",
 *   tools: [defineTool({
 *     name: "echo",
 *     input: z.object({ text: z.string() }),
 *     handler: ({ text }) => text,
 *   })],
 * });
 * const client = await connect(handler, { era: "2025" });
 * const { result } = await client.callTool("echo", { text: "hi" });
 * console.log(result.content); // [{ type: "text", text: "hi" }]
 * await client.close();
 * await handler.close();
 * ```
 * @module
 */

export { connect, type ConnectOptions } from "./connect.ts";
export type {
  CallOptions,
  CallOutcome,
  ProgressUpdate,
  SessionStateReader,
  TestClient,
  TestEra,
} from "./client_types.ts";
export {
  answerServerRequest,
  capabilitiesOf,
  type ClientHandlers,
  type TestRoot,
  UnansweredRequestError,
} from "./client_handlers.ts";
export { McpClientError } from "./client_error.ts";
export type { FetchHandler } from "./exchange.ts";
