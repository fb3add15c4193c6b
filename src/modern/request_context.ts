/**
 * The handler context of a 2026-07-28 request: protocol version, client
 * capabilities and log level come from the request's envelope, notifications
 * go to the request's own stream, and server→client requests become input
 * requests of the run's `input_required` round. There is no session: no
 * logging/setLevel and no resource subscriptions.
 * @module
 */

import { ErrorCode, McpError } from "../jsonrpc/error_codes.ts";
import type { JsonRpcNotification } from "../jsonrpc/messages.ts";
import type {
  OutboundRequestOptions,
  Principal,
  RequestContext,
} from "../protocol/context/request_context.ts";
import type { LoggingLevel } from "../protocol/context/logging.ts";
import type { ClientCapabilities, Implementation } from "../protocol/types.ts";
import type { ModernEnvelope } from "./requests/envelope.ts";
import type { InputRound } from "./rounds/input_requests.ts";

/** What the context reads from its request's exchange. */
export interface ContextSource {
  readonly envelope: ModernEnvelope;
  readonly principal: Principal;
  readonly signal: AbortSignal;
  /** The run's input round, once a handler asked the client for something. */
  readonly round: InputRound | undefined;
  /** Sends a notification on the request's own stream (opening it if needed). */
  emit(notification: JsonRpcNotification): Promise<void>;
  /** The run's input round; undefined for a method that cannot ask the client. */
  inputRound(): InputRound | undefined;
}

/** The {@linkcode RequestContext} of a modern request: everything comes from its envelope. */
export class ModernRequestContext implements RequestContext {
  #exchange: ContextSource;

  /** The context of `exchange`'s request. */
  constructor(exchange: ContextSource) {
    this.#exchange = exchange;
  }

  get protocolVersion(): string {
    return this.#exchange.envelope.protocolVersion;
  }

  get clientCapabilities(): ClientCapabilities {
    return this.#exchange.envelope.clientCapabilities;
  }

  get clientInfo(): Implementation | undefined {
    return this.#exchange.envelope.clientInfo;
  }

  get principal(): Principal {
    return this.#exchange.principal;
  }

  get signal(): AbortSignal {
    return this.#exchange.signal;
  }

  get logLevel(): LoggingLevel | undefined {
    return this.#exchange.envelope.logLevel;
  }

  get inputPending(): boolean {
    const round = this.#exchange.round;
    return round !== undefined && Object.keys(round.pending).length > 0;
  }

  notify(notification: JsonRpcNotification): Promise<void> {
    // Log messages only when this request named a level (there is no logging/setLevel in this era).
    if (
      notification.method === "notifications/message" &&
      this.#exchange.envelope.logLevel === undefined
    ) return Promise.resolve();
    return this.#exchange.emit(notification);
  }

  request(
    method: string,
    params: Record<string, unknown>,
    options?: OutboundRequestOptions,
  ): Promise<Record<string, unknown>> {
    const round = this.#exchange.inputRound();
    if (round === undefined) {
      return Promise.reject(
        new McpError(
          ErrorCode.RequestFailed,
          `${method} is only available to tools/call, prompts/get and resources/read`,
        ),
      );
    }
    return round.request(method, params, options?.key);
  }

  setLogLevel(): Promise<void> {
    return Promise.reject(
      new McpError(
        ErrorCode.MethodNotFound,
        "logging/setLevel does not exist in this protocol version",
      ),
    );
  }

  subscribe(): Promise<void> {
    return Promise.reject(
      new McpError(ErrorCode.MethodNotFound, "Use subscriptions/listen in this protocol version"),
    );
  }

  unsubscribe(): Promise<void> {
    return this.subscribe();
  }
}
