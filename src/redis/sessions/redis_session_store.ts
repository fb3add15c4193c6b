/**
 * A {@linkcode SessionStore} in Redis, so several tether instances share
 * sessions, on one node, under Sentinel or on a Redis Cluster. Each session's
 * keys share one hash tag, its id: the JSON record (`<prefix>s:{<id>}`), a
 * meta hash (`<prefix>sm:{<id>}`: deadline, index bucket, owner) and its state
 * (`<prefix>st:{<id>}`), so a request's read-and-touch is one script on one
 * slot, and sessions spread over the Cluster's masters. All three carry key
 * TTLs, sized for the deadline plus a quarter of `expiryGraceMs`, plus the
 * grace: a touch moves the deadline every time (one field) and the TTLs once
 * the deadline comes within an eighth of the grace of what they were sized
 * for, so a request costs Redis four commands and, when every instance dies,
 * nothing outlives the sessions' deadlines by more than 1.25 × the grace.
 * Off the request path, two kinds of index key, each its own slot, count
 * sessions: the session index in up to 16 buckets
 * (`<prefix>sessions:{<k>}`, scored by deadline, for the cap and the sweep)
 * and, only when the share per principal is limited, each owner's sessions
 * in up to 16 shards (`<prefix>so:{<k>|<owner>}`, see owner_index.ts). A
 * create takes a place in the owner's index, then in its bucket, then
 * writes the session, giving places back when a later step refuses. With
 * `holder` (the bus), a read-and-touch by the owner also records the
 * instance as a holder of the session (once per quarter of the bus's holding
 * bound, see recorded_uses.ts) and drops, in the same script, the holders
 * unused for that bound.
 *
 * The cap (`maxSessions`) is exact up to 2,047 sessions (one bucket); from
 * 2,048 it is kept per bucket (`floor(max / 1024)` buckets, at most 16, each
 * holding `ceil(max / buckets)`): never more than `max + 15` sessions in all,
 * and a create may be refused once its bucket is full a little before the
 * total reaches the cap (by a few square roots of the bucket's size with
 * random ids). Index scores are deadlines as last seen by a create or a
 * sweep; the sweep re-reads each due session and moves it or reports it
 * (each expiry by one instance). A touch renews the session's index keys
 * when they would lapse over a quarter grace before its keys (a second
 * round trip, at most once per quarter grace per session): an index key
 * outlives its sessions' deadlines by at least 3/4 of the grace, sweep or
 * no sweep. `updateState` is a compare-and-set retried
 * on conflict (the update function is JavaScript and runs here, not in Redis).
 *
 * Scope: records and state only; streams, in-flight work and server→client
 * requests are not shared by this store. It talks to Redis through the
 * small {@linkcode RedisCommands} interface (node-redis fits it as is). A key
 * prefix with a `{…}` in it puts every key in one slot.
 * @module
 */

import { REDIS_DEFAULTS } from "../redis_defaults.ts";
import type {
  ExpiredSession,
  SessionChanges,
  SessionRecord,
  SessionStore,
  SessionUse,
} from "../../storage/sessions/session_store.ts";
import type { LuaScript } from "../connection/lua_script.ts";
import type { RedisCommands } from "../connection/redis_commands.ts";
import { holdersKeyOf } from "../bus/bus_scripts.ts";
import type { SessionHolder } from "../bus/bus_holdings.ts";
import { NOT_INDEXED, ownerIndexKeys } from "./owner_index.ts";
import { type StateTarget, updateStateOf, writeStateOf } from "./session_state.ts";
import { bucketKeyOf, createSession, MAX_BUCKETS } from "./session_create.ts";
import { expiryGraceOf } from "./session_grace.ts";
import { keepIndex, sweepIndex } from "./session_sweep.ts";
import { sessionKeysOf, touchedKeysOf } from "./session_keys.ts";
import { DELETE, GET_AND_TOUCH, MAX_KEY_TTL_MS, TOUCH, UPDATE } from "./session_store_scripts.ts";

/**
 * Options of the Redis session store (`createRedisBackend`'s `sessionStore`).
 *
 * @example
 * ```ts
 * import type { RedisSessionStoreOptions } from "@tether/mcp/redis";
 * const options: RedisSessionStoreOptions = { prefix: "tenant-a:" };
 * ```
 */
export interface RedisSessionStoreOptions {
  /**
   * Prefix of every key.
   * @default {"tether:"}
   */
  prefix?: string;
  /**
   * How long past a session's deadline its keys stay in Redis at least, ms
   * (at most a quarter more: a touch renews the keys' TTLs once per eighth of
   * it, not on every request): the sweep of a live instance reports the
   * expiry (with the record) within that time, and Redis drops the keys by
   * itself when no instance is left.
   * Keep it at or above `sessions.sweepIntervalMs`. Deadlines are mapped onto
   * Redis's clock as durations, so an injected `now` does not shorten it, nor
   * a clock skew between hosts of up to an eighth of it.
   * @default {60_000}
   */
  expiryGraceMs?: number;
}

/**
 * What `createRedisBackend` wires into {@linkcode RedisSessionStore} besides
 * its options: internal, not part of the subpath.
 *
 * @example
 * ```ts ignore (internal: createRedisBackend passes it)
 * new RedisSessionStore(commands, { ...options, holder: bus, waitForReplica });
 * ```
 */
export interface RedisSessionStoreWiring {
  /** Called by `close()` (e.g. to quit a client the store owns). */
  onClose?: () => Promise<void> | void;
  /**
   * Called with a key just written when a session is created or its state
   * written; resolves once a replica has the write (`createRedisBackend`'s
   * `waitForReplicaMs` passes one that sends `WAIT`), rejects to fail the
   * request closed. Default: none (no wait).
   */
  waitForReplica?: (key: string) => Promise<void>;
  /**
   * This instance's bus: each read-and-touch by the
   * owner records, in the same script, that this instance uses the session,
   * so the session's bus messages come here, and drops the holders that
   * have not used it for the bus's `holdingMs` (`2 × aliveMs`). Default:
   * none (nothing recorded). `createRedisBackend` sets it.
   */
  holder?: SessionHolder;
}

/** "No limit" sent to Lua as a finite number (the span of Date; deadlines stay exact doubles). */
const MAX_TTL_MS = 8.64e15;

/**
 * Sessions in Redis, shared by every instance that uses the same Redis and
 * prefix. Internal: `createRedisBackend` makes it (its `sessionStore`).
 *
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { createMcpHandler } from "@tether/mcp";
 * import { RedisSessionStore } from "./redis_session_store.ts";
 *
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   sessions: { store: new RedisSessionStore(client) },
 * });
 * ```
 */
export class RedisSessionStore implements SessionStore {
  #redis: RedisCommands;
  #prefix: string;
  #onClose: (() => Promise<void> | void) | undefined;
  #graceMs: number;
  #waitForReplica: ((key: string) => Promise<void>) | undefined;
  #holder: SessionHolder | undefined;

  /** A store on `redis` (a connected client). */
  constructor(
    redis: RedisCommands,
    options: RedisSessionStoreOptions & RedisSessionStoreWiring = {},
  ) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? REDIS_DEFAULTS.RedisSessionStoreOptions.prefix;
    this.#onClose = options.onClose;
    this.#graceMs = expiryGraceOf(options);
    this.#waitForReplica = options.waitForReplica;
    this.#holder = options.holder;
  }

  /** Bucket `k` of the session index. */
  #bucket(k: number | string): string {
    return bucketKeyOf(this.#prefix, k);
  }

  /** The owner-index keys of a session's place (by its meta `x`; see owner_index.ts). */
  #owner(ownerKey: string, shard: string, known = true): string[] {
    return ownerIndexKeys(this.#prefix, ownerKey, shard, known);
  }

  /**
   * How far past its deadline a session's keys are sized, on top of the grace, and how far the
   * log's keys may lag the session's: a quarter of the grace (see GET_AND_TOUCH).
   */
  get #slackMs(): number {
    return Math.floor(this.#graceMs / 4);
  }

  /**
   * The key TTL of a session whose deadline is `expiresAt` at `now` (a duration on Redis's clock):
   * sized for the deadline plus the slack, and the grace.
   */
  #keyTtl(expiresAt: number, now: number): number {
    return Math.ceil(Math.min(expiresAt - now + this.#slackMs, MAX_KEY_TTL_MS) + this.#graceMs);
  }

  /** The session's keys, one hash tag: record, meta, state. */
  #keys(id: string): string[] {
    return sessionKeysOf(this.#prefix, id);
  }

  #eval(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return script.run(this.#redis, keys, args.map(String));
  }

  /**
   * Inserts the session unless its owner holds `maxPerOwner` (`"owner-full"`;
   * an unlimited share keeps no owner index) or `maxSessions` are held
   * (false; per bucket from 2,048, see session_create.ts); expired ones count
   * until swept.
   */
  create(
    session: SessionRecord,
    maxSessions: number,
    now: number,
    maxPerOwner = Infinity,
  ): Promise<boolean | "owner-full"> {
    return createSession(
      {
        redis: this.#redis,
        prefix: this.#prefix,
        ttl: this.#keyTtl(session.expiresAt, now),
        sizedFor: session.expiresAt + this.#slackMs,
        waitForReplica: this.#waitForReplica,
      },
      session,
      maxSessions,
      now,
      maxPerOwner,
    );
  }

  /** The live record; undefined when unknown or expired. */
  async get(id: string, now: number): Promise<SessionRecord | undefined> {
    const [record, meta] = this.#keys(id);
    const [json, score] = await Promise.all([
      this.#redis.sendCommand(["GET", record]),
      this.#redis.sendCommand(["HGET", meta, "d"]),
    ]);
    if (typeof json !== "string" || score === null || score === undefined) return undefined;
    const expiresAt = Number(score);
    if (expiresAt <= now) return undefined;
    return { ...JSON.parse(json), expiresAt } as SessionRecord;
  }

  /** `get` and, for the owner, `touch`, in one script on the session's slot (one round trip). */
  async getAndTouch(
    id: string,
    now: number,
    use: SessionUse,
  ): Promise<SessionRecord | undefined> {
    const holder = this.#holder;
    const usedAt = Date.now(); // the bus compares it with its own clock
    const args = [
      now,
      use.ownerKey,
      Math.min(use.idleTtlMs, MAX_TTL_MS),
      Math.min(use.absoluteTtlMs, MAX_TTL_MS),
      this.#graceMs,
      this.#slackMs,
    ];
    // This instance is recorded as a holder when its record is due (see SessionHolder.due).
    const recording = holder !== undefined && holder.due(id, usedAt);
    const reply = recording
      ? await this.#eval(
        GET_AND_TOUCH,
        [...touchedKeysOf(this.#prefix, id), holdersKeyOf(this.#prefix, id)],
        [...args, holder.instanceId, usedAt, Math.ceil(holder.holdingMs)],
      )
      : await this.#eval(GET_AND_TOUCH, touchedKeysOf(this.#prefix, id), args);
    if (!Array.isArray(reply) || typeof reply[0] !== "string") return undefined;
    const record = { ...JSON.parse(reply[0]), expiresAt: Number(reply[1]) } as SessionRecord;
    // The script records the holder for the owner only (whose use moves the deadline).
    if (recording && record.ownerKey === use.ownerKey) holder.used(id, usedAt);
    if (reply.length > 2) {
      await this.#keepIndex(`${reply[3]}`, use.ownerKey, `${reply[4]}`, `${reply[2]}`);
    }
    return record;
  }

  /** Moves the session's deadline. */
  async touch(id: string, expiresAt: number): Promise<void> {
    const reply = await this.#eval(TOUCH, touchedKeysOf(this.#prefix, id), [
      expiresAt,
      this.#slackMs,
    ]);
    if (Array.isArray(reply)) {
      await this.#keepIndex(`${reply[1]}`, `${reply[2]}`, `${reply[3]}`, `${reply[0]}`);
    }
  }

  /** Renews a touched session's bucket and owner-index keys to `ttl` ms (see {@linkcode keepIndex}). */
  #keepIndex(bucket: string, ownerKey: string, shard: string, ttl: string): Promise<void> {
    return keepIndex(this.#redis, [this.#bucket(bucket), ...this.#owner(ownerKey, shard)], ttl);
  }

  /** Applies log-level and subscription changes atomically. */
  async update(id: string, changes: SessionChanges): Promise<void> {
    await this.#eval(UPDATE, [this.#keys(id)[0]], [JSON.stringify(changes)]);
  }

  /** Reads one key of the session's state. */
  async readState(id: string, key: string): Promise<unknown> {
    const json = await this.#redis.sendCommand(["HGET", this.#keys(id)[2], key]);
    return typeof json === "string" ? JSON.parse(json) : undefined;
  }

  /** Writes one key (`undefined` deletes); a RangeError past `maxBytes`. */
  async writeState(id: string, key: string, value: unknown, maxBytes: number): Promise<void> {
    await writeStateOf(this.#stateTarget(id), key, value, maxBytes, undefined);
  }

  /** Replaces one key with `update(current)`: a compare-and-set, retried on conflict. */
  updateState(
    id: string,
    key: string,
    update: (current: unknown) => unknown,
    maxBytes: number,
  ): Promise<unknown> {
    return updateStateOf(this.#stateTarget(id), key, update, maxBytes);
  }

  /** A session's state as session_state.ts writes it. */
  #stateTarget(id: string): StateTarget {
    const [record, , state] = this.#keys(id);
    return { redis: this.#redis, record, state, waitForReplica: this.#waitForReplica };
  }

  /** Removes a session and its state, and gives its places in the index keys back. */
  async delete(id: string): Promise<boolean> {
    const reply = await this.#eval(DELETE, this.#keys(id), []) as unknown[];
    const [existed, bucket, owner, shard] = reply.map(String);
    if (owner === "") return Number(existed) === 1; // swept already, or never created
    const member = `${id} ${shard === NOT_INDEXED ? "" : owner}`;
    await this.#redis.sendCommand(["ZREM", this.#bucket(bucket), member]);
    await Promise.all(
      this.#owner(owner, shard).map((key) => this.#redis.sendCommand(["ZREM", key, id])),
    );
    return Number(existed) === 1;
  }

  /**
   * Removes every expired session: each due member of the index is re-read
   * on its own slot, moved when it lives on, else removed and reported by
   * the one instance whose `ZREM` took it out of the index.
   */
  sweep(now: number): Promise<ExpiredSession[]> {
    return sweepIndex({
      redis: this.#redis,
      buckets: Array.from({ length: MAX_BUCKETS }, (_, k) => this.#bucket(k)),
      owner: (ownerKey, shard, known) => this.#owner(ownerKey, shard, known),
      keys: (id) => this.#keys(id),
      keyTtl: (expiresAt) => this.#keyTtl(expiresAt, now),
    }, now);
  }

  /** The number of sessions held (expired ones until swept). */
  async size(): Promise<number> {
    const counts = await Promise.all(
      Array.from(
        { length: MAX_BUCKETS },
        (_, k) => this.#redis.sendCommand(["ZCARD", this.#bucket(k)]),
      ),
    );
    return counts.reduce((sum: number, count) => sum + Number(count), 0);
  }

  /** Runs `onClose` (the store does not own the client unless told). */
  async close(): Promise<void> {
    await this.#onClose?.();
  }
}
