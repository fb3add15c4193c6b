/**
 * The scale model: per-request costs (costs.ts) played forward to N instances on a Redis Cluster
 * for the stated workload: Redis CPU, the masters needed and why, each master's CPU, memory and
 * connections, the hottest key. Pure arithmetic on today's code's shape (16 budget books, a cluster
 * client per blocking reader, a tail pool kept at its high-water mark); no timing, no I/O.
 * @module
 */

import { slotOf } from "../../src/redis/connection/cluster_slot.ts";
import type { Costs } from "./costs.ts";

/** The workload at the target (500 instances); smaller N carry N/500 of it. */
export interface Workload {
  targetInstances: number;
  sessions: number;
  requestsPerSecond: number;
  /** Share of calls that stream 10 progress events spread over time; the rest answer JSON. */
  streamedShare: number;
  openStreams: number;
  /** Share of the open streams followed from an instance other than the writer's. */
  followedShare: number;
  /** A session's life, s (its creations per second are sessions ÷ this). */
  sessionLifetimeSeconds: number;
  /** Every principal distinct (false: no authentication, every session owned by "anonymous"). */
  authenticated: boolean;
}

/** What a master may carry, and the Cluster's size bound. */
export interface Limits {
  /** CPU a master may spend, cores (headroom left for replication, persistence, failover). */
  coresPerMaster: number;
  memoryBytesPerMaster: number;
  /** Redis's default `maxclients`. */
  maxclients: number;
  /** The most masters considered (Redis Cluster's recommended bound is about 1,000 nodes). */
  maxMasters: number;
}

/** tether's defaults the model plays (src/redis/redis_defaults.ts and the event log's). */
export interface TetherShape {
  prefix: string;
  budgetBooks: number;
  /** The event log's `maxTotalBytes`. */
  maxTotalBytes: number;
  /** `maxTailConnections`: a followed stream's own blocking connection, up to this many. */
  tailPool: number;
  /** How long a stream stays in the log unless evicted (the session's idle TTL), s. */
  retentionSeconds: number;
  /** A session's index entry is renewed when its last renewal is older than this, s (grace ÷ 4). */
  renewAfterSeconds: number;
  heartbeatSeconds: number;
  /** Event-log writes a streamed call makes: open, 10 progress events, the result's end. */
  writesPerStreamedCall: number;
}

/** The stated workload (issue 71): 1 M sessions, 50,000 requests/s, 100,000 open streams. */
export const TARGET: Workload = {
  targetInstances: 500,
  sessions: 1_000_000,
  requestsPerSecond: 50_000,
  streamedShare: 0.3,
  openStreams: 100_000,
  followedShare: 0.05,
  sessionLifetimeSeconds: 3_600,
  authenticated: true,
};

/** A master's budget: 0.6 core, 25 GB, `maxclients` 10,000; at most 1,000 masters. */
export const LIMITS: Limits = {
  coresPerMaster: 0.6,
  memoryBytesPerMaster: 25e9,
  maxclients: 10_000,
  maxMasters: 1_000,
};

/** Today's defaults. */
export const TODAY: TetherShape = {
  prefix: "tether:",
  budgetBooks: 16,
  maxTotalBytes: 256 * 1024 * 1024,
  tailPool: 32,
  retentionSeconds: 30 * 60,
  renewAfterSeconds: 15,
  heartbeatSeconds: 15,
  writesPerStreamedCall: 12,
};

/** One key whose load no number of masters spreads. */
export interface HotKey {
  key: string;
  /** Redis CPU on it, cores. */
  cores: number;
}

/** The model's answer for N instances. */
export interface ScaleRow {
  instances: number;
  requestsPerSecond: number;
  sessions: number;
  openStreams: number;
  /** Redis CPU the workload needs in all, cores. */
  redisCores: number;
  /** The fewest masters that carry it, or undefined when no size does. */
  masters: number | undefined;
  /** Why that many (or why none). */
  why: string;
  /** The size the per-master figures are given at (`masters`, or what the mean load alone needs). */
  at: number;
  meanCores: number;
  hottestCores: number;
  memoryBytesPerMaster: number;
  /** Connections per master with every tail connection of the pool open (its high-water mark). */
  connectionsPerMaster: number;
  /** Connections per master with only the tails the followed streams need now. */
  connectionsSteady: number;
  hottestKey: HotKey;
  /** Distinct instances holding a session by the end of its life. */
  holders: number;
  /** How long the default event budget holds the workload's events, s. */
  resumableSeconds: number;
  evicting: boolean;
}

const SLOTS = 16_384;

/** The master owning `slot` when `masters` split the slots in equal contiguous ranges. */
export function masterOfSlot(slot: number, masters: number): number {
  return Math.min(masters - 1, Math.floor((slot * masters) / SLOTS));
}

/**
 * The workload of `instances` instances (each carrying 1/`targetInstances` of it) on a Cluster.
 * @example
 * ```ts ignore
 * play(500, readCosts()).masters; // undefined: no size carries it today
 * ```
 */
export function play(
  instances: number,
  costs: Costs,
  workload: Workload = TARGET,
  shape: TetherShape = TODAY,
  limits: Limits = LIMITS,
): ScaleRow {
  const share = instances / workload.targetInstances;
  const requests = workload.requestsPerSecond * share;
  const sessions = workload.sessions * share;
  const open = workload.openStreams * share;
  const streamed = requests * workload.streamedShare;
  const json = requests - streamed;
  const creates = sessions / workload.sessionLifetimeSeconds;
  // A session's requests come every sessions ÷ requests seconds on average (Poisson): the share of
  // touches whose last renewal is older than renewAfterSeconds.
  const renewals = requests * Math.exp(-shape.renewAfterSeconds / (sessions / requests));
  const g = costs.given;

  // Events: 11 per streamed call (10 progress, the result), kept for retentionSeconds unless the
  // budget evicts them first; once evicting, every write also evicts (EVICT and a second BOOK).
  const eventBytesPerSecond = streamed * 11 * g.bytesPerEvent;
  const evicting = eventBytesPerSecond * shape.retentionSeconds > shape.maxTotalBytes;
  const resumableSeconds = shape.maxTotalBytes / eventBytesPerSecond;
  const evictFactor = evicting ? 2 : 1;

  const spread = costs.progressSpread;
  const followed = open * workload.followedShare;
  const followedPerInstance = followed / instances;
  const polled = Math.max(0, followedPerInstance - shape.tailPool) * instances;
  const uniformMicros = json * costs.jsonCall.redisMicros +
    streamed * (spread.redisMicros - spread.bookMicros) * evictFactor +
    creates * costs.sessionCreate.redisMicros +
    (open / shape.heartbeatSeconds) * g.heartbeatMicros +
    (followed - polled) * g.followerMicrosPerSecond + polled * g.polledFollowerMicrosPerSecond +
    (workload.authenticated ? renewals * g.keepMicros : 0);

  // Keys of one slot each: the budget books, the session index buckets, the anonymous owner key.
  const hot: HotKey[] = [];
  // Each write books alone at scale: a BOOK is shared only by writes of one instance to one book
  // while another is in flight (about 22 writes/s per instance per book at the target), which the
  // measurement's 8 calls at a time on one instance do far more often.
  const microsPerBook = spread.books > 0 ? spread.bookMicros / spread.books : 0;
  const bookMicros = streamed * shape.writesPerStreamedCall * microsPerBook * evictFactor;
  for (let k = 0; k < shape.budgetBooks; k++) {
    hot.push({ key: `${shape.prefix}eg:{${k}}`, cores: bookMicros / shape.budgetBooks / 1e6 });
  }
  const indexMicros = (renewals + creates) * g.keepMicros;
  for (let k = 0; k < 16; k++) {
    hot.push({ key: `${shape.prefix}sessions:{${k}}`, cores: indexMicros / 16 / 1e6 });
  }
  if (!workload.authenticated) {
    hot.push({ key: `${shape.prefix}so:{anonymous}`, cores: indexMicros / 1e6 });
  }
  const hottestKey = hot.reduce((a, b) => (b.cores > a.cores ? b : a));
  const hotCores = hot.reduce((sum, h) => sum + h.cores, 0);
  const redisCores = uniformMicros / 1e6 + hotCores;

  // Memory: sessions (their holders grow with the instances that served them) and events.
  const requestsPerSession = requests * workload.sessionLifetimeSeconds / sessions;
  const holders = instances * (1 - (1 - 1 / instances) ** requestsPerSession);
  const sessionBytes = sessions * (costs.bytesPerSession + (holders - 1) * g.bytesPerHolder);
  const eventBytes = Math.min(shape.maxTotalBytes, eventBytesPerSecond * shape.retentionSeconds);

  // Every cluster client connects to every master: the shared client, the bus reader, each tail.
  const steadyTails = Math.min(shape.tailPool, Math.ceil(followedPerInstance));
  const connectionsSteady = instances * (costs.connectionsPerInstance + steadyTails);
  const connectionsPerMaster = instances * (costs.connectionsPerInstance + shape.tailPool);
  const connectionBytes = connectionsPerMaster * g.bytesPerConnection;

  const perMaster = (m: number) => {
    const load = Array<number>(m).fill(uniformMicros / 1e6 / m);
    for (const h of hot) load[masterOfSlot(slotOf(h.key), m)] += h.cores;
    return {
      hottest: Math.max(...load),
      memory: (sessionBytes + eventBytes) / m + connectionBytes,
    };
  };
  const fits = (m: number) => {
    const { hottest, memory } = perMaster(m);
    return hottest <= limits.coresPerMaster && memory <= limits.memoryBytesPerMaster;
  };

  let masters: number | undefined;
  let why: string;
  const meanNeeds = Math.max(1, Math.ceil(redisCores / limits.coresPerMaster));
  // What no number of masters lifts: a key over a master's CPU, connections over maxclients.
  const stuck: string[] = [];
  if (hottestKey.cores > limits.coresPerMaster) {
    stuck.push(
      `${hottestKey.key} alone needs ${
        hottestKey.cores.toFixed(2)
      } cores, over a master's ${limits.coresPerMaster}, and one key is never split`,
    );
  }
  if (connectionsPerMaster > limits.maxclients) {
    stuck.push(
      `${connectionsPerMaster.toLocaleString("en-US")} connections per master (${
        instances.toLocaleString("en-US")
      } × (${costs.connectionsPerInstance} + ${shape.tailPool} tails)) whatever the masters, over maxclients ${
        limits.maxclients.toLocaleString("en-US")
      }`,
    );
  }
  if (stuck.length > 0) {
    why = stuck.join("; ");
  } else {
    for (let m = 1; m <= limits.maxMasters && masters === undefined; m++) {
      if (fits(m)) masters = m;
    }
    if (masters === undefined) {
      why =
        `none up to ${limits.maxMasters}: the hottest master stays over ${limits.coresPerMaster} core`;
    } else if (masters === 1) {
      why = "one master carries it";
    } else {
      const fewer = perMaster(masters - 1);
      why = fewer.memory > limits.memoryBytesPerMaster
        ? `memory: ${masters - 1} would hold ${(fewer.memory / 1e9).toFixed(1)} GB each`
        : fewer.hottest * (masters - 1) > redisCores * 1.05
        ? `CPU of the master holding the most hot keys: ${masters - 1} would put ${
          fewer.hottest.toFixed(2)
        } cores on one`
        : `CPU: ${masters - 1} would put ${fewer.hottest.toFixed(2)} cores on the busiest`;
    }
  }
  const at = masters ?? Math.min(meanNeeds, limits.maxMasters);
  const there = perMaster(at);
  return {
    instances,
    requestsPerSecond: requests,
    sessions,
    openStreams: open,
    redisCores,
    masters,
    why,
    at,
    meanCores: redisCores / at,
    hottestCores: there.hottest,
    memoryBytesPerMaster: there.memory,
    connectionsPerMaster,
    connectionsSteady,
    hottestKey,
    holders,
    resumableSeconds,
    evicting,
  };
}

/** The instance counts the model is played at (issue 71). */
export const INSTANCE_COUNTS = [2, 8, 50, 500] as const;
