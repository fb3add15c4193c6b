/**
 * The idle close of one stdio process, on an injected clock with the sweep
 * called by hand (a real subprocess that reads stdin and writes nothing):
 * a process that has started but not yet been sent its first message is
 * never idle, however long its start takes; once it has been told
 * something and sits unused past `idleCloseMs`, it is retired: its session
 * closes at once, the process exits and its place is given back.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProcessGroupTransport } from "../../../src/gateway/process_group_transport.ts";
import { ProcessPool } from "../../../src/gateway/process_pool.ts";
import { waitFor } from "../interop/helpers.ts";

describe("stdio process idle close", () => {
  it("a starting process is not idle; one unused past idleCloseMs is retired and gives its place back", async () => {
    let now = 0;
    const pool = new ProcessPool({
      maxProcesses: 1,
      maxProcessesPerPrincipal: 1,
      idleCloseMs: 60_000,
      graceMs: 1_000,
      exempt: { id: "tether-gateway" },
      now: () => now,
    });
    const transport = new ProcessGroupTransport({
      command: "sh",
      args: ["-c", "read line; exec sleep 300"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stderr: "ignore",
      maxMessageBytes: 1_024,
      pool: { pool, principal: { id: "alice" } },
    });
    let closed = 0;
    transport.onclose = () => void closed++;
    await transport.start();
    assert.equal(pool.live, 1);
    now += 3_600_000;
    pool.sweep();
    assert.equal(closed, 0, "not retired before its first message");

    await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    now += 59_999;
    pool.sweep();
    assert.equal(closed, 0, "used within idleCloseMs");
    now += 1;
    pool.sweep();
    assert.equal(closed, 1, "retired: its session closed at once");
    await waitFor(() => pool.live === 0, "the process exited and gave its place back");
    pool.close();
  });

  it("a retired process that ignores SIGTERM is killed after the grace", async () => {
    let now = 0;
    const pool = new ProcessPool({
      maxProcesses: 1,
      maxProcessesPerPrincipal: 1,
      idleCloseMs: 1_000,
      graceMs: 200,
      exempt: { id: "tether-gateway" },
      now: () => now,
    });
    const transport = new ProcessGroupTransport({
      command: "sh",
      args: ["-c", "trap '' TERM; echo $$; while :; do sleep 1; done"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stderr: "ignore",
      maxMessageBytes: 1_024,
      pool: { pool, principal: { id: "alice" } },
    });
    const errors: Error[] = [];
    transport.onerror = (error) => void errors.push(error);
    await transport.start();
    await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    await waitFor(() => errors.length > 0, "its pid line read (not JSON-RPC)");
    now += 1_000;
    pool.sweep();
    await waitFor(() => pool.live === 0, "killed after the grace, its place given back");
    pool.close();
  });
});
