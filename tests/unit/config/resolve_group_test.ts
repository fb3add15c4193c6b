/**
 * Resolution by group from the one table: a field's default, its check and
 * its place in the resolved options follow from its table entry and its
 * name, so a new option needs no resolution code.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULTS } from "../../../src/config/defaults.ts";
import { resolveOptions } from "../../../src/config/resolve.ts";
import {
  numberKind,
  resolveGroup,
  TABLE_GROUPS,
  ZERO_ALLOWED,
} from "../../../src/config/resolve_group.ts";
import { MAX_TIMER_MS } from "../../../src/runtime.ts";

const IDENTITY = { name: "app", version: "1.0.0" };

describe("config: resolution by group", () => {
  it("a table entry with no resolution code is resolved, defaulted and checked by its name", () => {
    const sessions = DEFAULTS.sessions as Record<string, unknown>;
    sessions.maxWidgets = 7;
    try {
      const resolved = (options: object) => {
        const { sessions } = resolveOptions({ ...IDENTITY, sessions: options });
        return (sessions as unknown as Record<string, unknown>).maxWidgets;
      };
      assert.equal(resolved({}), 7);
      assert.equal(resolved({ maxWidgets: 3 }), 3);
      assert.throws(
        () => resolved({ maxWidgets: 2.5 }),
        /Option sessions\.maxWidgets must be a whole number/,
      );
      assert.throws(
        () => resolved({ maxWidgets: 0 }),
        /Option sessions\.maxWidgets must be a positive number/,
      );
    } finally {
      delete sessions.maxWidgets;
    }
  });

  it("each group resolves to its table's fields, with the sessions' shares", () => {
    for (const group of TABLE_GROUPS) {
      const own = Object.keys(resolveGroup(group, {})).sort();
      const shares = group === "sessions"
        ? ["maxAnonymousSessions", "maxSessionsPerPrincipal"]
        : [];
      assert.deepEqual(own, [...Object.keys(DEFAULTS[group]), ...shares].sort(), group);
    }
  });

  it("a number's kind comes from its name", () => {
    assert.equal(numberKind("sessions.idleTtlMs"), "lifetime");
    assert.equal(numberKind("http.bodyTimeoutMs"), "delay");
    assert.equal(numberKind("sessions.retryAfterSeconds"), "digits");
    assert.equal(numberKind("stateless.maxListenSubscriptions"), "limit");
    // A lifetime is compared with the clock, so it may outlast any timer; a delay may not.
    const month = 30 * 24 * 3_600_000;
    assert.ok(month > MAX_TIMER_MS);
    assert.equal(resolveGroup("sessions", { absoluteTtlMs: month }).absoluteTtlMs, month);
    assert.throws(
      () => resolveGroup("streams", { orphanTimeoutMs: month }),
      /Option streams\.orphanTimeoutMs must be at most 2147483647 ms/,
    );
    assert.throws(
      () => resolveGroup("sessions", { retryAfterSeconds: 1.5 }),
      /Option sessions\.retryAfterSeconds must be a finite whole number/,
    );
  });

  it("0 is taken only where it means something", () => {
    assert.deepEqual(Object.keys(ZERO_ALLOWED).sort(), ["streams.heartbeatMs", "streams.retryMs"]);
    assert.equal(resolveGroup("streams", { heartbeatMs: 0, retryMs: 0 }).heartbeatMs, 0);
    assert.throws(
      () => resolveGroup("streams", { orphanTimeoutMs: 0 }),
      /Option streams\.orphanTimeoutMs must be a positive number/,
    );
    assert.throws(
      () => resolveGroup("streams", { retryMs: 0.5 }),
      /Option streams\.retryMs must be a finite whole number/,
    );
  });

  it("a boolean option given something else is refused, naming it", () => {
    assert.throws(
      () => resolveOptions({ ...IDENTITY, streams: { listeningStream: "no" as never } }),
      /Option streams\.listeningStream must be a boolean, got string/,
    );
    assert.throws(
      () => resolveOptions({ ...IDENTITY, http: { strictAccept: 0 as never } }),
      /Option http\.strictAccept must be a boolean, got number/,
    );
    assert.equal(resolveOptions({ ...IDENTITY, http: { path: null } }).http.path, null);
  });

  it("the anonymous share is the whole pool without auth, a sixteenth with it", () => {
    assert.equal(resolveGroup("sessions", { maxSessions: 160 }).maxAnonymousSessions, 10);
    assert.equal(
      resolveGroup("sessions", { maxSessions: 160 }, ["sessions.maxAnonymousSessions"])
        .maxAnonymousSessions,
      160,
    );
    assert.throws(
      () => resolveGroup("sessions", { maxSessionsPerPrincipal: -1 }),
      /Option sessions\.maxSessionsPerPrincipal must be a positive number/,
    );
  });
});
