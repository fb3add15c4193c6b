/**
 * A real PostgreSQL 15 (Debian's `postgresql`) for the tests that need one, never a mock: a
 * cluster made by `initdb` in a temp dir, started on a free loopback port with its socket in that
 * dir, fsync off, and removed on stop. Commits stay synchronous: with fsync off a commit is still
 * written to the OS (not forced to disk) before it returns, so a crash of the server
 * (`halt("immediate")`, as the fault tests do) loses nothing committed, while an asynchronous
 * commit still in the server's WAL buffers was lost (the migration itself, crashed soon after).
 * As root (CI) every Postgres binary runs as the `postgres` OS user (`setpriv`, which execs: the
 * pid is the server's), the dir chowned to it. Every wait has a deadline. Not a test file itself.
 * @module
 */

import { type ChildProcess, execFile, execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freeRigPort, spawnTracked, waitFor } from "../../../scripts/rig_processes.ts";
import postgres from "postgres";
import { migratePostgres } from "../../../src/postgres/connection/postgres_schema.ts";
import type { PostgresSql } from "../../../src/postgres/connection/postgres_gate.ts";

/** Where Debian puts PostgreSQL 15's server binaries (`pg_config --bindir` says so too). */
const DEBIAN_BINDIR = "/usr/lib/postgresql/15/bin";

/** The directory of `initdb` and `postgres`, or undefined when PostgreSQL is not installed. */
function binDir(): string | undefined {
  const probe = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  const reported = probe.status === 0 ? String(probe.stdout).trim() : "";
  for (const dir of [reported, DEBIAN_BINDIR]) {
    if (dir !== "" && existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"))) {
      return dir;
    }
  }
  return undefined;
}

const BIN = binDir();

/**
 * Why the Postgres suites cannot run here, or false. Skipped with a loud warning on a
 * developer's machine without PostgreSQL; in CI (`CI` set) a missing server fails instead
 * (.ci/run installs it).
 */
export const postgresSkip: string | false = (() => {
  if (BIN !== undefined) return false;
  const reason = "PostgreSQL's server is not installed (Debian: apt-get install postgresql)";
  if (process.env.CI) throw new Error(`${reason}: the Postgres suites cannot run in CI`);
  console.warn(`\n*** SKIPPING the Postgres suites: ${reason} ***\n`);
  return reason;
})();

/** `describe`, skipped (loudly) where PostgreSQL is missing. */
export function describePostgres(name: string, body: () => void): void {
  describe(name, { skip: postgresSkip }, body);
}

/** `it`, skipped (loudly) where PostgreSQL is missing. */
export function itPostgres(name: string, body: () => Promise<void> | void): void {
  it(name, { skip: postgresSkip }, body);
}

/** The OS user the binaries run as: `postgres` when this process is root (Postgres refuses root). */
export function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/** `command args` as the user of {@linkcode runAs} (`setpriv` execs, so the pid is the server's). */
export function asServerUser(command: string, args: string[]): [string, string[]] {
  const user = runAs();
  if (user === undefined) return [command, args];
  return [
    "setpriv",
    [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", "--", command, ...args],
  ];
}

/** A running test cluster. */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  /** Its data directory (owned by the server's user). */
  readonly dataDir: string;
  /** Stops the server (`immediate`: SIGQUIT, a crash without checkpoint; `fast`: SIGINT). */
  halt(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again on the same port and data (deadline 20 s). */
  restart(): Promise<void>;
  /** Runs SQL with `psql` (deadline 10 s); its output, tuples only. */
  psql(sql: string): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Whether `child` has exited. */
function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal` and resolves once `child` exited (deadline 15 s, then SIGKILL). */
function halted(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (exited(child)) return resolve();
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const giveUp = setTimeout(resolve, 20_000);
    child.once("exit", () => {
      clearTimeout(killer);
      clearTimeout(giveUp);
      resolve();
    });
    child.kill(signal);
  });
}

/** Runs a binary of {@linkcode BIN} as the server's user (deadline `timeoutMs`); its stdout. */
export function runBinary(name: string, args: string[], timeoutMs: number): Promise<string> {
  const [command, argv] = asServerUser(join(BIN!, name), args);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${name}: ${error.message} ${String(stderr).slice(0, 500)}`));
      else resolve(String(stdout));
    });
  });
}

/**
 * Makes a cluster with `initdb` in a fresh temp dir (or with `makeData`, given the data dir to
 * fill, e.g. a standby's `pg_basebackup`) and starts it on a free loopback port (another port
 * is tried, up to 5 times, when the server exits because it was taken meanwhile); resolves
 * once it accepts connections (deadline 20 s each).
 */
export async function startPostgres(
  makeData?: (data: string) => Promise<unknown>,
): Promise<TestPostgres> {
  if (BIN === undefined) throw new Error(String(postgresSkip));
  const dir = mkdtempSync(join(tmpdir(), "tether-postgres-"));
  const data = join(dir, "data");
  const sockets = join(dir, "sockets");
  mkdirSync(sockets);
  const user = runAs();
  if (user !== undefined) {
    for (const path of [dir, sockets]) chownSync(path, user.uid, user.gid);
  }
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let child: ChildProcess | undefined;
  let port = 0;
  const start = async (fixed?: number) => {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const tried = fixed ?? await freeRigPort();
      const [command, argv] = asServerUser(join(BIN, "postgres"), [
        "-D",
        data,
        "-p",
        String(tried),
        "-k",
        sockets,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=100",
      ]);
      const started = spawnTracked(command, argv);
      try {
        await waitFor(`postgres on ${tried}`, 20_000, async () => {
          if (exited(started)) throw new Error(`postgres on ${tried} exited (port taken?)`);
          await runBinary("pg_isready", ["-h", "127.0.0.1", "-p", String(tried), "-q"], 2_000);
          return true;
        });
      } catch (error) {
        await halted(started, "SIGQUIT");
        lastError = error;
        if (fixed !== undefined) break;
        continue;
      }
      child = started;
      port = tried;
      return;
    }
    throw lastError;
  };
  try {
    if (makeData !== undefined) await makeData(data);
    else {await runBinary("initdb", [
        "-D",
        data,
        "-U",
        "postgres",
        "--auth=trust",
        "--no-sync",
        "--no-instructions",
        "-E",
        "UTF8",
        "--locale=C",
      ], 60_000);}
    await start();
  } catch (error) {
    if (child !== undefined) await halted(child, "SIGQUIT");
    remove();
    throw error;
  }
  const halt = async (mode: "fast" | "immediate" = "immediate") => {
    if (child !== undefined) await halted(child, mode === "fast" ? "SIGINT" : "SIGQUIT");
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: data,
    halt,
    async restart() {
      await halt("fast");
      await start(port);
    },
    psql: (sql) =>
      runBinary("psql", [
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-X",
        "-q",
        "-t",
        "-A",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        sql,
      ], 10_000),
    async stop() {
      await halt("fast");
      remove();
    },
  };
}

/**
 * One migrated test cluster for the calling file: started (and migrated) before its tests,
 * stopped after them, unless PostgreSQL is missing. Returns the getter of the running cluster.
 */
export function migratedPostgresForFile(): () => TestPostgres {
  return migratedPostgresWithClientForFile().server;
}

/**
 * As {@linkcode migratedPostgresForFile}, with a client of the file's own (2 connections) for
 * the test's direct reads of the tables, ended before the cluster stops.
 */
export function migratedPostgresWithClientForFile(): {
  server: () => TestPostgres;
  sql: () => PostgresSql;
} {
  let server: TestPostgres | undefined;
  let client: PostgresSql | undefined;
  before(async () => {
    if (postgresSkip !== false) return;
    server = await startPostgres();
    await migratePostgres(server.url);
  });
  after(async () => {
    await client?.end({ timeout: 1 });
    await server?.stop();
  });
  const running = () => {
    if (server === undefined) throw new Error("the test cluster is not running");
    return server;
  };
  return {
    server: running,
    sql: () => client ??= postgres(running().url, { max: 2, onnotice: () => {} }),
  };
}

/**
 * Runs `body` on a cluster of its own, migrated to schema `version` (an upgrade's starting point),
 * with a client (1 connection) on it; the client ended and the cluster stopped after.
 */
export async function withPostgresAt(
  version: number,
  body: (server: TestPostgres, sql: PostgresSql) => Promise<void>,
): Promise<void> {
  const server = await startPostgres();
  const sql = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    await migratePostgres(server.url, { to: version });
    await body(server, sql);
  } finally {
    await sql.end({ timeout: 1 });
    await server.stop();
  }
}
