/**
 * The gateway's discovery: one session per upstream (as `GATEWAY_PRINCIPAL`)
 * that reads its lists at startup and again on `list_changed`. An upstream
 * that cannot be read at startup is reported once and retried with backoff
 * until it answers; the others are served meanwhile. What is read is served
 * through served_catalogs.ts; the calls themselves go elsewhere.
 * @module
 */

import { unrefTimer } from "../../runtime.ts";
import type { UpstreamCatalog } from "./catalog.ts";
import { type GatewayTarget, Refresher } from "./list_refresher.ts";
import { ALL_KINDS, ServedCatalogs } from "./served_catalogs.ts";
import type { ListKind } from "../sessions/upstream_connection.ts";
import type { Upstream } from "../upstream.ts";
import type { ListSource } from "./read_catalog.ts";

/**
 * What discovery reads an upstream through: a 2025 session
 * (`UpstreamConnection`) or a 2026-07-28 upstream's listen stream
 * (modern_discovery.ts).
 */
export interface DiscoverySession extends ListSource {
  /** True once it ended (it is opened again before the next read). */
  readonly dead: boolean;
  /** Ends it: `graceMs`, then force. */
  close(graceMs: number): Promise<void>;
}

/** What discovery needs from the gateway. */
export interface DiscoverySettings {
  /** The upstreams by name, in order. */
  upstreams: ReadonlyMap<string, Upstream>;
  /** Opens a discovery session whose `list_changed` calls `onListChanged`. */
  open(upstream: Upstream, onListChanged: (kind: ListKind) => void): Promise<DiscoverySession>;
  /** Reads the lists `kinds` of `upstream` over `connection`. */
  read(
    upstream: Upstream,
    connection: DiscoverySession,
    kinds: readonly ListKind[],
  ): Promise<Partial<UpstreamCatalog>>;
  /** The first wait before an unavailable upstream is tried again, ms (doubling each time). */
  retryMs: number;
  /** The longest wait between tries, ms. */
  maxRetryMs: number;
  /** Told of refused rereads, failed rereads and unavailable upstreams. */
  onError(error: unknown): void;
}

/** The discovery sessions, the lists read through them, and the retries of upstreams that are down. */
export class Discovery {
  readonly #settings: DiscoverySettings;
  /** What is served before any attach, then into the first target. */
  readonly #catalogs = new ServedCatalogs();
  /** What is served into each attached target (several endpoints: one each). */
  readonly #targets = new Map<GatewayTarget, ServedCatalogs>();
  readonly #refresher: Refresher;
  readonly #connections = new Map<string, DiscoverySession>();
  /** Upstreams not read yet, with their next wait and pending timer. */
  readonly #down = new Map<string, { waitMs: number; timer?: ReturnType<typeof setTimeout> }>();
  /** Upstreams whose reread failed: the lists to read again, the next wait and its timer. */
  readonly #stale = new Map<
    string,
    { kinds: Set<ListKind>; waitMs: number; timer: ReturnType<typeof setTimeout> }
  >();
  #closed = false;

  private constructor(settings: DiscoverySettings) {
    this.#settings = settings;
    this.#refresher = new Refresher(settings.onError);
    this.#refresher.bind((upstream, kinds) => this.#reread(upstream, kinds));
  }

  /**
   * Reads every upstream's lists (all at once). Those that fail are
   * reported and retried; two upstreams offering one name reject.
   */
  static async start(settings: DiscoverySettings): Promise<Discovery> {
    const discovery = new Discovery(settings);
    const names = [...settings.upstreams.keys()];
    const reads = await Promise.allSettled(names.map((name) => discovery.#readAll(name)));
    const read = new Map<string, Partial<UpstreamCatalog>>();
    reads.forEach((outcome, index) => {
      if (outcome.status === "fulfilled") read.set(names[index], outcome.value);
      else discovery.#unavailable(names[index], outcome.reason);
    });
    try {
      discovery.#catalogs.start(read);
    } catch (error) {
      await discovery.close(0);
      throw error;
    }
    return discovery;
  }

  /** Everything served, upstreams in order. */
  definitions(): UpstreamCatalog {
    return this.#catalogs.definitions();
  }

  /**
   * Serves into `target` from now on (refusals reported); a further target
   * is served the same lists, checked against its own entries.
   */
  attach(target: GatewayTarget): void {
    let catalogs = this.#targets.get(target);
    if (catalogs === undefined) {
      catalogs = this.#targets.size === 0 ? this.#catalogs : this.#catalogs.fork();
      this.#targets.set(target, catalogs);
    }
    for (const refusal of catalogs.attach(target)) this.#settings.onError(refusal);
  }

  /** Serves a fresh read into every target; each one's refusal is reported. */
  #update(name: string, fresh: Partial<UpstreamCatalog>, kinds: readonly ListKind[]): void {
    const all = this.#targets.size === 0 ? [this.#catalogs] : this.#targets.values();
    for (const catalogs of all) {
      try {
        catalogs.update(name, fresh, kinds);
      } catch (error) {
        this.#settings.onError(error);
      }
    }
  }

  /** An upstream session said `kind` changed: reread it. */
  changed(upstream: string, kind: ListKind): void {
    this.#refresher.changed(upstream, [kind]);
  }

  /** The upstreams not read yet (down at startup, not back so far). */
  get unavailable(): string[] {
    return [...this.#down.keys()];
  }

  /** Stops the retries and closes the discovery sessions. */
  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    for (const down of this.#down.values()) clearTimeout(down.timer);
    for (const stale of this.#stale.values()) clearTimeout(stale.timer);
    await Promise.all([...this.#connections.values()].map((c) => c.close(graceMs)));
  }

  /** The discovery session of `name`, opened again when it died (the upstream restarted). */
  async #connection(name: string): Promise<DiscoverySession> {
    const known = this.#connections.get(name);
    if (known !== undefined && !known.dead) return known;
    const upstream = this.#settings.upstreams.get(name)!;
    const connection = await this.#settings.open(upstream, (kind) => this.changed(name, kind));
    if (this.#closed) {
      await connection.close(0);
      throw new Error("The gateway is closed");
    }
    this.#connections.set(name, connection);
    return connection;
  }

  async #readAll(name: string): Promise<Partial<UpstreamCatalog>> {
    const connection = await this.#connection(name);
    return await this.#settings.read(this.#settings.upstreams.get(name)!, connection, ALL_KINDS);
  }

  /** Reports `name` down (once) and schedules its next try. */
  #unavailable(name: string, error: unknown): void {
    const { retryMs, maxRetryMs } = this.#settings;
    const down = this.#down.get(name);
    if (down === undefined) {
      this.#settings.onError(
        new Error(
          `Gateway: upstream "${name}" is unavailable; serving the others, trying it again ` +
            `after ${retryMs} ms, then doubling up to ${maxRetryMs} ms`,
          { cause: error },
        ),
      );
    }
    const waitMs = down?.waitMs ?? retryMs;
    const timer = setTimeout(() => this.#refresher.changed(name, ALL_KINDS), waitMs);
    unrefTimer(timer);
    this.#down.set(name, { waitMs: Math.min(waitMs * 2, maxRetryMs), timer });
  }

  /**
   * Reports `name`'s failed reread of `kinds` (once until a reread answers)
   * and schedules the next try of every list not read since.
   */
  #retryReread(name: string, kinds: readonly ListKind[], error: unknown): void {
    const { retryMs, maxRetryMs } = this.#settings;
    const stale = this.#stale.get(name);
    if (stale === undefined) {
      this.#settings.onError(
        new Error(
          `Gateway: rereading the lists of upstream "${name}" failed; serving its previous ` +
            `lists, trying again after ${retryMs} ms, then doubling up to ${maxRetryMs} ms`,
          { cause: error },
        ),
      );
    }
    clearTimeout(stale?.timer);
    const pending = new Set([...stale?.kinds ?? [], ...kinds]);
    const waitMs = stale?.waitMs ?? retryMs;
    const timer = setTimeout(() => this.#refresher.changed(name, [...pending]), waitMs);
    unrefTimer(timer);
    this.#stale.set(name, { kinds: pending, waitMs: Math.min(waitMs * 2, maxRetryMs), timer });
  }

  /** Rereads `kinds` of `name` (every list when it was never read) and serves them. */
  async #reread(name: string, kinds: readonly ListKind[]): Promise<void> {
    if (this.#closed) return;
    const down = this.#down.get(name);
    if (down !== undefined) {
      clearTimeout(down.timer);
      let fresh;
      try {
        fresh = await this.#readAll(name);
      } catch (error) {
        if (!this.#closed) this.#unavailable(name, error);
        return;
      }
      if (this.#closed) return;
      this.#down.delete(name);
      this.#update(name, fresh, ALL_KINDS);
      return;
    }
    let fresh;
    try {
      const connection = await this.#connection(name);
      fresh = await this.#settings.read(this.#settings.upstreams.get(name)!, connection, kinds);
    } catch (error) {
      if (!this.#closed) this.#retryReread(name, kinds, error);
      return;
    }
    if (this.#closed) return;
    const stale = this.#stale.get(name);
    if (stale !== undefined && [...stale.kinds].every((kind) => kinds.includes(kind))) {
      clearTimeout(stale.timer);
      this.#stale.delete(name);
    }
    this.#update(name, fresh, kinds);
  }
}
