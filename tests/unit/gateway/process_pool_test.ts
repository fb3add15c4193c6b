/**
 * The bound on a gateway's stdio processes, without processes: places in
 * all and per principal (anonymous callers sharing one share, the gateway's
 * own principal counted nowhere), given back once each; and the sweep,
 * which retires a process only when it is idle past `idleCloseMs` with
 * nothing in flight. Time is injected; the sweep is called by hand.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ANONYMOUS_PRINCIPAL } from "../../../src/protocol/context/request_context.ts";
import { type PooledProcess, ProcessPool } from "../../../src/gateway/stdio/process_pool.ts";
import { GatewayBusyError } from "../../../src/gateway/sessions/upstream_sessions.ts";

const GATEWAY = { id: "tether-gateway" };

/** A pool on a clock the test moves, idle close 60 s, grace 5 s. */
function setup(maxProcesses = 4, maxProcessesPerPrincipal = 2) {
  let now = 1_000_000;
  const pool = new ProcessPool({
    maxProcesses,
    maxProcessesPerPrincipal,
    idleCloseMs: 60_000,
    graceMs: 5_000,
    exempt: GATEWAY,
    now: () => now,
  });
  const processes: (PooledProcess & { retired: number[]; busy: boolean; lastActive: number })[] =
    [];
  const spawn = () => {
    const process = {
      busy: false,
      lastActive: now,
      retired: [] as number[],
      retire(graceMs: number) {
        this.retired.push(graceMs);
      },
    };
    processes.push(process);
    return process;
  };
  return { pool, spawn, advance: (ms: number) => now += ms };
}

describe("ProcessPool", () => {
  it("gives a principal its share and no more, and all of them the cap, with a retry hint", () => {
    const { pool, spawn } = setup(3, 2);
    const alice = { id: "alice" };
    const releaseFirst = pool.admit(alice, spawn());
    pool.admit(alice, spawn());
    assert.throws(
      () => pool.admit({ id: "alice" }, spawn()),
      (error: unknown) =>
        error instanceof GatewayBusyError && error.retryAfterSeconds === 5 &&
        /Too many upstream processes for this caller \(limit 2\); retry after 5s/.test(
          error.message,
        ),
    );
    pool.admit({ id: "bob" }, spawn());
    assert.throws(
      () => pool.admit({ id: "carol" }, spawn()),
      /The gateway runs its limit of 3 upstream processes; retry after 5s/,
    );
    assert.equal(pool.live, 3);
    releaseFirst();
    releaseFirst(); // once only
    assert.equal(pool.live, 2);
    pool.admit(alice, spawn());
    assert.equal(pool.live, 3);
    pool.close();
  });

  it("counts anonymous callers as one principal and the gateway's own processes nowhere", () => {
    const { pool, spawn } = setup(4, 2);
    pool.admit(ANONYMOUS_PRINCIPAL, spawn());
    pool.admit(ANONYMOUS_PRINCIPAL, spawn());
    assert.throws(() => pool.admit(ANONYMOUS_PRINCIPAL, spawn()), /limit 2/);
    // An authenticated user whose id is "anonymous" is someone else.
    pool.admit({ id: "anonymous" }, spawn());
    for (let index = 0; index < 10; index++) pool.admit(GATEWAY, spawn())();
    pool.admit(GATEWAY, spawn());
    assert.equal(pool.live, 3);
    pool.close();
  });

  it("retires a process idle past idleCloseMs, never one that is busy or active since", () => {
    const { pool, spawn, advance } = setup();
    const idle = spawn();
    const busy = spawn();
    pool.admit({ id: "alice" }, idle);
    pool.admit({ id: "bob" }, busy);
    busy.busy = true;
    advance(59_999);
    const recent = spawn();
    pool.admit({ id: "carol" }, recent);
    pool.sweep();
    assert.deepEqual([idle.retired, busy.retired, recent.retired], [[], [], []]);
    advance(1);
    pool.sweep();
    assert.deepEqual([idle.retired, busy.retired, recent.retired], [[5_000], [], []]);
    advance(120_000);
    busy.busy = false;
    busy.lastActive = advance(0); // it answered just now
    pool.sweep();
    assert.deepEqual(busy.retired, [], "active just now");
    assert.deepEqual(recent.retired, [5_000]);
    pool.close();
  });

  it("refuses bounds that are not positive", () => {
    const settings = {
      maxProcesses: 1,
      maxProcessesPerPrincipal: 1,
      idleCloseMs: 1,
      graceMs: 0,
      exempt: GATEWAY,
      now: Date.now,
    };
    assert.throws(() => new ProcessPool({ ...settings, maxProcesses: 0 }), /maxProcesses/);
    assert.throws(
      () => new ProcessPool({ ...settings, maxProcessesPerPrincipal: 1.5 }),
      /maxProcessesPerPrincipal must be a positive integer, got 1.5/,
    );
    assert.throws(() => new ProcessPool({ ...settings, idleCloseMs: 0 }), /stdioIdleCloseMs/);
    new ProcessPool({ ...settings, idleCloseMs: Infinity }).close();
  });
});
