/**
 * Idle SSE streams, tether against a bare server (issue 46, item 5): RSS and heapUsed per held
 * stream on one runtime, each server in its own fresh process, the same ticker calls opened from
 * this process with the same client (bench/lib/streams.ts: Node's fetch, one connection each), as
 * the bench's concurrent-streams phase opens them (16 per session for tether). Memory is read after
 * the memory-reducing GC (as the streams phase reads it) after a warm-up batch and again while all
 * streams are open; a figure is that Δ ÷ N.
 * Not judged here: bench/run may import {@linkcode measureIdleStreams} for a row.
 *
 *   node bench/lab/idle_streams.ts --runtime node --streams 1000 [--seconds 10] [--rounds 1] [--resumable] [--floor]
 *
 * (`--resumable` adds the bare server keeping what a resumable stream must; `--floor` the legacy
 * resumable floor: what a spec-complete server does per call, and keeps per stream.)
 *
 * @module
 */

import { openStreams } from "../lib/streams.ts";
import { type Runtime, RUNTIMES, startServer } from "../lib/proc.ts";
import { adminMemory, createSessionsOverHttp } from "../run/traffic.ts";

/**
 * The servers compared: bench/servers/tether.ts, the bare server (bench/servers/ceiling.ts's
 * ticker: the same yardstick as bench/run.ts's streams rows), and the bare server keeping what a
 * resumable stream must (`ceiling.ts --resumable`: event ids, each event's data until the end),
 * and the legacy resumable floor (`floor.ts --era legacy --resumable`: the checks, session and
 * in-flight entry, schema and awaited tool of a spec-complete server, each event kept).
 */
export type IdleServer = "tether" | "bare" | "bare-resumable" | "floor";

/** What {@linkcode measureIdleStreams} opens. */
export interface IdleStreamsOptions {
  runtime: Runtime;
  server: IdleServer;
  /** Streams held at once. */
  streams: number;
  /** Seconds each stream lasts (one event a second); memory is read 1.5 s before the first ends. */
  seconds: number;
  /** Streams per session (tether and the floor; the bare servers have none). @default {16} */
  perSession?: number;
  /** Another entry serving `server`'s protocol (an experiment's variant). @default the server's */
  entry?: string;
}

/** One server's figure: memory Δ per held stream, bytes. */
export interface IdleStreamsFigure {
  runtime: Runtime;
  server: IdleServer;
  streams: number;
  rssPerStream: number;
  heapPerStream: number;
  /** V8/JSC heap capacity Δ per stream: heapUsed plus what the heap keeps committed empty. */
  heapTotalPerStream: number;
  /** Memory the engine counts outside its heap (ArrayBuffers, external strings) Δ per stream. */
  externalPerStream: number;
}

const ENTRIES: Readonly<Record<IdleServer, [string, ...string[]]>> = {
  tether: ["bench/servers/tether.ts"],
  bare: ["bench/servers/ceiling.ts"],
  "bare-resumable": ["bench/servers/ceiling.ts", "--resumable"],
  floor: ["bench/servers/floor.ts", "--era", "legacy", "--resumable"],
};

/**
 * Starts `server` on `runtime` in a fresh process, opens `streams` ticker calls and returns the
 * RSS and heapUsed Δ per stream while all are open (throws when a stream's body is wrong).
 * @example
 * ```ts ignore
 * const figure = await measureIdleStreams({ runtime: "node", server: "bare", streams: 1000, seconds: 10 });
 * ```
 */
export async function measureIdleStreams(options: IdleStreamsOptions): Promise<IdleStreamsFigure> {
  const { runtime, server, streams, seconds } = options;
  const [entry, ...args] = ENTRIES[server];
  const running = await startServer(runtime, options.entry ?? entry, args, { port: 0 });
  const base = `http://127.0.0.1:${running.port}`;
  try {
    const sessions = server === "tether" || server === "floor"
      ? (await createSessionsOverHttp(base, Math.ceil(streams / (options.perSession ?? 16)), true))
        .ids
      : [];
    let nextId = 1;
    const open = (count: number, length: number) => {
      const held = openStreams({
        base,
        sessions,
        streams: count,
        seconds: length,
        firstId: nextId,
      });
      nextId += count;
      return held;
    };
    const warm = await open(Math.min(streams, 50), 2).finished;
    if (warm.ok !== Math.min(streams, 50)) throw new Error(`warm-up: ${warm.badSample}`);
    const before = await adminMemory(base, true);
    const started = performance.now();
    const held = open(streams, seconds);
    await held.opened;
    const readAt = started + (seconds - 1.5) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, readAt - performance.now())));
    const during = await adminMemory(base, true);
    const outcome = await held.finished;
    if (outcome.ok !== streams) {
      throw new Error(
        `${runtime} ${server}: ${outcome.ok} of ${streams} streams right (first: ${outcome.badSample})`,
      );
    }
    return {
      runtime,
      server,
      streams,
      rssPerStream: (during.rss - before.rss) / streams,
      heapPerStream: (during.heapUsed - before.heapUsed) / streams,
      heapTotalPerStream: (during.heapTotal - before.heapTotal) / streams,
      externalPerStream: (during.external - before.external) / streams,
    };
  } finally {
    await running.stop();
  }
}

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

const USAGE =
  `node bench/lab/idle_streams.ts [--runtime all|deno|bun|node] [--streams 1000] [--seconds 10]
  [--rounds 1] [--resumable] [--floor]
RSS and heapUsed per held SSE stream: tether against the bare server (bench/servers/ceiling.ts's
ticker, the streams rows' yardstick); --resumable adds the bare server keeping what a resumable
stream must (ceiling.ts --resumable); --floor adds the legacy resumable floor (floor.ts --era
legacy --resumable: a spec-complete server's checks, session, in-flight entry, schema and awaited
tool, each event kept).`;

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const which = argument("runtime", "all");
  const runtimes = which === "all" ? RUNTIMES : [which as Runtime];
  const streams = Number(argument("streams", "1000"));
  const seconds = Number(argument("seconds", "10"));
  const rounds = Number(argument("rounds", "1"));
  const resumable = process.argv.includes("--resumable");
  const withFloor = process.argv.includes("--floor");
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  for (const runtime of runtimes) {
    for (let round = 1; round <= rounds; round++) {
      const bare = await measureIdleStreams({ runtime, server: "bare", streams, seconds });
      const tether = await measureIdleStreams({ runtime, server: "tether", streams, seconds });
      const bareResumable = resumable
        ? await measureIdleStreams({ runtime, server: "bare-resumable", streams, seconds })
        : undefined;
      const legacyFloor = withFloor
        ? await measureIdleStreams({ runtime, server: "floor", streams, seconds })
        : undefined;
      console.log(
        `${runtime.padEnd(4)} ${streams} streams  rss/stream: tether ${
          kb(tether.rssPerStream)
        }, bare ${kb(bare.rssPerStream)}, ratio ${
          (tether.rssPerStream / bare.rssPerStream).toFixed(2)
        }  heap/stream: tether ${kb(tether.heapPerStream)}, bare ${kb(bare.heapPerStream)}, ratio ${
          (tether.heapPerStream / bare.heapPerStream).toFixed(2)
        }  heapTotal/stream: tether ${kb(tether.heapTotalPerStream)}, bare ${
          kb(bare.heapTotalPerStream)
        }  external/stream: tether ${kb(tether.externalPerStream)}, bare ${
          kb(bare.externalPerStream)
        }${
          bareResumable === undefined
            ? ""
            : `  bare-resumable: rss ${kb(bareResumable.rssPerStream)}, heap ${
              kb(bareResumable.heapPerStream)
            }`
        }${
          legacyFloor === undefined
            ? ""
            : `  floor: rss ${kb(legacyFloor.rssPerStream)} (${
              (legacyFloor.rssPerStream / bare.rssPerStream).toFixed(2)
            }× bare; tether ÷ floor ${
              (tether.rssPerStream / legacyFloor.rssPerStream).toFixed(2)
            }), heap ${kb(legacyFloor.heapPerStream)}, heapTotal ${
              kb(legacyFloor.heapTotalPerStream)
            }, external ${kb(legacyFloor.externalPerStream)}`
        }`,
      );
    }
  }
}

if (import.meta.main ?? process.argv[1]?.endsWith("idle_streams.ts")) await main();
