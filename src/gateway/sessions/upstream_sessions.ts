/**
 * Who owns which upstream session. In a downstream session (the 2025
 * revisions), one slot per (downstream session, upstream), kept with
 * `ctx.session.resource`, so it ends on every path that ends the session
 * (DELETE, expiry, `handler.close()`). Without one (2026-07-28), one slot per
 * (authenticated principal, upstream, client capabilities the request
 * declares), dropped after `statelessTtlMs`
 * unused; an anonymous request gets a slot of its own, closed when it ends
 * (anonymous callers cannot be told apart, so they never share one). Caps
 * count live upstream sessions: in all, per authenticated principal, and
 * for every anonymous caller together (each anonymous session or request
 * holding its own places). Per process: another instance serving the same
 * downstream session opens its own.
 * @module
 */

import {
  type HandlerContext,
  isAnonymous,
  ownerKeyOf,
  type Principal,
} from "../../protocol/context/request_context.ts";
import type { RelayBounds } from "../call_relay.ts";
import { type ListKind, UpstreamConnection } from "./upstream_connection.ts";
import { relayedCapabilities } from "./call_relay_handlers.ts";
import { type SlotSettings, UpstreamSlot } from "./upstream_slot.ts";
import type { Upstream } from "../upstream.ts";

/** Limits and timings of the upstream sessions. */
export interface SessionSettings extends SlotSettings {
  /** Live upstream sessions in this process. */
  maxSessions: number;
  /** Live upstream sessions of one authenticated principal. */
  maxSessionsPerPrincipal: number;
  /** Live upstream sessions of every anonymous caller together. */
  maxAnonymousSessions: number;
  /** What one call may relay. */
  relayBounds: RelayBounds;
  /** Told of each upstream message dropped or refused. */
  onDropped(): void;
  /** How long a session-less (2026-07-28) upstream session lives unused, ms. */
  statelessTtlMs: number;
  /** The largest message relayed either way, bytes. */
  maxRelayBytes: number;
  /** Told when an upstream announces a list changed. */
  onListChanged(upstream: string, kind: ListKind): void;
  /** Told when a resource a downstream session (`sessionId`) subscribed to changed upstream. */
  onResourceUpdated(sessionId: string, uri: string): void;
}

/**
 * Thrown when a cap is reached: the call fails (a tool result with
 * `isError`) with the seconds after which to try again.
 */
export class GatewayBusyError extends Error {
  /** When a place is likely free, seconds. */
  readonly retryAfterSeconds: number;
  /** A refusal worded `message`, retryable after `retryAfterSeconds`. */
  constructor(message: string, retryAfterSeconds: number) {
    super(`${message}; retry after ${retryAfterSeconds}s`);
    this.name = "GatewayBusyError";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Session-less slots not acquired yet (a first open that fails leaves no slot behind). */
const fresh = new WeakSet<UpstreamSlot>();

/** The key of a session's slot among its `ctx.session` resources. */
const resourceKey = (upstream: string) => `tether.gateway:${upstream}`;

/** A slot held for one call: the connection, and what to do when the call ends. */
export interface HeldSession {
  /** The slot (kept, or the request's own). */
  slot: UpstreamSlot;
  /** Its live connection. */
  connection: UpstreamConnection;
  /** Tells the slot the call ended: marks it used, or closes it (a request's own). */
  done(): void;
}

/** The upstream sessions of one gateway in this process. */
export class UpstreamSessions {
  readonly #settings: SessionSettings;
  readonly #slots = new Set<UpstreamSlot>();
  /** Session-less slots by principal and upstream, then by the capabilities the requests declare. */
  readonly #stateless = new Map<string, Map<string, UpstreamSlot>>();
  readonly #heldBy = new Map<string, number>();
  #live = 0;
  #anonymous = 0;
  #closed = false;
  /** Upstream sessions opened so far (for stats and tests). */
  opened = 0;

  constructor(settings: SessionSettings) {
    this.#settings = settings;
  }

  /** Live upstream sessions now. */
  get live(): number {
    return this.#live;
  }

  /**
   * The live connection of `ctx`'s session, principal or (anonymous,
   * without a session) request to `upstream`; call `done` when the call ends.
   */
  async connection(upstream: Upstream, ctx: HandlerContext): Promise<HeldSession> {
    if (this.#closed) throw new Error("The gateway is closed");
    if (ctx.session === undefined && isAnonymous(ctx.principal)) {
      // The request's own upstream session: opened now, closed when the call ends.
      const slot = this.#slot(upstream, ctx);
      try {
        return { slot, connection: await slot.acquire(), done: () => void this.#drop(slot) };
      } catch (error) {
        void this.#drop(slot);
        throw error;
      }
    }
    const slot = ctx.session === undefined
      ? this.#statelessSlot(upstream, ctx)
      : await ctx.session.resource(resourceKey(upstream.name), () => this.#slot(upstream, ctx), {
        dispose: (slot) => this.#drop(slot),
      });
    const first = fresh.delete(slot);
    try {
      return { slot, connection: await slot.acquire(), done: () => slot.touch() };
    } catch (error) {
      if (first) this.#forget(slot);
      throw error;
    }
  }

  /**
   * Which cap a new upstream session of `principal` would meet now, if any:
   * the process's, the authenticated principal's share, or the share of
   * every anonymous caller together.
   */
  full(principal: Principal): "all" | "principal" | "anonymous" | undefined {
    if (this.#live >= this.#settings.maxSessions) return "all";
    if (isAnonymous(principal)) {
      return this.#anonymous >= this.#settings.maxAnonymousSessions ? "anonymous" : undefined;
    }
    const held = this.#heldBy.get(ownerKeyOf(principal)) ?? 0;
    return held >= this.#settings.maxSessionsPerPrincipal ? "principal" : undefined;
  }

  /** The process-wide cap. */
  get maxSessions(): number {
    return this.#settings.maxSessions;
  }

  /** The cap of one authenticated principal. */
  get maxSessionsPerPrincipal(): number {
    return this.#settings.maxSessionsPerPrincipal;
  }

  /** The cap of every anonymous caller together. */
  get maxAnonymousSessions(): number {
    return this.#settings.maxAnonymousSessions;
  }

  /**
   * True when `principal` holds a session-less slot of each of `upstreams`
   * (never for anonymous callers: each of their requests opens its own).
   */
  holdsStateless(principal: Principal, upstreams: Iterable<string>): boolean {
    if (isAnonymous(principal)) return false;
    const owner = ownerKeyOf(principal);
    for (const upstream of upstreams) {
      if (!this.#stateless.has(`${owner}\n${upstream}`)) return false;
    }
    return true;
  }

  /** Closes every upstream session: `graceMs` each, then force. */
  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    const slots = [...this.#slots];
    this.#slots.clear();
    this.#stateless.clear();
    await Promise.all(slots.map((slot) => slot.close(graceMs)));
  }

  /** Drops session-less slots unused for `statelessTtlMs`. */
  sweep(): void {
    const cutoff = this.#settings.now() - this.#settings.statelessTtlMs;
    for (const [key, slots] of this.#stateless) {
      for (const [capabilities, slot] of slots) {
        if (slot.lastUsed > cutoff) continue;
        slots.delete(capabilities);
        void this.#drop(slot);
      }
      if (slots.size === 0) this.#stateless.delete(key);
    }
  }

  /**
   * The slot of `ctx`'s principal and upstream for the client capabilities
   * `ctx`'s request declares: the upstream session declares exactly those,
   * so a request never borrows another's (2026-07-28 declares them per
   * request). A slot whose first open fails is not kept.
   */
  #statelessSlot(upstream: Upstream, ctx: HandlerContext): UpstreamSlot {
    this.sweep();
    const key = `${ownerKeyOf(ctx.principal)}\n${upstream.name}`;
    const capabilities = JSON.stringify(relayedCapabilities(ctx.clientCapabilities));
    let slots = this.#stateless.get(key);
    if (slots === undefined) this.#stateless.set(key, slots = new Map());
    let slot = slots.get(capabilities);
    if (slot === undefined) {
      slot = this.#slot(upstream, ctx);
      slots.set(capabilities, slot);
      fresh.add(slot);
    }
    return slot;
  }

  /** Forgets session-less `slot` (its first open failed: a cap, an upstream down). */
  #forget(slot: UpstreamSlot): void {
    for (const [key, slots] of this.#stateless) {
      for (const [capabilities, held] of slots) if (held === slot) slots.delete(capabilities);
      if (slots.size === 0) this.#stateless.delete(key);
    }
    void this.#drop(slot);
  }

  #slot(upstream: Upstream, ctx: HandlerContext): UpstreamSlot {
    const principal = ctx.principal;
    const capabilities = ctx.clientCapabilities;
    const sessionId = ctx.session?.id;
    // Subscriptions belong to the downstream session: kept by the slot, across recreations.
    const subscriptions = sessionId === undefined ? undefined : new Set<string>();
    const who = { principal, capabilities, sessionId, subscriptions };
    const slot = new UpstreamSlot(() => this.#open(upstream, who), {
      idleProbeMs: this.#settings.idleProbeMs,
      probeTimeoutMs: this.#settings.probeTimeoutMs,
      graceMs: this.#settings.graceMs,
      now: this.#settings.now,
    });
    this.#slots.add(slot);
    return slot;
  }

  #drop(slot: UpstreamSlot): Promise<void> {
    this.#slots.delete(slot);
    return slot.close(this.#settings.graceMs);
  }

  async #open(
    upstream: Upstream,
    who: Pick<HandlerContext, "principal"> & {
      capabilities: HandlerContext["clientCapabilities"];
      sessionId: string | undefined;
      subscriptions: Set<string> | undefined;
    },
  ): Promise<UpstreamConnection> {
    const { sessionId, subscriptions } = who;
    const release = this.#reserve(who.principal);
    try {
      const connection = await UpstreamConnection.open(upstream, {
        principal: who.principal,
        capabilities: who.capabilities,
        maxRelayBytes: this.#settings.maxRelayBytes,
        relayBounds: this.#settings.relayBounds,
        onDropped: this.#settings.onDropped,
        probeTimeoutMs: this.#settings.probeTimeoutMs,
        onListChanged: (kind) => this.#settings.onListChanged(upstream.name, kind),
        onClosed: release,
        subscriptions,
        onResourceUpdated: sessionId === undefined
          ? undefined
          : (uri) => this.#settings.onResourceUpdated(sessionId, uri),
      });
      this.opened++;
      return connection;
    } catch (error) {
      release();
      throw error;
    }
  }

  /**
   * Takes a place for `principal` (the rule of {@linkcode full}); the
   * returned function gives it back (once).
   */
  #reserve(principal: Principal): () => void {
    const { maxSessions, maxSessionsPerPrincipal, maxAnonymousSessions } = this.#settings;
    const full = this.full(principal);
    if (full === "all") {
      throw new GatewayBusyError(
        `The gateway holds its limit of ${maxSessions} upstream sessions`,
        5,
      );
    }
    if (full === "anonymous") {
      throw new GatewayBusyError(
        `Too many upstream sessions for callers without credentials (limit ${maxAnonymousSessions})`,
        5,
      );
    }
    if (full === "principal") {
      throw new GatewayBusyError(
        `Too many upstream sessions for this caller (limit ${maxSessionsPerPrincipal})`,
        5,
      );
    }
    this.#live++;
    const owner = isAnonymous(principal) ? undefined : ownerKeyOf(principal);
    if (owner === undefined) this.#anonymous++;
    else this.#heldBy.set(owner, (this.#heldBy.get(owner) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#live--;
      if (owner === undefined) return void this.#anonymous--;
      const now = (this.#heldBy.get(owner) ?? 1) - 1;
      if (now === 0) this.#heldBy.delete(owner);
      else this.#heldBy.set(owner, now);
    };
  }
}
