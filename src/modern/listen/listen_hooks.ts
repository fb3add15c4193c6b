/**
 * The resource hooks of one 2026-07-28 listen stream: each URI of its
 * `resourceSubscriptions` is subscribed through the `subscribe` hook of what
 * serves it (its resource, or its first matching template) with the
 * listener's context — its principal, the stream's end as `ctx.signal`, and
 * the stream alone as `ctx.listen` — and the `unsubscribe` hook is told when
 * the stream ends. It records nothing (a listen has no session) and bounds
 * nothing: listen_streams.ts bounds the URIs and decides what is honoured.
 * @module
 */

import type { JsonRpcNotification, JsonRpcRequest, RequestId } from "../../jsonrpc/messages.ts";
import { createHandlerContext } from "../../protocol/context/handler_context.ts";
import type {
  HandlerContext,
  ListenTarget,
  Principal,
  RequestContext,
} from "../../protocol/context/request_context.ts";
import type { ResourceRegistry } from "../../protocol/registries/resources.ts";
import type { ClientCapabilities, Implementation } from "../../protocol/types.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { ModernEnvelope } from "../requests/envelope.ts";

/** The subscribe and unsubscribe hooks of one listen stream's URIs. */
export interface ListenHooks {
  /** Tells the hook of what serves `uri`; rejects when it refuses (the URI is not honoured). */
  subscribe(uri: string): Promise<void>;
  /** Tells the `unsubscribe` hook of what serves `uri` (the stream ended). */
  unsubscribe(uri: string): Promise<void>;
}

/** The hooks of the streams of one listen request. */
export interface ListenHooksOf {
  /** True when what serves `uri` has a `subscribe` or `unsubscribe` hook. */
  hooked(uri: string): boolean;
  /** The hooks of the stream `target`, whose end aborts `signal`. */
  of(target: ListenTarget, signal: AbortSignal): ListenHooks;
}

/** Who opened a listen stream: its request's id, envelope and principal. */
export interface Listener {
  readonly id: RequestId;
  readonly envelope: ModernEnvelope;
  readonly principal: Principal;
}

/**
 * The hooks of `listener`'s stream, served by `resources`.
 *
 * @example
 * ```ts ignore (internal: needs a listen stream and the resource registry)
 * const hooks = listenHooks(dispatcher.resources, { id: 1, envelope, principal }).of(target, signal);
 * await hooks.subscribe("file:///notes.md");
 * ```
 */
export function listenHooks(resources: ResourceRegistry, listener: Listener): ListenHooksOf {
  const hooked = (uri: string) => {
    const serving = resources.servedBy(uri);
    return serving?.subscribe !== undefined || serving?.unsubscribe !== undefined;
  };
  const of = (target: ListenTarget, signal: AbortSignal): ListenHooks => {
    const request: JsonRpcRequest = {
      jsonrpc: "2.0",
      id: listener.id,
      method: "subscriptions/listen",
      params: {},
    };
    // It records nothing (a listen has no session): the hooks alone hear of the URIs.
    const recorder = new ListenRequestContext(listener, target, signal);
    const context = (): HandlerContext => createHandlerContext(recorder, request);
    return {
      subscribe: (uri) => resources.subscribe(uri, recorder, context),
      unsubscribe: (uri) => resources.unsubscribe(uri, recorder, context),
    };
  };
  return { hooked, of };
}

/**
 * The request context of a listen's hook: the listener's envelope and
 * principal; notifications go nowhere (a listen stream carries only what
 * its filter asked for), the client cannot be asked anything, and a
 * subscription is recorded nowhere.
 */
class ListenRequestContext implements RequestContext {
  readonly #listener: Listener;
  readonly listen: ListenTarget;
  readonly signal: AbortSignal;

  constructor(listener: Listener, target: ListenTarget, signal: AbortSignal) {
    this.#listener = listener;
    this.listen = target;
    this.signal = signal;
  }

  get protocolVersion(): string {
    return this.#listener.envelope.protocolVersion;
  }

  get clientCapabilities(): ClientCapabilities {
    return this.#listener.envelope.clientCapabilities;
  }

  get clientInfo(): Implementation | undefined {
    return this.#listener.envelope.clientInfo;
  }

  get principal(): Principal {
    return this.#listener.principal;
  }

  notify(_notification: JsonRpcNotification): Promise<void> {
    return Promise.resolve();
  }

  request(method: string): Promise<Record<string, unknown>> {
    return Promise.reject(
      new McpError(ErrorCode.RequestFailed, `${method} is not available to a listen's hooks`),
    );
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
    return Promise.resolve();
  }

  unsubscribe(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The hooked URIs of one listen stream: subscribes them, and once the stream
 * ends unsubscribes each one whose hook took it (one still running then is
 * unsubscribed when it settles). Its signal aborts at the end.
 */
export class HookedUris {
  readonly #controller = new AbortController();
  readonly #hooks: ListenHooks;
  readonly #subscribed = new Set<string>();
  readonly #onError: (error: unknown) => void;
  #ended = false;

  /** The hooks of the stream `target`, made by `hooksOf`; `onError` hears of failed unsubscribes. */
  constructor(hooksOf: ListenHooksOf, target: ListenTarget, onError: (error: unknown) => void) {
    this.#hooks = hooksOf.of(target, this.#controller.signal);
    this.#onError = onError;
  }

  /** Subscribes each of `uris` at once; resolves with those whose hook refused. */
  async subscribe(uris: readonly string[]): Promise<Set<string>> {
    const refused = new Set<string>();
    await Promise.all(uris.map(async (uri) => {
      try {
        await this.#hooks.subscribe(uri);
      } catch {
        refused.add(uri);
        return;
      }
      if (this.#ended) this.#unsubscribe(uri);
      else this.#subscribed.add(uri);
    }));
    return refused;
  }

  /** The stream ended: aborts its signal and unsubscribes what was subscribed. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#controller.abort(new Error("The listen stream ended"));
    for (const uri of this.#subscribed) this.#unsubscribe(uri);
    this.#subscribed.clear();
  }

  #unsubscribe(uri: string): void {
    this.#hooks.unsubscribe(uri).catch(this.#onError);
  }
}
