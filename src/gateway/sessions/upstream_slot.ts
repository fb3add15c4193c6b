/**
 * The place of one upstream session for one (downstream session, upstream)
 * pair, as ContextForge's registry keeps it: opened on first use, reused
 * while alive, probed with `ping` after an idle period and recreated when
 * the probe fails or the upstream died, closed with a bounded grace. It
 * holds at most one connection; who owns the slot is upstream_sessions.ts's.
 * @module
 */

import type { UpstreamConnection } from "./upstream_connection.ts";

/** How a slot probes and closes. */
export interface SlotSettings {
  /** Idle time after which the session is probed before reuse, ms. */
  idleProbeMs: number;
  /** How long a probe may take, ms. */
  probeTimeoutMs: number;
  /** The grace of a close before force, ms. */
  graceMs: number;
  /** The clock. */
  now(): number;
}

/** One upstream session's place; `open` makes a new connection. */
export class UpstreamSlot {
  readonly #open: () => Promise<UpstreamConnection>;
  readonly #settings: SlotSettings;
  #connection: Promise<UpstreamConnection> | undefined;
  #lastUsed = 0;
  #closed = false;
  /** Upstream sessions opened through this slot (the first, then recreations). */
  opened = 0;

  constructor(open: () => Promise<UpstreamConnection>, settings: SlotSettings) {
    this.#open = open;
    this.#settings = settings;
  }

  /** When the slot was last used (the clock's time). */
  get lastUsed(): number {
    return this.#lastUsed;
  }

  /** The live connection, opened or recreated as needed. Rejects once closed. */
  async acquire(): Promise<UpstreamConnection> {
    for (;;) {
      if (this.#closed) throw new Error("The upstream session has been closed");
      const pending = this.#connection;
      if (pending === undefined) return await this.#create();
      const connection = await pending.catch(() => undefined);
      if (connection !== undefined && !connection.dead) {
        const now = this.#settings.now();
        const idle = now - this.#lastUsed >= this.#settings.idleProbeMs;
        if (!idle || await connection.probe(this.#settings.probeTimeoutMs)) {
          this.#lastUsed = this.#settings.now();
          return connection;
        }
      }
      // Dead, failed or unanswered: forget it (if no one else did) and go round.
      if (this.#connection === pending) {
        this.#connection = undefined;
        void connection?.close(0);
      }
    }
  }

  /** Marks the slot used now (a call just ended). */
  touch(): void {
    this.#lastUsed = this.#settings.now();
  }

  /** Closes the slot and its upstream session: `graceMs`, then force. */
  async close(graceMs = this.#settings.graceMs): Promise<void> {
    this.#closed = true;
    const pending = this.#connection;
    this.#connection = undefined;
    const connection = await pending?.catch(() => undefined);
    await connection?.close(graceMs);
  }

  #create(): Promise<UpstreamConnection> {
    const created = this.#open();
    this.#connection = created;
    this.opened++;
    created.then(
      (connection) => {
        this.#lastUsed = this.#settings.now();
        // Closed while opening: the new session must not outlive its slot.
        if (this.#closed) void connection.close(this.#settings.graceMs);
      },
      () => {
        if (this.#connection === created) this.#connection = undefined;
      },
    );
    return created;
  }
}
