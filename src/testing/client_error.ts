/**
 * The error the test client throws when the server refuses a request: the
 * HTTP status always, and the JSON-RPC error when the answer carried one
 * (an HTTP error body, or an error response on a 200 stream). A tool result
 * with `isError: true` is a result, not this error.
 * @module
 */

import type { JsonRpcErrorObject } from "../jsonrpc/messages.ts";

/**
 * A refused request, as the test client saw it.
 *
 * @example
 * ```ts
 * import { connect, McpClientError } from "@tether/mcp/testing";
 * import { createMcpHandler } from "@tether/mcp";
 *
 * const client = await connect(createMcpHandler({ name: "t", version: "1", tools: [] }));
 * try {
 *   await client.callTool("missing", {});
 * } catch (error) {
 *   if (!(error instanceof McpClientError)) throw error;
 *   console.log(error.status, error.code); // the HTTP status and the JSON-RPC code
 * }
 * ```
 */
export class McpClientError extends Error {
  /** The HTTP status of the answer (200 when the error came on a stream). */
  readonly status: number;
  /** The JSON-RPC error, when the answer carried one. */
  readonly error: JsonRpcErrorObject | undefined;

  /** An error for `status`, with the JSON-RPC `error` when there is one, else `body` (the start of the body read). */
  constructor(status: number, error: JsonRpcErrorObject | undefined, body = "") {
    super(
      error === undefined
        ? `HTTP ${status}${body === "" ? "" : `: ${body.slice(0, 200)}`}`
        : `${error.message} (JSON-RPC ${error.code}, HTTP ${status})`,
    );
    this.name = "McpClientError";
    this.status = status;
    this.error = error;
  }

  /** The JSON-RPC error code, when the answer carried an error. */
  get code(): number | undefined {
    return this.error?.code;
  }

  /** The JSON-RPC error's `data`, when there is one. */
  get data(): unknown {
    return this.error?.data;
  }
}
