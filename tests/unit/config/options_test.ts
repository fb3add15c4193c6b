/**
 * The grouped options: an old top-level key is refused at startup naming its
 * new place, each group is read, and the defaults come from the one table.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createMcpHandler } from "../../../mod.ts";
import { DEFAULTS } from "../../../src/config/defaults.ts";
import { MOVED_OPTIONS } from "../../../src/config/moved_options.ts";
import { resolveOptions } from "../../../src/config/resolve.ts";

const IDENTITY = { name: "app", version: "1.0.0" };

describe("config: grouped options", () => {
  it("an old top-level key is refused at startup, naming its group", () => {
    for (const [key, group] of Object.entries(MOVED_OPTIONS)) {
      assert.throws(
        () => createMcpHandler({ ...IDENTITY, [key]: undefined } as never),
        (error: unknown) =>
          error instanceof TypeError && error.message.includes(`${group}: { ${key} }`) &&
          error.message.includes(`${group}.${key}`),
        key,
      );
    }
    assert.throws(
      () => createMcpHandler({ ...IDENTITY, ["maxBodyBytes"]: 1024 } as never),
      /Option maxBodyBytes moved: write http: \{ maxBodyBytes \}/,
    );
  });

  it("every moved key names a group the options have", () => {
    const groups = new Set([
      "http",
      "security",
      "auth",
      "limits",
      "sessions",
      "streams",
      "stateless",
      "observe",
    ]);
    for (const group of Object.values(MOVED_OPTIONS)) assert.ok(groups.has(group), group);
  });

  it("a group that is not an object is refused", () => {
    assert.throws(
      () => resolveOptions({ ...IDENTITY, http: 5 } as never),
      /Option http must be an object/,
    );
    assert.throws(
      () => resolveOptions({ ...IDENTITY, limits: null } as never),
      /Option limits must be an object/,
    );
  });

  it("each group's fields are read, and their errors name the group", () => {
    const resolved = resolveOptions({
      ...IDENTITY,
      http: { path: null, bodyTimeoutMs: 5_000, maxIdBytes: 32 },
      limits: { pageSize: 7, maxConcurrentRequests: 8 },
      streams: { responseMode: "sse", heartbeatMs: 0 },
      stateless: {
        maxListenStreams: 3,
        cacheHints: { "tools/list": { ttlMs: 1, cacheScope: "public" } },
      },
      security: { requireHeader: "x-mcp-client" },
      observe: { onError: () => {} },
      sessions: { maxSessions: 40 },
    });
    assert.equal(resolved.http.path, null);
    assert.equal(resolved.http.bodyTimeoutMs, 5_000);
    assert.equal(resolved.http.maxIdBytes, 32);
    assert.equal(resolved.limits.pageSize, 7);
    assert.equal(resolved.limits.maxConcurrentRequests, 8);
    assert.equal(resolved.limits.maxConcurrentRequestsPerPrincipal, 2);
    assert.equal(resolved.streams.responseMode, "sse");
    assert.equal(resolved.streams.heartbeatMs, 0);
    assert.equal(resolved.stateless.maxListenStreams, 3);
    assert.deepEqual(resolved.stateless.cacheHints, {
      "tools/list": { ttlMs: 1, cacheScope: "public" },
    });
    assert.equal(resolved.security.requireHeader, "x-mcp-client");
    assert.equal(resolved.sessions.maxSessions, 40);
    assert.equal(resolved.sessions.maxSessionsPerPrincipal, 10);
    assert.throws(
      () => resolveOptions({ ...IDENTITY, http: { maxBodyBytes: -1 } }),
      /Option http\.maxBodyBytes must be a positive number/,
    );
    assert.throws(
      () => resolveOptions({ ...IDENTITY, stateless: { maxListenStreams: 1.5 } }),
      /Option stateless\.maxListenStreams must be a whole number/,
    );
  });

  it("without options every default is the table's", () => {
    const resolved = resolveOptions(IDENTITY);
    for (const group of ["http", "limits", "streams", "stateless", "sessions"] as const) {
      for (const [field, value] of Object.entries(DEFAULTS[group])) {
        assert.deepEqual(
          (resolved[group] as Record<string, unknown>)[field],
          value,
          `${group}.${field}`,
        );
      }
    }
    assert.deepEqual(resolved.eras, DEFAULTS.eras);
    assert.equal(resolved.sessions.maxAnonymousSessions, DEFAULTS.sessions.maxSessions);
    assert.equal(
      resolveOptions({ ...IDENTITY, auth: { authenticate: () => undefined } })
        .sessions.maxAnonymousSessions,
      Math.floor(DEFAULTS.sessions.maxSessions / 16),
    );
  });
});
