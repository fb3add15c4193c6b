/**
 * `subscriptions/listen` (2026-07-28): the long-lived SSE stream that replaced
 * the sessionful GET stream. A listen request names the notifications it
 * wants; the stream starts with an acknowledgement of the honoured subset
 * (requested and advertised), then carries only those notifications, each
 * tagged with the listen request's id. The server ends a stream gracefully
 * with the listen request's result; the client ends it by closing it. The
 * open streams are bounded in number, in all and per principal (anonymous
 * callers are one principal), and one stream's URIs in bytes. A URI served
 * with a `subscribe` hook is honoured once its hook takes it (listen_hooks.ts;
 * the acknowledgement waits for the hooks, and what comes meanwhile is held,
 * one per kind or URI). Scope: this process.
 * @module
 */

import { PrincipalShares, shareFull } from "../../limits/principal_shares.ts";
import type { Refusal } from "../../http/refusal.ts";
import { sseResponse, stringifySseMessage } from "../../http/sse/sse.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject, type JsonRpcNotification, type RequestId } from "../../jsonrpc/messages.ts";
import type { Implementation } from "../../protocol/types.ts";
import type { KeepAlive } from "../../http/sse/keep_alive.ts";
import { SseConnection } from "../../http/sse/sse_connection.ts";
import { utf8Length } from "../../jsonrpc/utf8_length.ts";
import { SERVER_INFO_META_KEY } from "../result_encoding.ts";
import type { ListenTarget } from "../../protocol/context/request_context.ts";
import { HookedUris, type ListenHooksOf } from "./listen_hooks.ts";

/** `Retry-After` of a principal at its listen share: a place frees only when one of its streams closes. */
const LISTEN_RETRY_AFTER_SECONDS = 30;

/** The `_meta` key carrying the listen request's id on every message of its stream. */
export const SUBSCRIPTION_ID_META_KEY = "io.modelcontextprotocol/subscriptionId";

/** What a listen request asks for (and what is acknowledged). */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

/** What the server can deliver, from its advertised capabilities. */
export interface ListenSupport {
  toolsListChanged: boolean;
  promptsListChanged: boolean;
  resourcesListChanged: boolean;
  resourceSubscriptions: boolean;
}

/** Bounds of {@linkcode ListenStreams}. */
export interface ListenStreamsOptions {
  /** Open listen streams allowed at once. */
  maxStreams: number;
  /** Open listen streams one principal (by owner key) may hold. */
  maxStreamsPerPrincipal: number;
  /** Resource URIs one listen request may name. */
  maxResourceSubscriptions: number;
  /** UTF-8 bytes of the distinct URIs one listen request may name, all together. */
  maxResourceSubscriptionBytes: number;
  /** Longest URI, UTF-8 bytes. */
  maxUriBytes: number;
  /** Bytes one connection may queue for a slow reader before it is dropped. */
  maxBufferedBytes: number;
  keepAlive: KeepAlive;
  serverInfo: Implementation;
  support: ListenSupport;
  /** Told when a stream ends because its client went away or stopped reading. */
  onDropped?: (reason: "client-gone" | "overflow") => void;
  /** Told when an `unsubscribe` hook fails at a stream's end. */
  onError?: (error: unknown) => void;
}

const LIST_CHANGED: Record<string, keyof ListenFilter> = {
  "notifications/tools/list_changed": "toolsListChanged",
  "notifications/prompts/list_changed": "promptsListChanged",
  "notifications/resources/list_changed": "resourcesListChanged",
};

class ListenStream {
  readonly id: RequestId;
  readonly filter: ListenFilter;
  readonly connection: SseConnection;
  /** Subscribed URIs whose updates this caller does not get (its view hides them). */
  readonly unseen: ReadonlySet<string> | undefined;
  /** What came before the acknowledgement, sent after it: one per kind, or per URI. */
  #held: Map<string, JsonRpcNotification> | undefined;

  constructor(
    id: RequestId,
    filter: ListenFilter,
    connection: SseConnection,
    unseen: ReadonlySet<string> | undefined,
  ) {
    this.id = id;
    this.filter = filter;
    this.connection = connection;
    this.unseen = unseen;
  }

  /** True when this stream is told of `uri`'s updates. */
  hears(uri: string): boolean {
    return this.filter.resourceSubscriptions?.includes(uri) === true && !this.unseen?.has(uri);
  }

  send(notification: JsonRpcNotification): boolean {
    if (this.#held !== undefined) {
      const uri = notification.params?.uri;
      this.#held.set(
        typeof uri === "string" ? `${notification.method} ${uri}` : notification.method,
        notification,
      );
      return true;
    }
    return this.connection.write({ data: this.#tagged(notification) });
  }

  /** Holds what is sent until {@linkcode acknowledge} (nothing goes before it). */
  hold(): void {
    this.#held = new Map();
  }

  /**
   * Sends the acknowledgement as backlog: the reader cannot have read
   * anything yet, and the listen's own filter bounds it, so it is not held
   * against the slow-reader bound (a large one would drop the stream at once).
   */
  acknowledge(): void {
    const data = this.#tagged({
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: this.filter },
    });
    this.connection.writeBacklog(stringifySseMessage({ data }));
    const held = this.#held;
    this.#held = undefined;
    for (const notification of held?.values() ?? []) {
      const uri = notification.params?.uri;
      if (typeof uri !== "string" || this.hears(uri)) this.send(notification);
    }
  }

  #tagged(notification: JsonRpcNotification): string {
    const params = { ...notification.params };
    const meta = typeof params._meta === "object" && params._meta !== null
      ? params._meta as Record<string, unknown>
      : {};
    params._meta = { ...meta, [SUBSCRIPTION_ID_META_KEY]: this.id };
    return JSON.stringify({ jsonrpc: "2.0", method: notification.method, params });
  }
}

/** The open listen streams of this process. */
export class ListenStreams {
  #streams = new Set<ListenStream>();
  #options: ListenStreamsOptions;
  #shares: PrincipalShares;

  /** Creates an empty set with its bounds. */
  constructor(options: ListenStreamsOptions) {
    this.#options = options;
    this.#shares = new PrincipalShares(options.maxStreamsPerPrincipal);
  }

  /** Open listen streams. */
  get size(): number {
    return this.#streams.size;
  }

  /**
   * Opens a listen stream for request `id` of the principal `ownerKey`.
   * Throws `-32602` for a malformed or oversized filter and `-32603` when
   * the pool is full (the caller answers in-band); returns the `429` when
   * the principal holds its share. `hidden`: the URIs the caller's view
   * does not show; subscribed, they are acknowledged as any URI is, and
   * never told of. `hooksOf`: the hooks of the resources that serve the
   * stream's other URIs (a URI a hook refuses is not honoured).
   */
  open(
    id: RequestId,
    params: Record<string, unknown>,
    ownerKey: string,
    hidden?: (uri: string) => boolean,
    hooksOf?: ListenHooksOf,
  ): Response | Refusal {
    const requested = this.#readFilter(params.notifications);
    if (this.#shares.held(ownerKey) >= this.#shares.max) {
      return {
        ...shareFull("open listen streams", this.#shares.max, LISTEN_RETRY_AFTER_SECONDS),
        id,
      };
    }
    if (this.#streams.size >= this.#options.maxStreams) {
      throw new McpError(ErrorCode.InternalError, "Subscription limit reached");
    }
    this.#shares.take(ownerKey);
    const honoured = this.#honour(requested);
    let hooked: HookedUris | undefined;
    const connection = new SseConnection({
      maxBufferedBytes: this.#options.maxBufferedBytes,
      onEnd: (reason) => {
        hooked?.end();
        this.#streams.delete(stream);
        this.#shares.give(ownerKey);
        this.#options.keepAlive.remove(connection);
        if (reason !== "closed") this.#options.onDropped?.(reason);
      },
    });
    const unseen = hidden === undefined
      ? undefined
      : new Set(honoured.resourceSubscriptions?.filter(hidden));
    const stream = new ListenStream(id, honoured, connection, unseen);
    this.#streams.add(stream);
    const uris = hooksOf === undefined ? [] : (honoured.resourceSubscriptions ?? []).filter(
      (uri) => !unseen?.has(uri) && hooksOf.hooked(uri),
    );
    if (hooksOf === undefined || uris.length === 0) stream.acknowledge();
    else {
      stream.hold();
      hooked = new HookedUris(hooksOf, targetOf(stream), this.#options.onError ?? (() => {}));
      void hooked.subscribe(uris).then((refused) => {
        if (connection.ended) return;
        if (refused.size > 0) {
          honoured.resourceSubscriptions = honoured.resourceSubscriptions?.filter((uri) =>
            !refused.has(uri)
          );
        }
        stream.acknowledge();
      });
    }
    this.#options.keepAlive.add(connection);
    return sseResponse(connection.body);
  }

  /** Sends a list_changed notification to every stream that asked for it; returns how many got it. */
  publish(notification: JsonRpcNotification): number {
    const key = LIST_CHANGED[notification.method];
    let sent = 0;
    for (const stream of this.#streams) {
      if (key !== undefined && stream.filter[key] === true && stream.send(notification)) sent++;
    }
    return sent;
  }

  /** Sends `notifications/resources/updated` to the streams subscribed to `uri`. */
  resourceUpdated(uri: string): number {
    let sent = 0;
    for (const stream of this.#streams) {
      if (stream.hears(uri) && stream.send(updatedOf(uri))) sent++;
    }
    return sent;
  }

  /** Ends every stream gracefully: its listen result, then the end of the body. */
  closeAll(): void {
    for (const stream of [...this.#streams]) {
      const result = {
        resultType: "complete",
        _meta: {
          [SUBSCRIPTION_ID_META_KEY]: stream.id,
          [SERVER_INFO_META_KEY]: this.#options.serverInfo,
        },
      };
      stream.connection.write({ data: JSON.stringify({ jsonrpc: "2.0", id: stream.id, result }) });
      stream.connection.close();
    }
    this.#streams.clear();
  }

  #readFilter(value: unknown): ListenFilter {
    if (!isPlainObject(value)) {
      throw new McpError(
        ErrorCode.InvalidParams,
        "subscriptions/listen requires a notifications object",
      );
    }
    const raw = value as Record<string, unknown>;
    const filter: ListenFilter = {};
    for (const key of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] as const) {
      if (!Object.hasOwn(raw, key)) continue;
      if (typeof raw[key] !== "boolean") {
        throw new McpError(ErrorCode.InvalidParams, `notifications.${key} must be a boolean`);
      }
      filter[key] = raw[key] as boolean;
    }
    if (Object.hasOwn(raw, "resourceSubscriptions")) {
      filter.resourceSubscriptions = this.#readUris(raw.resourceSubscriptions);
    }
    return filter;
  }

  /**
   * The distinct URIs of a listen request, within the count, each within
   * `maxUriBytes` and all together within `maxResourceSubscriptionBytes`
   * (UTF-8, as `sessions.maxSubscriptionBytes` counts a session's).
   */
  #readUris(uris: unknown): string[] {
    const { maxResourceSubscriptions, maxUriBytes, maxResourceSubscriptionBytes } = this.#options;
    // Distinct URIs count (a URI named twice is one subscription); the body's bound bounds the array.
    const distinct = Array.isArray(uris) && uris.every((u) => typeof u === "string")
      ? [...new Set(uris as string[])]
      : undefined;
    if (distinct === undefined || distinct.length > maxResourceSubscriptions) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `notifications.resourceSubscriptions must be at most ${maxResourceSubscriptions} URIs`,
      );
    }
    let bytes = 0;
    for (const uri of distinct) {
      // The UTF-16 length is a lower bound: a huge URI is refused without encoding it.
      const length = uri.length > maxUriBytes ? uri.length : utf8Length(uri);
      if (length > maxUriBytes) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `notifications.resourceSubscriptions: a URI is longer than ${maxUriBytes} bytes`,
        );
      }
      bytes += length;
      if (bytes > maxResourceSubscriptionBytes) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `notifications.resourceSubscriptions would exceed ${maxResourceSubscriptionBytes} bytes`,
        );
      }
    }
    return distinct;
  }

  #honour(requested: ListenFilter): ListenFilter {
    const { support } = this.#options;
    const honoured: ListenFilter = {};
    if (requested.toolsListChanged && support.toolsListChanged) honoured.toolsListChanged = true;
    if (requested.promptsListChanged && support.promptsListChanged) {
      honoured.promptsListChanged = true;
    }
    if (requested.resourcesListChanged && support.resourcesListChanged) {
      honoured.resourcesListChanged = true;
    }
    if (requested.resourceSubscriptions !== undefined && support.resourceSubscriptions) {
      honoured.resourceSubscriptions = requested.resourceSubscriptions;
    }
    return honoured;
  }
}

function updatedOf(uri: string): JsonRpcNotification {
  return { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri } };
}

/** `stream` as its hooks see it: an id of its own, and its updates alone. */
function targetOf(stream: ListenStream): ListenTarget {
  return {
    id: crypto.randomUUID(),
    resourceUpdated: (uri) =>
      !stream.connection.ended && stream.hears(uri) && stream.send(updatedOf(uri)),
  };
}
