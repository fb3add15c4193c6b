/**
 * The gateway's `subscriptions/listen` stream to one 2026-07-28 upstream:
 * the upstream's list changes (tools, prompts, resources) fanned in to the
 * gateway's discovery, which rereads the list and tells every downstream
 * client (legacy sessions and 2026 listen streams alike). A stream that ends
 * or cannot open is opened again after a wait that doubles up to a ceiling;
 * once it is back, every list counts as changed (a change may have been
 * missed meanwhile). The same stream, given `resourceSubscriptions`, carries
 * one caller's resource subscriptions (modern_subscriptions.ts keeps those).
 * It keeps no subscriber and relays nothing itself: its settings' hooks do.
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { Principal } from "../../protocol/context/request_context.ts";
import { unrefTimer } from "../../runtime.ts";
import type { ModernEndpoint } from "./modern_endpoint.ts";
import { modernMessage, readEvents } from "../../client/modern_request.ts";
import type { ListKind } from "../sessions/upstream_connection.ts";
import { GATEWAY_CLIENT_INFO } from "../gateway_defaults.ts";

/** The list each change notification names. */
const KIND_OF: Record<string, ListKind> = {
  "notifications/tools/list_changed": "tools",
  "notifications/prompts/list_changed": "prompts",
  "notifications/resources/list_changed": "resources",
};

/** The listen filter's flag of each list. */
const FLAG_OF: Record<ListKind, string> = {
  tools: "toolsListChanged",
  prompts: "promptsListChanged",
  resources: "resourcesListChanged",
};

/** What a listen stream needs. */
export interface ListenSettings {
  /** Who listens (the gateway's own principal). */
  principal: Principal;
  /** The lists whose changes the upstream announces (its `listChanged` bits). */
  kinds: readonly ListKind[];
  /** Told of each list change (and of every list once a broken stream is back). */
  onListChanged(kind: ListKind): void;
  /** The resource URIs whose updates the stream asks for. Default: none. */
  resourceSubscriptions?: readonly string[];
  /** Told of each `notifications/resources/updated` for a URI of `resourceSubscriptions`. */
  onResourceUpdated?(uri: string): void;
  /** Told of each acknowledgement: what the upstream honours, and whether the stream was back after a break. */
  onAcknowledged?(notifications: Record<string, unknown>, again: boolean): void;
  /** Told each time the stream cannot open or breaks (it is opened again after the wait). */
  onBroken?(): void;
  /** The first wait before a broken stream is opened again, ms (doubling). */
  retryMs: number;
  /** The longest wait, ms. */
  maxRetryMs: number;
}

/**
 * One upstream's listen stream, open until {@linkcode ListenStream.close}.
 *
 * @example
 * ```ts ignore (internal: needs a live 2026-07-28 upstream endpoint)
 * const listen = ListenStream.open(endpoint, { principal, kinds: ["tools"], onListChanged, retryMs: 1_000, maxRetryMs: 60_000 });
 * listen.close();
 * ```
 */
export class ListenStream {
  readonly #endpoint: ModernEndpoint;
  readonly #settings: ListenSettings;
  readonly #abort = new AbortController();
  #waitMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;

  private constructor(endpoint: ModernEndpoint, settings: ListenSettings) {
    this.#endpoint = endpoint;
    this.#settings = settings;
    this.#waitMs = settings.retryMs;
  }

  /** Opens the stream (in the background) when it has a list or a resource to listen for. */
  static open(endpoint: ModernEndpoint, settings: ListenSettings): ListenStream {
    const stream = new ListenStream(endpoint, settings);
    const uris = settings.resourceSubscriptions ?? [];
    if (settings.kinds.length > 0 || uris.length > 0) void stream.#run(false);
    return stream;
  }

  /** Ends the stream and its retries. */
  close(): void {
    clearTimeout(this.#timer);
    this.#abort.abort();
  }

  async #run(again: boolean): Promise<void> {
    // Read at each opening: the principal may be updated (modern_subscriptions.ts).
    const { kinds, principal, resourceSubscriptions: uris = [] } = this.#settings;
    const notifications: Record<string, unknown> = {};
    for (const kind of kinds) notifications[FLAG_OF[kind]] = true;
    if (uris.length > 0) notifications.resourceSubscriptions = [...uris];
    const id = this.#nextId++;
    const { body, headers } = modernMessage({
      id,
      method: "subscriptions/listen",
      params: { notifications },
      capabilities: {},
      clientInfo: GATEWAY_CLIENT_INFO,
    });
    try {
      const response = await this.#endpoint.post(principal, body, headers, this.#abort.signal);
      const type = response.headers.get("content-type") ?? "";
      if (!response.ok || !type.includes("text/event-stream") || response.body === null) {
        await response.body?.cancel().catch(() => {});
        throw new Error(`HTTP ${response.status}`);
      }
      await readEvents(response.body, (message) => {
        if (!isPlainObject(message)) return false;
        if (message.method === "notifications/subscriptions/acknowledged") {
          this.#waitMs = this.#settings.retryMs;
          if (again) { for (const kind of kinds) this.#settings.onListChanged(kind); }
          const params = isPlainObject(message.params) ? message.params : {};
          const honoured = isPlainObject(params.notifications) ? params.notifications : {};
          this.#settings.onAcknowledged?.(honoured, again);
          again = false;
          return false;
        }
        const kind = typeof message.method === "string" ? KIND_OF[message.method] : undefined;
        if (kind !== undefined && kinds.includes(kind)) this.#settings.onListChanged(kind);
        if (message.method === "notifications/resources/updated") {
          const uri = isPlainObject(message.params) ? message.params.uri : undefined;
          // Only a URI asked for: an upstream cannot push others.
          if (typeof uri === "string" && uris.includes(uri)) {
            this.#settings.onResourceUpdated?.(uri);
          }
        }
        // The listen request's own answer (or error) ends the stream.
        return message.id === id;
      }, this.#abort.signal);
    } catch {
      // A stream that cannot open or broke is opened again below.
    }
    if (this.#abort.signal.aborted) return;
    this.#settings.onBroken?.();
    if (this.#abort.signal.aborted) return;
    const waitMs = this.#waitMs;
    this.#waitMs = Math.min(waitMs * 2, this.#settings.maxRetryMs);
    this.#timer = setTimeout(() => void this.#run(true), waitMs);
    unrefTimer(this.#timer);
  }
}
