/**
 * The scale model: per-request costs (costs.ts) played forward to N instances on a Redis Cluster
 * for the stated workload: Redis CPU, the masters needed and why, each master's CPU, memory and
 * connections, the hottest key. Pure arithmetic on the code's shape (budget books touched once per
 * batch per instance, a few shared blocking reads per instance per master, holders pruned after
 * 2 × `bus.aliveMs`, no owner index for an unlimited share); no timing, no I/O.
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
  /** Share of the requests of the largest principal (each request one take on its rate key). */
  dominantShare: number;
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
  /** `budgetBatchBytes`: an instance books its changes once they add this many bytes. */
  budgetBatchBytes: number;
  /** `budgetBatchMs`: or after this long, ms. */
  budgetBatchMs: number;
  /** `maxTailConnections`: shared blocking reads per instance per master. */
  readsPerMaster: number;
  /** A Cluster's polled slot while idle: one non-blocking `XREAD` per this many seconds. */
  idlePollSeconds: number;
  /** How long a stream stays in the log unless evicted (the session's idle TTL), s. */
  retentionSeconds: number;
  /** A session's index entry is renewed when its last renewal is older than this, s (grace ÷ 4). */
  renewAfterSeconds: number;
  heartbeatSeconds: number;
  /** Holders unused this long are pruned by the touch (2 × `bus.aliveMs`), s. */
  holdSeconds: number;
  /** The most owner index shards of a limited share (`floor(share / 64)`, 1 to 16). */
  ownerShards: number;
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
  dominantShare: 0.05,
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
  budgetBatchBytes: 64 * 1024,
  budgetBatchMs: 1_000,
  readsPerMaster: 3,
  idlePollSeconds: 0.4,
  retentionSeconds: 30 * 60,
  renewAfterSeconds: 15,
  heartbeatSeconds: 15,
  holdSeconds: 30,
  ownerShards: 16,
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
  /** Connections per master at most: every instance with all its reads open there (T + 3 each). */
  connectionsPerMaster: number;
  /** Connections per master at `at` masters with the reads the followed streams open (mean). */
  connectionsSteady: number;
  /** BOOK scripts per second on one budget book. */
  booksPerSecond: number;
  hottestKey: HotKey;
  /** Instances holding a session when it is touched (those that used it within `holdSeconds`). */
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

/** Expected distinct of `bins` equally likely bins hit by `draws` independent draws. */
function distinct(bins: number, draws: number): number {
  return bins * (1 - (1 - 1 / bins) ** draws);
}

/** Binomial(n, p) probabilities of 0..n. */
function binomial(n: number, p: number): number[] {
  const out: number[] = [];
  let c = 1;
  for (let k = 0; k <= n; k++) {
    out.push(c * p ** k * (1 - p) ** (n - k));
    c = (c * (n - k)) / (k + 1);
  }
  return out;
}

/**
 * The workload of `instances` instances (each carrying 1/`targetInstances` of it) on a Cluster.
 * @example
 * ```ts ignore
 * play(500, readCosts()).masters; // the fewest masters that carry the target
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
  // budget evicts them first; once evicting, every batch also evicts (each victim a script on its
  // session): the spread call's cost measured with the budget full.
  const eventBytesPerSecond = streamed * 11 * g.bytesPerEvent;
  const evicting = eventBytesPerSecond * shape.retentionSeconds > shape.maxTotalBytes;
  const resumableSeconds = shape.maxTotalBytes / eventBytesPerSecond;
  const spread = evicting ? costs.progressSpreadEvicting : costs.progressSpread;

  // The books: each instance books its changes once they add budgetBatchBytes or budgetBatchMs
  // passed, one BOOK per book with changes (the books its batch's streams hash to).
  const streamedPerInstance = streamed / instances;
  const payloadPerInstance = streamedPerInstance * 11 * g.payloadBytesPerEvent;
  const batchesPerSecond = Math.max(
    1_000 / shape.budgetBatchMs,
    payloadPerInstance / shape.budgetBatchBytes,
  );
  const booksPerBatch = distinct(shape.budgetBooks, streamedPerInstance / batchesPerSecond);
  // Once evicting, a batch's BOOKs are as many more, and as much dearer, as the spread call's
  // measured with the budget full.
  const base = costs.progressSpread;
  const bookRatio = evicting && base.books > 0 ? spread.books / base.books : 1;
  const booksPerSecond = instances * batchesPerSecond * booksPerBatch / shape.budgetBooks *
    bookRatio;
  const microsPerBook = spread.books > 0 ? spread.bookMicros / spread.books : 0;

  // Followers: each instance follows followed ÷ instances streams, each on a slot of its own; per
  // master the first readsPerMaster slots share blocking reads, the rest are polled while idle.
  const followed = open * workload.followedShare;
  const followedPerInstance = Math.round(followed / instances);

  const hot: HotKey[] = [];
  for (let k = 0; k < shape.budgetBooks; k++) {
    hot.push({ key: `${shape.prefix}eg:{${k}}`, cores: booksPerSecond * microsPerBook / 1e6 });
  }
  // The session index buckets: a creation's place and every renewal's KEEP.
  const indexMicros = (renewals + creates) * g.keepMicros;
  for (let k = 0; k < 16; k++) {
    hot.push({ key: `${shape.prefix}sessions:{${k}}`, cores: indexMicros / 16 / 1e6 });
  }
  // The largest principal: every request of it takes from its rate key; with authentication its
  // owner index (share limited) is in ownerShards shards, each renewal of its sessions on one.
  const dominant = requests * workload.dominantShare;
  hot.push({
    key: `${shape.prefix}rate:{<largest principal>}`,
    cores: dominant * costs.rateTake.redisMicros / 1e6,
  });
  if (workload.authenticated) {
    hot.push({
      key: `${shape.prefix}so:{0|<largest principal>}`,
      cores: (renewals + creates) * workload.dominantShare * g.keepMicros / shape.ownerShards /
        1e6,
    });
  }
  const hottestKey = hot.reduce((a, b) => (b.cores > a.cores ? b : a));
  const hotCores = hot.reduce((sum, h) => sum + h.cores, 0);
  // The owner index of every other principal (authenticated), spread over slots; none anonymous.
  const ownerMicros = workload.authenticated
    ? (renewals + creates) * (1 - workload.dominantShare) * g.keepMicros
    : 0;
  const rateMicros = (requests - dominant) * costs.rateTake.redisMicros;

  const perInstanceAt = (m: number) => {
    // A master's followed slots of one instance: Binomial(followedPerInstance, 1/m).
    const p = binomial(followedPerInstance, 1 / m);
    let reads = 0;
    let polled = 0;
    for (let k = 1; k < p.length; k++) {
      reads += p[k] * (Math.min(shape.readsPerMaster, k) + 1); // its reads and the control
      polled += p[k] * Math.max(0, k - shape.readsPerMaster);
    }
    return { reads, polled };
  };
  const followerMicros = (m: number) =>
    followed * g.followerMicrosPerSecond +
    perInstanceAt(m).polled * m * instances * g.pollMicros / shape.idlePollSeconds;
  const uniformAt = (m: number) =>
    (json * costs.jsonCall.redisMicros +
      streamed * (spread.redisMicros - spread.bookMicros) +
      creates * costs.sessionCreate.redisMicros +
      (open / shape.heartbeatSeconds) * g.heartbeatMicros +
      followerMicros(m) + ownerMicros + rateMicros +
      (workload.authenticated ? renewals * g.keepMicros : 0)) / 1e6;

  // Memory: sessions with the holders that used them within holdSeconds, and events.
  const perSessionRate = requests / sessions;
  const holders = 1 +
    (instances - 1) * (1 - Math.exp(-perSessionRate * shape.holdSeconds / instances));
  const ownerBytes = workload.authenticated ? g.bytesPerHolder : 0;
  const sessionBytes = sessions *
    (costs.bytesPerSession + ownerBytes + (holders - 1) * g.bytesPerHolder);
  const eventBytes = Math.min(shape.maxTotalBytes, eventBytesPerSecond * shape.retentionSeconds);

  // Connections per master: each instance's shared client (one per master), its bus reader on its
  // inbox's master, and on a master where it follows streams up to readsPerMaster reads + control.
  const connectionsPerMaster = instances *
    (costs.connectionsPerInstance + shape.readsPerMaster + 1);
  const connectionsAt = (m: number) =>
    instances * (costs.connectionsPerInstance - 1) / m +
    instances * (1 + perInstanceAt(m).reads);
  const connectionBytes = (m: number) => connectionsAt(m) * g.bytesPerConnection;

  const perMaster = (m: number) => {
    const load = Array<number>(m).fill(uniformAt(m) / m);
    for (const h of hot) load[masterOfSlot(slotOf(h.key), m)] += h.cores;
    return {
      hottest: Math.max(...load),
      memory: (sessionBytes + eventBytes) / m + connectionBytes(m),
      total: uniformAt(m) + hotCores,
    };
  };
  const fits = (m: number) => {
    const { hottest, memory } = perMaster(m);
    return hottest <= limits.coresPerMaster && memory <= limits.memoryBytesPerMaster &&
      connectionsAt(m) <= limits.maxclients;
  };

  let masters: number | undefined;
  let why: string;
  // What no number of masters lifts: a key over a master's CPU, connections over maxclients.
  const stuck: string[] = [];
  if (hottestKey.cores > limits.coresPerMaster) {
    stuck.push(
      `${hottestKey.key} alone needs ${
        hottestKey.cores.toFixed(2)
      } cores, over a master's ${limits.coresPerMaster}, and one key is never split`,
    );
  }
  if (instances * costs.connectionsPerInstance > limits.maxclients) {
    stuck.push(
      `${
        (instances * costs.connectionsPerInstance).toLocaleString("en-US")
      } connections per master before any read, over maxclients ${
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
        : connectionsAt(masters - 1) > limits.maxclients
        ? `connections: ${masters - 1} would hold ${
          Math.round(connectionsAt(masters - 1)).toLocaleString("en-US")
        } each`
        : fewer.hottest * (masters - 1) > fewer.total * 1.05
        ? `CPU of the master holding the most hot keys: ${masters - 1} would put ${
          fewer.hottest.toFixed(3)
        } cores on one`
        : `CPU: ${masters - 1} would put ${fewer.hottest.toFixed(3)} cores on the busiest`;
    }
  }
  const meanNeeds = Math.max(1, Math.ceil(perMaster(1).total / limits.coresPerMaster));
  const at = masters ?? Math.min(meanNeeds, limits.maxMasters);
  const there = perMaster(at);
  return {
    instances,
    requestsPerSecond: requests,
    sessions,
    openStreams: open,
    redisCores: there.total,
    masters,
    why,
    at,
    meanCores: there.total / at,
    hottestCores: there.hottest,
    memoryBytesPerMaster: there.memory,
    connectionsPerMaster,
    connectionsSteady: connectionsAt(at),
    booksPerSecond,
    hottestKey,
    holders,
    resumableSeconds,
    evicting,
  };
}

/** The instance counts the model is played at (issue 71). */
export const INSTANCE_COUNTS = [2, 8, 50, 500] as const;
