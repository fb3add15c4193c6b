/**
 * A real PgBouncer (Debian's `pgbouncer`) in transaction mode in front of a test Postgres, for
 * the tests of the pool through a pooler: started on a free loopback port with a config of its
 * own in a temp dir (trust authentication, the `postgres` user listed), as the server's OS user
 * when this process is root (PgBouncer refuses root). Every wait has a deadline. Not a test file.
 * @module
 */

import { type ChildProcess, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeRigPort, spawnTracked, waitFor } from "../../../scripts/rig_processes.ts";
import { asServerUser, runAs, runBinary, type TestPostgres } from "./postgres_server.ts";

/** Why the PgBouncer suites cannot run here, or false (in CI a missing pgbouncer fails). */
export const pgbouncerSkip: string | false = (() => {
  if (spawnSync("pgbouncer", ["--version"]).status === 0) return false;
  const reason = "pgbouncer is not installed (Debian: apt-get install pgbouncer)";
  if (process.env.CI) throw new Error(`${reason}: the PgBouncer suites cannot run in CI`);
  console.warn(`\n*** SKIPPING the PgBouncer suites: ${reason} ***\n`);
  return reason;
})();

/** A running PgBouncer. */
export interface TestPgBouncer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, through the pooler. */
  readonly url: string;
  readonly port: number;
  /** Runs an admin command (`SHOW POOLS`, `SHOW STATS`) with `psql`; rows as `|`-joined lines. */
  admin(command: string): Promise<string>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer in `pool_mode = transaction` in front of `server`, with `serverPool`
 * connections to it at most (fewer than the clients' pools, so transactions of several client
 * connections take turns on one server connection); resolves once it accepts connections
 * (deadline 10 s; another port is tried, up to 5 times, when it exits at once).
 */
export async function startPgBouncer(
  server: TestPostgres,
  serverPool = 2,
): Promise<TestPgBouncer> {
  const dir = mkdtempSync(join(tmpdir(), "tether-pgbouncer-"));
  const user = runAs();
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const remove = () => rmSync(dir, { recursive: true, force: true });
  writeFileSync(join(dir, "userlist.txt"), '"postgres" ""\n');
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeRigPort();
    const config = join(dir, "pgbouncer.ini");
    writeFileSync(
      config,
      [
        "[databases]",
        `postgres = host=127.0.0.1 port=${server.port} dbname=postgres`,
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        `listen_port = ${port}`,
        "unix_socket_dir =",
        "auth_type = trust",
        `auth_file = ${join(dir, "userlist.txt")}`,
        "admin_users = postgres",
        "pool_mode = transaction",
        `default_pool_size = ${serverPool}`,
        "max_client_conn = 200",
        "server_reset_query =",
        "ignore_startup_parameters = extra_float_digits",
        "",
      ].join("\n"),
    );
    const [command, argv] = asServerUser("pgbouncer", [config]);
    const child: ChildProcess = spawnTracked(command, argv);
    const psql = (database: string, sql: string) =>
      runBinary("psql", [
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        "postgres",
        "-d",
        database,
        "-X",
        "-q",
        "-t",
        "-A",
        "-c",
        sql,
      ], 10_000);
    try {
      await waitFor(`pgbouncer on ${port}`, 10_000, async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`pgbouncer on ${port} exited (port taken?)`);
        }
        return (await psql("postgres", "SELECT 1")).trim() === "1";
      });
    } catch (error) {
      child.kill("SIGKILL");
      lastError = error;
      continue;
    }
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      admin: (command) => psql("pgbouncer", command),
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
          child.kill("SIGINT");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }
        remove();
      },
    };
  }
  remove();
  throw lastError;
}
