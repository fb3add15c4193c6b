/**
 * Which runtimes each room of `tests/` runs on under `npm test`, and which test
 * files may take longer than a file's budget, with why. Every test runs on
 * Node 24. What depends on the runtime (HTTP and adapters, streaming and SSE,
 * stdio, sessions, the eras, interop, fuzzing, the edge, the browser, OAuth's
 * crypto, the storage contract suites, the unit tests) runs on Node 22, Deno
 * and Bun too. The storage, gateway and fixture rooms, whose behaviour is the
 * library's own over the runtime's sockets (covered on every runtime by the
 * contract suites and the HTTP rooms), run on Node 24 and Bun; the
 * repository's own tooling on Node 24 alone, as CI runs it.
 * `scripts/test_rooms.ts` applies it; docs/development.md explains it.
 *
 * The most specific entry wins: a file's own path before its folder's.
 */

/** A runtime `npm test` runs. */
export type Runtime = "node24" | "node22" | "deno" | "bun";

/** Every runtime. */
export const EVERY_RUNTIME: readonly Runtime[] = ["node24", "node22", "deno", "bun"];
/** Node 24 and the one other fixed runtime for the rooms that need not run on all four. */
const NODE24_AND_BUN: readonly Runtime[] = ["node24", "bun"];
const NODE24: readonly Runtime[] = ["node24"];

/** A room (a folder, or one file) and its runtimes. */
export interface Room {
  /** A path from the repository's root: a folder ending in `/`, or a file. */
  path: string;
  runtimes: readonly Runtime[];
}

/** The rooms, by path; {@linkcode runtimesOf} picks the most specific. */
export const ROOMS: readonly Room[] = [
  { path: "tests/", runtimes: EVERY_RUNTIME },
  // Storage behaviour across instances, topologies and faults: the library's own logic over
  // node-redis and postgres.js; the contract suites below run on every runtime.
  { path: "tests/e2e/redis/", runtimes: NODE24_AND_BUN },
  { path: "tests/e2e/redis/redis_contracts_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/postgres/", runtimes: NODE24_AND_BUN },
  { path: "tests/e2e/postgres/postgres_contracts_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/postgres/postgres_event_log_contracts_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/postgres/postgres_task_contracts_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/oauth/dpop_redis_test.ts", runtimes: NODE24_AND_BUN },
  // The gateway over HTTP upstreams: its relays, views and sessions; the stdio upstreams
  // (child processes, the runtime's own) stay on every runtime.
  { path: "tests/e2e/gateway/", runtimes: NODE24_AND_BUN },
  { path: "tests/e2e/gateway/stdio_bounds_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/gateway/stdio_modern_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/gateway/stdio_progress_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/gateway/stdio_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/gateway/stdio_transport_test.ts", runtimes: EVERY_RUNTIME },
  { path: "tests/e2e/audit/", runtimes: NODE24_AND_BUN },
  { path: "tests/e2e/telemetry/", runtimes: NODE24_AND_BUN },
  // The examples and the guides' code. examples_test.ts starts each example's own runtime
  // (Deno, Bun, Node) whichever runtime runs it: a second runtime would repeat the same processes.
  { path: "tests/e2e/examples/", runtimes: NODE24_AND_BUN },
  { path: "tests/e2e/examples/examples_test.ts", runtimes: NODE24 },
  // The repository's tooling (checks, bench scripts, the npm package): CI runs it with Node 24.
  { path: "tests/e2e/scripts/", runtimes: NODE24 },
  { path: "tests/e2e/npm/", runtimes: NODE24 },
];

/**
 * The runtimes a test file runs on: its most specific room's.
 *
 * @example
 * ```ts
 * import { runtimesOf } from "./rooms.ts";
 * console.log(runtimesOf("tests/e2e/redis/failover_test.ts")); // ["node24", "bun"]
 * ```
 */
export function runtimesOf(file: string): readonly Runtime[] {
  const path = file.replace(/^\.\//, "");
  let best: Room | undefined;
  for (const room of ROOMS) {
    const matches = room.path.endsWith("/") ? path.startsWith(room.path) : path === room.path;
    if (matches && (!best || room.path.length > best.path.length)) best = room;
  }
  return best?.runtimes ?? EVERY_RUNTIME;
}

/** A test file's budget on its slowest runtime, in milliseconds; `SLOW_FILES` lists the exceptions. */
export const FILE_BUDGET_MS = 60_000;

/** Test files allowed past {@linkcode FILE_BUDGET_MS}, each with why it cannot be split or shortened. */
export const SLOW_FILES: Readonly<Record<string, string>> = {
  "tests/e2e/npm/npm_package_test.ts":
    "builds and packs the npm package, installs it in a scratch project and imports it there " +
    "on Node, Deno and Bun, as a user would (Node 24 only; its checks run together)",
  "tests/e2e/gateway/churn_test.ts":
    "opens and closes 1,000 downstream sessions through a real gateway and upstream, then " +
    "counts upstream sessions, file descriptors and heap: CPU-bound by design (Node 24: 13-15 s " +
    "of CPU alone, about 100 s beside the other lanes)",
  "tests/e2e/gateway/stdio_modern_test.ts":
    "15 cases that each start the gateway's stdio upstream processes on the test's runtime " +
    "(one per principal, and since the era fix one per 2025 session), with SDK v1 and v2 " +
    "clients downstream; about 2 s of process start-up per case (61-66 s on Node, 17 s on Deno)",
  "tests/e2e/interop/inspector_test.ts":
    "18 runs of the MCP Inspector CLI, each a fresh Node 24 process of about a second of CPU, " +
    "against the fixture in both legacy modes; two at a time (tests/support/together.ts)",
};
