/**
 * The PostgreSQL 15 a scale-out run serves its instances from (started like the e2e suites' one,
 * tests/e2e/postgres/postgres_server.ts, with pg_stat_statements preloaded), and what is read of
 * it: the CPU of all its processes, the statements run, the bytes of the session tables and the
 * connections per instance.
 * @module
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { migratePostgres } from "../../src/postgres/mod.ts";
import { startPostgres, type TestPostgres } from "../../tests/e2e/postgres/postgres_server.ts";
import { childPids } from "../lib/proc.ts";

export interface BenchPostgres {
  /** The server's URL with `application_name=<name>` (how its connections are told apart). */
  url(name: string): string;
  /** CPU seconds of the postmaster and all its children, live and reaped (autovacuum workers). */
  cpu(): number;
  /**
   * Statements run by clients since the last reset (the bench's own excluded), and how many of
   * them had parameters (`$1`: postgres.js describes such a statement first when unnamed).
   */
  statements(): Promise<{ all: number; parameterized: number }>;
  resetStatements(): Promise<void>;
  /** The statements run since the last reset, most called first: `calls|query` lines. */
  statementList(): Promise<string>;
  /** `pg_total_relation_size` of the session tables (records and state, indexes and TOAST). */
  sessionBytes(): Promise<number>;
  /** Open connections per `application_name` starting with `prefix`. */
  connections(prefix: string): Promise<Map<string, number>>;
  /** Runs SQL with `psql` as the superuser; its output, tuples only (`|` between columns). */
  psql(sql: string): Promise<string>;
  version: string;
  stop(): Promise<void>;
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** utime + stime (+ cutime + cstime with `reaped`) of `pid`, seconds; 0 once it has gone. */
function processCpu(pid: number, reaped: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    return (f[11] + f[12] + (reaped ? f[13] + f[14] : 0)) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Starts the server, preloads pg_stat_statements (one restart) and migrates tether's schema. */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const server: TestPostgres = await startPostgres();
  try {
    await server.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
    await server.psql("ALTER SYSTEM SET max_connections = 200");
    await server.restart();
    await server.psql("CREATE EXTENSION pg_stat_statements");
    await migratePostgres(server.url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const postmaster = () =>
    Number(readFileSync(join(server.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const pid = postmaster();
  const number = async (sql: string) => Number((await server.psql(sql)).trim());
  return {
    url: (name) => `${server.url}?application_name=${name}`,
    cpu: () =>
      childPids(pid).reduce((sum, child) => sum + processCpu(child, false), processCpu(pid, true)),
    async statements() {
      const row = await server.psql(
        "SELECT coalesce(sum(calls), 0), coalesce(sum(calls) FILTER (WHERE query LIKE '%$1%'), 0) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%'",
      );
      const [all, parameterized] = row.trim().split("|").map(Number);
      return { all, parameterized };
    },
    statementList: () =>
      server.psql(
        "SELECT calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' ORDER BY calls DESC LIMIT 12",
      ),
    async resetStatements() {
      await server.psql("SELECT pg_stat_statements_reset()");
    },
    sessionBytes: () =>
      number(
        "SELECT pg_total_relation_size('tether_sessions') + pg_total_relation_size('tether_session_state')",
      ),
    async connections(prefix) {
      const rows = await server.psql(
        `SELECT application_name, count(*) FROM pg_stat_activity WHERE application_name LIKE '${prefix}%' GROUP BY 1`,
      );
      return new Map(
        rows.trim().split("\n").filter((row) => row !== "").map((row) => {
          const [name, count] = row.split("|");
          return [name, Number(count)];
        }),
      );
    },
    psql: (sql) => server.psql(sql),
    version: (await server.psql("SHOW server_version")).trim(),
    stop: () => server.stop(),
  };
}
