/**
 * Wake-ups between instances over Postgres `LISTEN`/`NOTIFY`: one listening connection per
 * instance (never one per session), its channels listened again each time it reconnects, and
 * then every subscriber woken once, as it would be by a lost notification: the tables are the
 * truth, a wake-up only says "read them now". Notifications carry no data beyond an id, are sent
 * on the pool after the write (never inside it) and coalesced within a tick. Readers poll at a
 * bounded interval as well, so a lost wake-up costs latency, never correctness. Polling-only
 * mode (a pooler without session features) opens no listening connection.
 * @module
 */

import postgres from "postgres";
import { unrefTimer } from "../../runtime.ts";
import type { PostgresGate, PostgresSql } from "./postgres_gate.ts";
import { hostChoice } from "./postgres_hosts.ts";

/**
 * Wake-ups by channel: subscribe to a channel's, send one.
 *
 * @example
 * ```ts ignore (internal fragment: `sql`, `gate`, `pool` and `url` are the backend's own)
 * const stop = wakeups.on("tether_bus", (id) => readTheBusTable(id));
 * wakeups.notify("tether_bus", "instance-7"); // after the row was committed
 * ```
 */
export interface Wakeups {
  /**
   * Calls `wake` with a notification's payload (an id, or `""`) each time `channel` is
   * notified, and with `""` each time the listening connection (re)starts listening: what was
   * missed meanwhile is to be read from the tables. Returns the unsubscribe. Never called in
   * polling-only mode.
   */
  on(channel: string, wake: (payload: string) => void): () => void;
  /** Sends a wake-up on `channel` (payload at most an id); repeats within one tick send one. */
  notify(channel: string, payload?: string): void;
  /** True while the listening connection listens (always false in polling-only mode). */
  readonly listening: boolean;
  /** Closes the listening connection and drops pending wake-ups. */
  close(): Promise<void>;
}

/** How long the listener waits before listening again after a failure, ms (doubling to the max). */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/** Longest channel name Postgres keeps (NAMEDATALEN - 1), and a payload's bound here. */
const MAX_CHANNEL_BYTES = 63;
const MAX_PAYLOAD_BYTES = 256;

/** What {@linkcode openWakeups} needs. */
export interface WakeupsSetup {
  /** The URL of a direct connection (not through a transaction-mode pooler). */
  url: string;
  /** The pool (NOTIFY is sent there) and its gate (reports the listener's failures). */
  pool: PostgresSql;
  gate: PostgresGate;
  /** `false`: polling-only (no listening connection). */
  listen: boolean;
  /** Deadline of one connect-and-listen attempt, ms. */
  timeoutMs: number;
}

/**
 * Opens the wake-ups of one instance: with `listen`, one connection of its own (postgres.js,
 * `max: 1`, no idle or lifetime close) that listens to every subscribed channel and listens
 * again after each reconnect; without, polling-only.
 *
 * @example
 * ```ts ignore (internal fragment: `sql`, `gate`, `pool` and `url` are the backend's own)
 * const wakeups = openWakeups({ url, pool, gate, listen: true, timeoutMs: 5_000 });
 * ```
 */
export function openWakeups(setup: WakeupsSetup): Wakeups {
  return new ListeningWakeups(setup);
}

class ListeningWakeups implements Wakeups {
  readonly #setup: WakeupsSetup;
  readonly #subscribers = new Map<string, Set<(payload: string) => void>>();
  readonly #pending = new Set<string>();
  #listener: PostgresSql | undefined;
  #listening = false;
  #retryMs = RETRY_MIN_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #attempt: Promise<void> | undefined;
  #flush: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(setup: WakeupsSetup) {
    this.#setup = setup;
  }

  get listening(): boolean {
    return this.#listening;
  }

  on(channel: string, wake: (payload: string) => void): () => void {
    checkChannel(channel);
    let set = this.#subscribers.get(channel);
    const fresh = set === undefined;
    if (set === undefined) this.#subscribers.set(channel, set = new Set());
    set.add(wake);
    if (fresh && this.#setup.listen && !this.#closed) {
      this.#listening = false; // the new channel is listened by the next attempt
      this.#listenSoon(0);
    }
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.#subscribers.get(channel) === set) {
        this.#subscribers.delete(channel);
      }
    };
  }

  notify(channel: string, payload = ""): void {
    checkChannel(channel);
    if (new TextEncoder().encode(payload).length > MAX_PAYLOAD_BYTES) {
      throw new RangeError(`a wake-up's payload is at most ${MAX_PAYLOAD_BYTES} bytes (an id)`);
    }
    if (this.#closed) return;
    this.#pending.add(JSON.stringify([channel, payload]));
    if (this.#flush !== undefined) return;
    this.#flush = setTimeout(() => {
      this.#flush = undefined;
      const sent = [...this.#pending].map((entry) => JSON.parse(entry) as [string, string]);
      this.#pending.clear();
      for (const [name, data] of sent) {
        // A lost wake-up costs latency only (readers poll): a failure is reported, not thrown.
        this.#setup.gate.run("listener", (sql) => sql`SELECT pg_notify(${name}, ${data})`)
          .catch(() => {});
      }
    }, 0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
    clearTimeout(this.#retry);
    clearTimeout(this.#flush);
    this.#pending.clear();
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end({ timeout: 0 });
  }

  /** Listens (again) after `delayMs`, unless an attempt is already due. */
  #listenSoon(delayMs: number): void {
    if (this.#closed || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#attempt ??= this.#listen().finally(() => this.#attempt = undefined);
    }, delayMs);
    unrefTimer(this.#retry);
  }

  /** One attempt: connect if need be, `LISTEN` every channel, then wake every subscriber. */
  async #listen(): Promise<void> {
    const channels = [...this.#subscribers.keys()];
    if (channels.length === 0 || this.#closed) return;
    const listener = this.#listener ??= this.#open();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const statement = channels.map((name) => `LISTEN ${quoted(name)}`).join("; ");
      await Promise.race([
        listener.unsafe(statement).simple(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`LISTEN not within ${this.#setup.timeoutMs} ms`)),
            this.#setup.timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      this.#setup.gate.failed("listener", error);
      // A fresh connection for the next attempt: nothing of this one's queue is left waiting.
      if (this.#listener === listener) this.#listener = undefined;
      listener.end({ timeout: 0 }).catch(() => {});
      this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
      this.#listenSoon(this.#retryMs);
      return;
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) return;
    this.#retryMs = RETRY_MIN_MS;
    this.#listening = true;
    this.#setup.gate.answered();
    // Whatever was notified while not listening is in the tables: every subscriber reads them.
    for (const [channel] of this.#subscribers) this.#wake(channel, "");
  }

  #open(): PostgresSql {
    const listener: PostgresSql = postgres(this.#setup.url, {
      // A multi-host URL: the primary only (a standby refuses LISTEN).
      ...hostChoice(this.#setup.url),
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      prepare: false,
      connect_timeout: Math.max(1, Math.ceil(this.#setup.timeoutMs / 1_000)),
      onnotice: () => {},
      connection: { application_name: "tether listener" },
      onclose: () => {
        if (this.#closed || this.#listener !== listener) return;
        this.#listening = false;
        this.#listenSoon(this.#retryMs);
      },
      // Typed nowhere in postgres.js 3.4, honoured by its connections: each notification.
      onnotify: (channel: string, payload: string) => this.#wake(channel, payload),
    } as postgres.Options<Record<string, postgres.PostgresType>>);
    return listener;
  }

  #wake(channel: string, payload: string): void {
    for (const wake of this.#subscribers.get(channel) ?? []) {
      try {
        wake(payload);
      } catch { /* a subscriber's failure is its own */ }
    }
  }
}

/** A channel name as an identifier, quoted. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function checkChannel(channel: string): void {
  const bytes = new TextEncoder().encode(channel).length;
  if (bytes === 0 || bytes > MAX_CHANNEL_BYTES || channel.includes("\0")) {
    throw new RangeError(`a wake-up channel is 1 to ${MAX_CHANNEL_BYTES} bytes, got ${bytes}`);
  }
}
