/**
 * Which downstream call a message of one upstream session belongs to: the
 * call whose upstream request's stream carried it (as the transport tells), or,
 * for a message of no known request's stream, the only call running.
 * Anything else is dropped and counted, never given to another call. It
 * relays nothing itself (call_relay_handlers.ts does) and does not end the
 * session (upstream_connection.ts does).
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { RequestId } from "../../jsonrpc/messages.ts";
import type { CallRelay } from "../call_relay.ts";
import type { OpenedTransport } from "../upstream.ts";

/** True for a JSON-RPC request (not a notification or an answer). */
const isRequest = (message: object): message is { id: string | number; method: string } =>
  "method" in message && "id" in message;

/**
 * The downstream calls running on one upstream session, and the upstream
 * requests each sent.
 *
 * @example
 * ```ts ignore (internal: needs an upstream session's transport and a call's relay)
 * const routes = new CallRoutes(() => dropped++);
 * routes.watchSends(opened.transport);
 * const running = routes.start(relay, (relay) => client.callTool(params));
 * try { await running; } finally { routes.finish(relay); }
 * ```
 */
export class CallRoutes {
  /** The downstream calls running on this session, oldest first. */
  #calls: CallRelay[] = [];
  /** The call of each upstream request (JSON-RPC id) of a running call. */
  readonly #routes = new Map<string | number, CallRelay>();
  /** The call whose upstream request is being sent now (set synchronously around it). */
  #sending: CallRelay | undefined;
  /** Told of each message that belongs to no call. */
  readonly dropped: () => void;

  /** `dropped`: told of each upstream message dropped (it belongs to no call). */
  constructor(dropped: () => void) {
    this.dropped = dropped;
  }

  /** How many calls are running. */
  get running(): number {
    return this.#calls.length;
  }

  /** Notes which call each upstream request sent over `transport` is sent for. */
  watchSends(transport: OpenedTransport["transport"]): void {
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      const relay = this.#sending;
      if (relay !== undefined && isRequest(message)) {
        relay.requestIds.push(message.id);
        this.#routes.set(message.id, relay);
      }
      return send(message, options);
    };
  }

  /**
   * Starts `call` as `relay`'s: the requests it sends synchronously (as the
   * session client's methods do) are routed to `relay` until {@linkcode finish}.
   */
  start<T>(relay: CallRelay, call: (relay: CallRelay) => Promise<T>): Promise<T> {
    this.#calls.push(relay);
    this.#sending = relay;
    try {
      return call(relay);
    } finally {
      this.#sending = undefined;
    }
  }

  /** Ends `relay`'s call: nothing is routed to it any more. */
  finish(relay: CallRelay): void {
    this.#calls.splice(this.#calls.indexOf(relay), 1);
    for (const id of relay.requestIds) this.#routes.delete(id);
  }

  /**
   * The call a message of the upstream belongs to: the one whose request
   * (`related`) stream carried it, or, for a message of no known request's
   * stream, the only call running (the session is one caller's). Undefined
   * (the message dropped, counted) otherwise: never a guess among calls.
   */
  route(related: RequestId | undefined): CallRelay | undefined {
    const relay = (related === undefined ? undefined : this.#routes.get(related)) ??
      (this.#calls.length === 1 ? this.#calls[0] : undefined);
    if (relay === undefined) this.dropped();
    return relay;
  }

  /** The call of an upstream→client request (carried by `related`'s stream), or the JSON-RPC error refusing it. */
  target(related: RequestId | undefined): CallRelay {
    const relay = this.route(related);
    if (relay === undefined) {
      throw new McpError(ErrorCode.InvalidRequest, "No downstream request is in progress");
    }
    return relay;
  }
}
