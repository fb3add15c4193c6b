/**
 * The shape a 2025 session client speaks over: a duplex of JSON-RPC
 * messages (the official SDK's `Transport` shape, so any SDK client
 * transport fits), and what a transport may tell of each message it
 * delivers. It carries nothing itself: http_session_transport.ts is the
 * Streamable HTTP one, the gateway's stdio upstreams have their own.
 * @module
 */

import type { RequestId } from "../jsonrpc/messages.ts";

/**
 * What a transport knows of a message it delivers: the request whose
 * response stream carried it, and whether it is a failure the transport
 * made for a request its stream left unanswered.
 *
 * @example
 * ```ts
 * import type { MessageExtra } from "./message_transport.ts";
 * const extra: MessageExtra = { relatedRequestId: 7 };
 * ```
 */
export interface MessageExtra {
  /** The request whose response stream carried the message (HTTP). */
  relatedRequestId?: RequestId;
  /** Set on the error response a transport makes for an unanswered request. */
  unanswered?: boolean;
}

/**
 * A duplex of JSON-RPC messages to one peer: the official SDK's `Transport`
 * shape (`@modelcontextprotocol/sdk/shared/transport.js`), so any SDK client
 * transport fits. The gateway's `UpstreamTransport` (what a custom
 * upstream's `connect` returns).
 *
 * @example
 * ```ts
 * import type { MessageTransport } from "./message_transport.ts";
 * const loopback: MessageTransport = {
 *   start: () => Promise.resolve(),
 *   send(message) { return Promise.resolve(loopback.onmessage?.(message)); },
 *   close: () => Promise.resolve(loopback.onclose?.()),
 * };
 * ```
 */
export interface MessageTransport {
  /** Starts it (the client calls this once). */
  start(): Promise<void>;
  /** Sends one JSON-RPC message. */
  send(message: object, options?: object): Promise<void>;
  /** Closes it. */
  close(): Promise<void>;
  /** Set by the client: told when it closed. */
  onclose?(): void;
  /** Set by the client: told of errors. */
  onerror?(error: Error): void;
  /** Set by the client: told of each JSON-RPC message received. */
  onmessage?(message: object, extra?: object): void;
  /** Told the revision the session speaks once it is negotiated (HTTP sends it as a header). */
  setProtocolVersion?(version: string): void;
}
