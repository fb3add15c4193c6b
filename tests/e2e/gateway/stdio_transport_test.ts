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
import { ProcessGroupTransport } from "../../../src/gateway/stdio/process_group_transport.ts";
import { ProcessPool } from "../../../src/gateway/stdio/process_pool.ts";
import { waitFor } from "../interop/helpers.ts";

/** A pool of one place on a clock the test moves, and a transport in it running `script`. */
function setup(script: string, idleCloseMs: number, graceMs: number) {
  const clock = { now: 0 };
  const pool = new ProcessPool({
    maxProcesses: 1,
    maxProcessesPerPrincipal: 1,
    idleCloseMs,
    graceMs,
    exempt: { id: "tether-gateway" },
    now: () => clock.now,
  });
  const transport = new ProcessGroupTransport({
    command: "sh",
    args: ["-c", script],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stderr: "ignore",
    maxMessageBytes: 1_024,
    pool: { pool, principal: { id: "alice" } },
  });
  return { clock, pool, transport };
}

describe("stdio process idle close", () => {
  it("a starting process is not idle; one unused past idleCloseMs is retired and gives its place back", async () => {
    const { clock, pool, transport } = setup("read line; exec sleep 300", 60_000, 1_000);
    let closed = 0;
    transport.onclose = () => void closed++;
    await transport.start();
    assert.equal(pool.live, 1);
    clock.now += 3_600_000;
    pool.sweep();
    assert.equal(closed, 0, "not retired before its first message");

    await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    clock.now += 59_999;
    pool.sweep();
    assert.equal(closed, 0, "used within idleCloseMs");
    clock.now += 1;
    pool.sweep();
    assert.equal(closed, 1, "retired: its session closed at once");
    await waitFor(() => pool.live === 0, "the process exited and gave its place back");
    pool.close();
  });

  it("a retired process that ignores SIGTERM is killed after the grace", async () => {
    const { clock, pool, transport } = setup(
      "trap '' TERM; echo started; while :; do sleep 1; done",
      1_000,
      200,
    );
    const errors: Error[] = [];
    transport.onerror = (error) => void errors.push(error);
    await transport.start();
    await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    await waitFor(() => errors.length > 0, "its pid line read (not JSON-RPC)");
    clock.now += 1_000;
    pool.sweep();
    await waitFor(() => pool.live === 0, "killed after the grace, its place given back");
    pool.close();
  });
});
