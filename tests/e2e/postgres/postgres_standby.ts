/**
 * A streaming-replication standby of a test Postgres (Debian's PostgreSQL 15), for the failover
 * tests: `pg_basebackup -R` from the primary into a second data dir (the `-R` writes
 * `primary_conninfo` and `standby.signal`), started on a second free loopback port as the
 * server's OS user, then promoted with `pg_ctl promote`. Every wait has a deadline. Not a test
 * file itself.
 * @module
 */

import { runBinary, startPostgres, type TestPostgres } from "./postgres_server.ts";

/** A running standby. */
export interface TestStandby extends TestPostgres {
  /** `pg_ctl promote`, waiting until it accepts writes (deadline 20 s). */
  promote(): Promise<void>;
  /** Waits until it replayed everything `primary` has written so far (deadline 10 s). */
  caughtUp(): Promise<void>;
}

/** Makes and starts a standby of `primary` (streaming, asynchronous: the defaults). */
export async function startStandby(primary: TestPostgres): Promise<TestStandby> {
  const standby = await startPostgres((data) =>
    runBinary("pg_basebackup", [
      "-h",
      "127.0.0.1",
      "-p",
      String(primary.port),
      "-U",
      "postgres",
      "-D",
      data,
      "-R",
      "-X",
      "stream",
      "--checkpoint=fast",
      "--no-sync",
    ], 60_000)
  );
  return {
    ...standby,
    async promote() {
      await runBinary("pg_ctl", ["promote", "-D", standby.dataDir, "-w", "-t", "20"], 25_000);
    },
    async caughtUp() {
      const target = (await primary.psql("SELECT pg_current_wal_lsn()")).trim();
      const deadline = Date.now() + 10_000;
      for (;;) {
        const behind = await standby.psql(
          `SELECT pg_last_wal_replay_lsn() < '${target}'::pg_lsn`,
        );
        if (behind.trim() === "f") return;
        if (Date.now() > deadline) throw new Error(`the standby did not replay ${target} in 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
