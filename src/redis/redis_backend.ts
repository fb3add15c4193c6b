/**
 * `createRedisBackend`: the session store, event log and message bus of
 * several instances, on one Redis, from a URL or a node-redis client.
 * It wires the rooms beside it: one connection (connection/: topology,
 * deadlines, outage watch) and on it one store per seam (sessions/,
 * event_log/, bus/, tasks/, limits/, auth/); it implements none of them.
 * @module
 */

import { REDIS_DEFAULTS } from "./redis_defaults.ts";
import { StorageUnavailableError } from "../storage_unavailable.ts";
import { StorageOutageError, StorageRecoveredError } from "../storage_outages.ts";
import { OutageWatch } from "./connection/outage_watch.ts";
import { CommandDeadline } from "./connection/command_deadline.ts";
import { MAX_TIMER_MS } from "../runtime.ts";
import type {
  OpenRedisConnection,
  RedisCommands,
  RedisConnection,
} from "./connection/redis_commands.ts";
import { RedisBus } from "./bus/redis_bus.ts";
import type { RedisBusOptions } from "./bus/bus_options.ts";
import { RedisEventLog, type RedisEventLogOptions } from "./event_log/redis_event_log.ts";
import { RedisTaskStore, type RedisTaskStoreOptions } from "./tasks/redis_task_store.ts";
import { RedisRateLimitStore } from "./limits/redis_rate_limit_store.ts";
import type { StorageBackend } from "../storage/backend/storage_backend.ts";
import { RedisDpopReplayStore } from "./auth/redis_dpop_replay_store.ts";
import {
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from "./sessions/redis_session_store.ts";
import { expiryGraceOf } from "./sessions/session_grace.ts";
import { checkTarget, refuseClusterNode } from "./connection/source_checks.ts";
import { dropOnDemotion } from "./connection/demoted_node.ts";
import { type RedisSource, type SourceClient, sourceFactory } from "./connection/redis_sources.ts";

const DEFAULT = REDIS_DEFAULTS.RedisBackendOptions;

/**
 * Options of {@linkcode createRedisBackend}.
 *
 * @example
 * ```ts
 * import type { RedisBackendOptions } from "@tether/mcp/redis";
 * const options: RedisBackendOptions = { prefix: "app:", connectTimeoutMs: 3_000 };
 * ```
 */
export interface RedisBackendOptions {
  /**
   * Prefix of every key the backend writes.
   * @default {"tether:"}
   */
  prefix?: string;
  /**
   * How long connecting may take before it fails with a clear error, ms.
   * @default {5_000}
   */
  connectTimeoutMs?: number;
  /**
   * How long one command may wait for Redis's answer, ms (a blocking read
   * gets its block time on top). Past it the command fails as storage
   * unavailable, so a paused or partitioned Redis answers requests `503` +
   * `Retry-After` within about this long instead of hanging them; a write
   * so answered never commits later (its script checks the deadline on
   * Redis's clock).
   * @default {2_000}
   */
  commandTimeoutMs?: number;
  /**
   * When set, a session's creation, its state writes (`ctx.session`) and a
   * task's creation wait until one replica has the write (`WAIT 1 <ms>`, on
   * the master that took it), so what a client was told exists survives a
   * failover; a replica that does not acknowledge within this many ms fails
   * the request closed (`503` + `Retry-After`). Cost: each of those writes
   * takes one more round trip plus the replication delay (about a
   * master→replica round trip on a healthy link). Off by default: without
   * it, a write acknowledged just before a failover can be lost.
   * @default undefined
   */
  waitForReplicaMs?: number;
  /** Options of the session store (its prefix is `prefix`). */
  sessionStore?: Omit<RedisSessionStoreOptions, "prefix">;
  /** Options of the event log (its prefix is `prefix`). */
  eventLog?: Omit<RedisEventLogOptions, "prefix" | "openConnection" | "busInstance" | "placeOf">;
  /** Options of the bus (its prefix is `prefix`). */
  bus?: Omit<RedisBusOptions, "prefix" | "onError">;
  /**
   * Options of the task store (its prefix is `prefix`): `maxTasks`,
   * `maxTotalResultBytes`, `maxResultBytesPerPrincipal`, `now`.
   */
  taskStore?: Omit<RedisTaskStoreOptions, "prefix" | "onClose" | "waitForReplica">;
  /**
   * Reports storage faults once per outage (a short `StorageOutageError`
   * naming the server or Cluster master and the seam, then one
   * `StorageRecoveredError` at its first success), and bus failures that
   * are not part of an outage. Default: `console.error`, a notice on one line.
   */
  onError?: (error: unknown) => void;
}

/**
 * What {@linkcode createRedisBackend} made, a storage backend: pass it as
 * `createMcpHandler({ storage })` (or its stores one by one), and `close()`
 * it after the handler's.
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createRedisBackend, type RedisBackend } from "@tether/mcp/redis";
 *
 * const backend: RedisBackend = await createRedisBackend({ url: "redis://127.0.0.1:6379" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   storage: backend,
 * });
 * // on shutdown:
 * await handler.close({ graceMs: 5_000 });
 * await backend.close();
 * ```
 */
export interface RedisBackend extends StorageBackend {
  /** Nothing to do: every key the backend writes carries its own TTL. */
  sweep(now?: number): Promise<void>;
  /** Stops the bus and the log's tails and closes every connection the backend opened. */
  close(): Promise<void>;
}

/**
 * Connects to Redis and builds the three shared parts of a multi-instance
 * server, on one node (`{ url }`), a Redis Cluster
 * (`{ cluster: { rootNodes } }`) or a master under Sentinel
 * (`{ sentinel: { name, sentinels } }`): the backend opens (and closes) its
 * own clients. `{ client }`: a node-redis client of yours, connected
 * (`createClient`, `createCluster` or `createSentinel`); the backend opens its
 * blocking connections with `client.duplicate()` and never closes yours.
 * Fails with a clear error when Redis cannot be reached within
 * `connectTimeoutMs`. Every command has a deadline (`commandTimeoutMs`): a
 * Redis that stops answering fails requests with `503`, never hangs them.
 * Refused at startup, with an error that says what to pass: a server in
 * cluster mode given as one node (`INFO cluster` answers `cluster_enabled:1`),
 * and a `client` of another shape (without `sendCommand` and `duplicate`).
 *
 * @example
 * ```ts
 * import { createMcpHandler } from "@tether/mcp";
 * import { createRedisBackend } from "@tether/mcp/redis";
 *
 * const redis = await createRedisBackend({ url: "redis://127.0.0.1:6379" }, { prefix: "app:" });
 * const handler = createMcpHandler({
 *   name: "app",
 *   version: "1.0.0",
 *   storage: redis,
 * });
 * ```
 */
export async function createRedisBackend(
  target: RedisSource,
  options: RedisBackendOptions = {},
): Promise<RedisBackend> {
  checkTarget(target);
  const prefix = options.prefix ?? DEFAULT.prefix;
  const timeoutMs = timerOption(
    "connectTimeoutMs",
    options.connectTimeoutMs,
    DEFAULT.connectTimeoutMs,
  );
  const commandTimeoutMs = timerOption(
    "commandTimeoutMs",
    options.commandTimeoutMs,
    DEFAULT.commandTimeoutMs,
  );
  const onError = options.onError ?? defaultOnError;
  expiryGraceOf(options.sessionStore ?? {}); // a bad option fails before anything connects
  const source = sourceFactory(target);
  const where = source.where;
  // Every seam's commands pass it: a storage fault is told once per outage, not per request.
  const watch = new OutageWatch(where, onError);
  const report = watch.filtered(onError);

  // On a Cluster the slot map of the shared client names each key's master; a blocking read
  // connects to that master alone, not to every master as a whole cluster client would.
  let places = source.own?.places;
  // A fenced write's deadline is read on the clock of the master that runs it.
  const deadline = new CommandDeadline(commandTimeoutMs, {
    placeOf: (args) => places?.masterOf(args) ?? "",
  });
  const placeOf = (key: string) => places?.masterOf(["XREAD", "STREAMS", key]) ?? "";
  const openConnection: OpenRedisConnection = async (place) => {
    const fresh = place !== undefined && place !== "" && source.master !== undefined
      ? source.master(place)
      : source.fresh();
    const client = await connectWithin(fresh, timeoutMs, where, watch);
    watch.learn(client.places);
    places ??= client.places;
    // One node given by address: a demoted node's connection is dropped to resolve it again.
    return connectionOf(client, deadline, source.kind === "node" ? dropOnDemotion(client) : client);
  };
  const opened: RedisConnection[] = [];
  let first: RedisCommands;
  if (source.own === undefined) {
    const connection = await openConnection();
    opened.push(connection);
    first = connection;
  } else {
    watch.learn(source.own.places);
    first = deadline.wrap(source.own);
  }
  try {
    // A Cluster node given as one node would answer most keys MOVED: refused
    // (connection/source_checks.ts).
    if (source.kind !== "cluster") await refuseClusterNode(first, where);
  } catch (error) {
    await Promise.all(opened.map((connection) => connection.close()));
    throw error;
  }
  const sessionCommands = watch.failingClosed(first, "session store");

  const waitMs = options.waitForReplicaMs === undefined
    ? undefined
    : timerOption("waitForReplicaMs", options.waitForReplicaMs);
  // WAIT names no key; on a Cluster the key after it routes it to the master that took the write.
  const waitForReplica = waitMs === undefined ? undefined : async (key: string) => {
    const args = ["WAIT", "1", String(waitMs)];
    const sent = source.kind === "cluster" ? [...args, key] : args;
    const acknowledged = await sessionCommands.sendCommand(sent);
    const lagging = Number(acknowledged) < 1
      ? new StorageUnavailableError(`no Redis replica acknowledged the write within ${waitMs} ms`)
      : undefined;
    watch.replicas(sent, lagging); // told once until a replica acknowledges again
    if (lagging !== undefined) throw lagging;
  };
  const bus: RedisBus = new RedisBus(
    watch.failingClosed(first, "bus"),
    watch.watchedOpener(() => openConnection(placeOf(bus.inboxKeys()[0])), "bus"),
    { ...options.bus, prefix, onError: report },
  );
  // Each read-and-touch records this instance as a holder of the session: its bus messages come here.
  const sessionStore = new RedisSessionStore(sessionCommands, {
    ...options.sessionStore,
    prefix,
    waitForReplica,
    holder: bus,
  });
  // Its streams name this instance's bus too: a follower elsewhere ends once the bus is gone.
  const eventLog = new RedisEventLog(watch.failingClosed(first, "event log"), {
    // One master holds every budget book off a Cluster: one book, exact and shared by more writes,
    // booked by the writing script itself (one round trip per write).
    ...(source.kind === "cluster" ? {} : { budgetBooks: 1, singleNode: true }),
    ...options.eventLog,
    prefix,
    openConnection: watch.watchedOpener(openConnection, "event log"),
    ...(source.kind === "cluster" ? { placeOf } : {}),
    busInstance: () => bus.liveId(),
  });
  const taskStore = new RedisTaskStore(watch.failingClosed(first, "task store"), {
    ...options.taskStore,
    prefix,
    waitForReplica,
  });
  const rateLimitStore = new RedisRateLimitStore(watch.failingClosed(first, "rate-limit store"), {
    prefix,
  });
  const dpopReplayStore = new RedisDpopReplayStore(
    watch.failingClosed(first, "DPoP replay store"),
    {
      prefix,
    },
  );
  let closing: Promise<void> | undefined;
  return {
    sessionStore,
    eventLog,
    bus,
    taskStore,
    rateLimitStore,
    dpopReplayStore,
    sweep: () => Promise.resolve(),
    close: () =>
      closing ??= (async () => {
        await bus.close();
        await eventLog.close();
        await Promise.all(opened.map((connection) => connection.close()));
      })(),
  };
}

/** A timer option of {@linkcode createRedisBackend}: from 1 ms to {@linkcode MAX_TIMER_MS}. */
function timerOption(name: string, value: number | undefined, fallback?: number): number {
  const ms = value ?? fallback ?? Number.NaN;
  if (!(ms >= 1) || ms > MAX_TIMER_MS) {
    throw new RangeError(
      `createRedisBackend option ${name} must be a number from 1 to ${MAX_TIMER_MS}`,
    );
  }
  return ms;
}

/** Connects `client`, or fails after `timeoutMs` with an error that names the server. */
async function connectWithin(
  client: SourceClient,
  timeoutMs: number,
  where: string,
  watch: OutageWatch,
): Promise<SourceClient> {
  let lastError: unknown;
  let ready = false;
  client.on("error", (error) => {
    lastError = error;
    // node-redis reconnects on its own and reports every attempt: the watch tells one per outage.
    if (ready) watch.connectionFailed(error);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : "";
      reject(new Error(`tether: cannot reach Redis at ${where} within ${timeoutMs} ms${cause}`));
    }, timeoutMs);
  });
  try {
    await Promise.race([client.connect(), late]);
  } catch (error) {
    try {
      client.destroy();
    } catch { /* never connected */ }
    throw error;
  } finally {
    clearTimeout(timer);
  }
  ready = true;
  return client;
}

/**
 * `console.error`, an outage's notice on one line (its message), anything
 * else with its stack.
 */
function defaultOnError(error: unknown): void {
  if (error instanceof StorageOutageError || error instanceof StorageRecoveredError) {
    console.error(`tether: Redis: ${error.message}`);
  } else console.error("tether: Redis:", error);
}

/** A connection of its own (blocking reads), its commands bounded by `deadline`. */
function connectionOf(
  client: SourceClient,
  deadline: CommandDeadline,
  commands: RedisCommands = client,
): RedisConnection {
  return {
    sendCommand: deadline.wrap(commands).sendCommand,
    close: () => {
      try {
        client.destroy();
      } catch { /* closed already */ }
      return Promise.resolve();
    },
  };
}
