/**
 * Resource subscriptions to the resources of 2026-07-28 upstreams, which
 * have no `resources/subscribe`, by downstream subscribers: 2025 sessions
 * (`resources/subscribe`) and 2026-07-28 listen streams (their
 * `resourceSubscriptions`, `ctx.listen`). One upstream `subscriptions/listen`
 * stream with `resourceSubscriptions: [uri]` per (caller, upstream, URI),
 * opened with that caller's own credentials, shared by that caller's
 * subscribers of the URI (anonymous callers: one per subscriber), reopened
 * with modern_listen.ts's backoff when it breaks, closed when its last
 * subscriber unsubscribes or ends. Each update goes to exactly the
 * subscribers of it. Bounded in number, in all and per caller (every
 * anonymous caller together). Per process.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import {
  type HandlerContext,
  isAnonymous,
  ownerKeyOf,
  type Principal,
} from "../../protocol/context/request_context.ts";
import type { ModernEndpoint } from "./modern_endpoint.ts";
import { type ListenSettings, ListenStream } from "./modern_listen.ts";
import { upstreamFailure } from "../upstream_failure.ts";

/** What the subscriptions of one gateway need. */
export interface SubscriptionSettings {
  /** Upstream listen streams held for subscriptions, in all. */
  maxStreams: number;
  /** Upstream listen streams held for one caller (every anonymous caller together). */
  maxStreamsPerPrincipal: number;
  /** How long a subscribe waits for the upstream's acknowledgement, ms. */
  timeoutMs: number;
  /** The first wait before a broken stream is opened again, ms (doubling). */
  retryMs: number;
  /** The longest wait, ms. */
  maxRetryMs: number;
  /** Told of each update of `uri` for the downstream session `sessionId`. */
  onResourceUpdated(sessionId: string, uri: string): void;
}

/** One upstream listen stream and the downstream subscribers through it, by key. */
interface Held {
  readonly owner: string;
  /** Each subscriber's delivery of an update (a session's, or a listen stream's). */
  readonly subscribers: Map<string, (uri: string) => void>;
  readonly settings: ListenSettings;
  /** Settles at the first acknowledgement (honoured or not), the first failure, or the end. */
  readonly ready: Promise<void>;
  /** Closes the stream (a subscribe still waiting is refused). */
  end(): void;
}

/** The key of a session's subscriptions among its `ctx.session` resources. */
const SESSION_KEY = "tether.gateway:modern-subscriptions";

/** A downstream subscriber: a 2025 session or a 2026-07-28 listen stream. */
interface Subscriber {
  /** Unique among subscribers (sessions and listen streams apart). */
  readonly id: string;
  /** The stream keys it holds, given back when it ends (by any path). */
  readonly keys: Set<string>;
  deliver(uri: string): void;
}

/**
 * The upstream listen streams of the downstream sessions' subscriptions.
 *
 * @example
 * ```ts ignore (internal: needs a live 2026-07-28 upstream endpoint and a running call's context)
 * const subscriptions = new ModernSubscriptions({ maxStreams: 512, maxStreamsPerPrincipal: 32, timeoutMs: 300_000, retryMs: 1_000, maxRetryMs: 60_000, onResourceUpdated });
 * await subscriptions.subscribe("files", endpoint, "file:///notes.md", ctx);
 * ```
 */
export class ModernSubscriptions {
  readonly #settings: SubscriptionSettings;
  readonly #held = new Map<string, Held>();
  readonly #heldBy = new Map<string, number>();
  /** The stream keys of each listen stream subscribed (by its `ctx.listen` id). */
  readonly #listens = new Map<string, Set<string>>();
  #closed = false;

  /** No stream yet; bounds and hooks from `settings`. */
  constructor(settings: SubscriptionSettings) {
    this.#settings = settings;
  }

  /** Upstream listen streams held now. */
  get live(): number {
    return this.#held.size;
  }

  /**
   * Subscribes `ctx`'s session or listen stream to `uri` of `upstream`:
   * joins the caller's stream of it, or opens one and waits for the
   * upstream's acknowledgement. Rejects past a bound (`-32004`), without a
   * session or listen stream, or when the upstream does not take the
   * subscription (`-32603`, naming the upstream only).
   */
  async subscribe(
    upstream: string,
    endpoint: ModernEndpoint,
    uri: string,
    ctx: HandlerContext,
  ): Promise<void> {
    if (this.#closed) throw new McpError(ErrorCode.InternalError, "The gateway is closed");
    const subscriber = await this.#subscriberOf(ctx);
    if (subscriber === undefined) {
      throw new McpError(ErrorCode.InvalidRequest, "resources/subscribe needs a session");
    }
    const { owner, key } = this.#place(upstream, uri, ctx, subscriber);
    let held = this.#held.get(key);
    if (held === undefined) {
      held = this.#open(key, owner, upstream, endpoint, uri, ctx.principal);
    } else {
      // Reopened with the newest subscriber's principal (its credentials may be fresher).
      held.settings.principal = ctx.principal;
    }
    held.subscribers.set(subscriber.id, subscriber.deliver);
    subscriber.keys.add(key);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), this.#settings.timeoutMs);
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
    });
    try {
      await Promise.race([held.ready, stopped]);
    } catch (error) {
      subscriber.keys.delete(key);
      this.#leave(key, subscriber.id);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (error instanceof McpError) throw error;
      throw new McpError(ErrorCode.InternalError, upstreamFailure(upstream, error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the subscription of `ctx`'s session or listen stream to `uri` of `upstream` (its stream, if it was the last). */
  async unsubscribe(upstream: string, uri: string, ctx: HandlerContext): Promise<void> {
    const subscriber = await this.#subscriberOf(ctx);
    if (subscriber === undefined) return;
    const { key } = this.#place(upstream, uri, ctx, subscriber);
    if (subscriber.keys.delete(key)) this.#leave(key, subscriber.id);
  }

  /** Closes every stream; later subscribes are refused. */
  close(): void {
    this.#closed = true;
    for (const held of this.#held.values()) held.end();
    this.#held.clear();
    this.#heldBy.clear();
    this.#listens.clear();
  }

  /**
   * `ctx`'s subscriber: its session (keys kept among its resources, given
   * back when it ends), else its listen stream (keys kept here, given back
   * when the stream's signal aborts); undefined for neither.
   */
  async #subscriberOf(ctx: HandlerContext): Promise<Subscriber | undefined> {
    const { session, listen } = ctx;
    if (session !== undefined) {
      const id = `session:${session.id}`;
      const keys = await session.resource(SESSION_KEY, () => new Set<string>(), {
        dispose: (keys) => {
          for (const key of keys) this.#leave(key, id);
        },
      });
      return {
        id,
        keys,
        deliver: (uri) => this.#settings.onResourceUpdated(session.id, uri),
      };
    }
    if (listen === undefined) return undefined;
    const id = `listen:${listen.id}`;
    let keys = this.#listens.get(listen.id);
    if (keys === undefined) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const held = keys = new Set<string>();
      this.#listens.set(listen.id, held);
      ctx.signal.addEventListener("abort", () => {
        this.#listens.delete(listen.id);
        for (const key of held) this.#leave(key, id);
        held.clear();
      }, { once: true });
    }
    return { id, keys, deliver: (uri) => void listen.resourceUpdated(uri) };
  }

  /** The key of the stream of `ctx`'s caller to `uri` of `upstream`. */
  #place(
    upstream: string,
    uri: string,
    ctx: HandlerContext,
    subscriber: Subscriber,
  ): { owner: string; key: string } {
    const owner = ownerKeyOf(ctx.principal);
    // Anonymous callers cannot be told apart: each subscriber has streams of its own.
    const caller = isAnonymous(ctx.principal) ? `${owner}:${subscriber.id}` : owner;
    return { owner, key: JSON.stringify([caller, upstream, uri]) };
  }

  /** Opens the stream of `key` for `principal`, within the bounds. */
  #open(
    key: string,
    owner: string,
    upstream: string,
    endpoint: ModernEndpoint,
    uri: string,
    principal: Principal,
  ): Held {
    const { maxStreams, maxStreamsPerPrincipal, retryMs, maxRetryMs } = this.#settings;
    if (this.#held.size >= maxStreams) {
      throw new McpError(
        ErrorCode.TooManyRequests,
        `The gateway holds its limit of ${maxStreams} upstream resource subscriptions`,
      );
    }
    const count = this.#heldBy.get(owner) ?? 0;
    if (count >= maxStreamsPerPrincipal) {
      throw new McpError(
        ErrorCode.TooManyRequests,
        `Too many upstream resource subscriptions for this caller (limit ${maxStreamsPerPrincipal})`,
      );
    }
    this.#heldBy.set(owner, count + 1);
    const subscribers = new Map<string, (uri: string) => void>();
    let settle: { resolve(): void; reject(error: unknown): void } | undefined;
    const ready = new Promise<void>((resolve, reject) => settle = { resolve, reject });
    // Rejections are read by the subscribes waiting; none may go unhandled.
    ready.catch(() => {});
    const updated = (uri: string) => {
      for (const deliver of subscribers.values()) deliver(uri);
    };
    const settings: ListenSettings = {
      principal,
      kinds: [],
      onListChanged: () => {},
      resourceSubscriptions: [uri],
      onResourceUpdated: updated,
      onAcknowledged: (notifications, again) => {
        const uris = notifications.resourceSubscriptions;
        if (Array.isArray(uris) && uris.includes(uri)) settle?.resolve();
        else {
          settle?.reject(
            new McpError(
              ErrorCode.InternalError,
              `Upstream "${upstream}" does not offer updates of this resource`,
            ),
          );
        }
        settle = undefined;
        // Back after a break: the resource may have changed meanwhile.
        if (again) updated(uri);
      },
      onBroken: () => {
        settle?.reject(new Error("the listen stream did not open"));
        settle = undefined;
      },
      retryMs,
      maxRetryMs,
    };
    const stream = ListenStream.open(endpoint, settings);
    const end = () => {
      settle?.reject(new Error("the subscription ended"));
      settle = undefined;
      stream.close();
    };
    const held: Held = { owner, subscribers, settings, ready, end };
    this.#held.set(key, held);
    return held;
  }

  /** Takes subscriber `id` off `key`'s stream; the last one out closes it. */
  #leave(key: string, id: string): void {
    const held = this.#held.get(key);
    if (held === undefined || !held.subscribers.delete(id) || held.subscribers.size > 0) return;
    held.end();
    this.#held.delete(key);
    const count = (this.#heldBy.get(held.owner) ?? 1) - 1;
    if (count === 0) this.#heldBy.delete(held.owner);
    else this.#heldBy.set(held.owner, count);
  }
}
