/**
 * Creating a handler does nothing a host's global scope may forbid:
 * Cloudflare Workers refuses timers, random values and I/O outside a
 * request ("Disallowed operation called within global scope"), so
 * `createMcpHandler` must draw, schedule and connect only once it serves.
 * Here those globals throw while the handler (the everything fixture, every
 * kind of definition) is built, as workerd's would; tests/e2e/edge/workerd_test.ts
 * checks the same on workerd itself. And the core path imports no `node:`
 * module (a Worker without `nodejs_compat` has none).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { connect } from "../../../src/testing/mod.ts";

/** Replaces what a Worker's global scope forbids with functions that throw; returns the undo. */
function forbidGlobalScopeOperations(): () => void {
  const undo: Array<() => void> = [];
  const forbid = (owner: object, name: string) => {
    const own = Object.getOwnPropertyDescriptor(owner, name);
    Object.defineProperty(owner, name, {
      configurable: true,
      writable: true,
      value: () => {
        throw new Error(`${name} called within global scope`);
      },
    });
    undo.push(() => {
      if (own === undefined) delete (owner as Record<string, unknown>)[name];
      else Object.defineProperty(owner, name, own);
    });
  };
  for (const name of ["setTimeout", "setInterval", "setImmediate", "queueMicrotask", "fetch"]) {
    forbid(globalThis, name);
  }
  forbid(crypto, "getRandomValues");
  forbid(crypto, "randomUUID");
  return () => undo.reverse().forEach((restore) => restore());
}

describe("creating a handler at module scope", () => {
  it("sets no timer, draws no random value and does no I/O until the first request", async () => {
    const allow = forbidGlobalScopeOperations();
    // Positive control: the stubs do throw while in place.
    assert.throws(() => crypto.randomUUID(), /within global scope/);
    assert.throws(() => setTimeout(() => {}, 1), /within global scope/);
    let handler;
    try {
      // Every optional part the fixture can turn on: a rate limit, a concurrency cap, a state key.
      handler = createEverythingHandler({
        SESSION_MAX: "5",
        SESSION_IDLE_MS: "60000",
        RATE_LIMIT_PER_MINUTE: "1000",
        MAX_CONCURRENT_REQUESTS: "10",
        MCP_STATE_KEY: "a-state-key-of-at-least-thirty-two-characters",
      });
    } finally {
      allow();
    }
    try {
      // It serves once the request scope allows all of it: both eras.
      const called = await (await connect(handler)).callTool("test_simple_text");
      assert.equal(called.result?.content?.[0]?.type, "text");
      const modern = await (await connect(handler, { era: "2026" })).callTool("test_simple_text");
      assert.equal(modern.result?.content?.[0]?.type, "text");
    } finally {
      await handler.close();
    }
  });

  it("the core path (mod.ts and everything it imports) imports no node: module", () => {
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = (url: URL) => {
      if (seen.has(url.href)) return;
      seen.add(url.href);
      const source = readFileSync(url, "utf8");
      // Static imports and re-exports; `import type` is erased and so allowed.
      for (
        const match of source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+"([^"]+)";/gms)
      ) {
        const specifier = match[1];
        if (specifier.startsWith("node:")) nodeImports.push(`${url.pathname}: ${specifier}`);
        else if (specifier.startsWith(".")) visit(new URL(specifier, url));
      }
    };
    visit(new URL("../../../mod.ts", import.meta.url));
    assert.ok(seen.size > 50, `followed ${seen.size} modules`); // positive control: the walk went deep
    assert.deepEqual(nodeImports, []);
  });
});
