/**
 * A request runs no code above the layer that serves it: a 2025 (with
 * sessions and without) and a 2026-07-28 `tools/call`, once the handler
 * is built, call no function of src/handler.ts (the wiring) nor of
 * src/config/ (the options), whatever the handler passed down. Measured
 * with V8's precise coverage (call counts per function) through
 * `node:inspector`; a runtime without it skips the test and says so.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineTool, type McpHandler } from "../../../mod.ts";
import { MemoryBus } from "../../../src/storage/mod.ts";
import { initialize, makeHandler, readAnswer, rpc } from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";

/** The modules above the eras and the door: none of their functions may run on a request. */
const ABOVE = ["/src/handler.ts", "/src/config/"];

interface FunctionCoverage {
  functionName: string;
  ranges: { startOffset: number; endOffset: number; count: number }[];
}
interface ScriptCoverage {
  url: string;
  functions: FunctionCoverage[];
}

/** V8's call counts per function, through `node:inspector` (undefined where the runtime has none). */
async function openCoverage(): Promise<
  { take: () => Promise<ScriptCoverage[]>; close: () => void } | undefined
> {
  try {
    const { Session } = await import("node:inspector");
    const session = new Session();
    session.connect();
    // deno-lint-ignore no-explicit-any
    const post = (method: string, params?: object): Promise<any> =>
      new Promise((resolve, reject) =>
        // deno-lint-ignore no-explicit-any
        (session.post as any)(method, params ?? {}, (error: Error | null, result: unknown) =>
          error ? reject(error) : resolve(result))
      );
    await post("Profiler.enable");
    await post("Profiler.startPreciseCoverage", { callCount: true, detailed: false });
    return {
      // Each take resets the counts: what the next one reports ran after this one.
      take: async () => (await post("Profiler.takePreciseCoverage")).result,
      close: () => session.disconnect(),
    };
  } catch {
    return undefined;
  }
}

/** True when a function of the module at `path` ran. */
function ran(scripts: readonly ScriptCoverage[], path: string): boolean {
  return scripts.some((script) =>
    script.url.includes(path) && script.functions.some((fn) => fn.ranges[0].count > 0)
  );
}

/** The functions of the modules above the layers that ran at least once, as `path: name`. */
function ranAbove(scripts: readonly ScriptCoverage[]): string[] {
  const ran: string[] = [];
  for (const script of scripts) {
    if (!ABOVE.some((path) => script.url.includes(path))) continue;
    for (const fn of script.functions) {
      if (fn.ranges[0].count > 0) {
        ran.push(`${script.url.slice(script.url.indexOf("/src/"))}: ${fn.functionName || "(top)"}`);
      }
    }
  }
  return ran;
}

const echo = defineTool({ name: "echo", handler: () => "ok" });

/** Serves one call in the given way, and checks its answer. */
type Call = (handler: McpHandler) => Promise<void>;

const legacyCall = (stateful: boolean): Call => async (handler) => {
  const session = stateful ? await initialize(handler) : undefined;
  const outcome = await rpc(
    handler,
    session ?? { id: "", protocolVersion: "2025-11-25", headers: {}, result: {} },
    "tools/call",
    { name: "echo", arguments: {} },
  );
  assert.equal(outcome.message.result?.content?.[0]?.text, "ok");
};

const modernCall: Call = async (handler) => {
  const outcome = await readAnswer(
    await handler(modernRequest("tools/call", { name: "echo", arguments: {} })),
  );
  assert.equal(outcome.message.result?.content?.[0]?.text, "ok");
};

describe("a request runs no code above its layer", async () => {
  const coverage = await openCoverage();
  const skip = coverage === undefined ? "no V8 inspector session in this runtime" : false;

  const cases: [string, Partial<Parameters<typeof makeHandler>[0]>, Call][] = [
    ["a 2025 tools/call in a session", {}, legacyCall(true)],
    ["a 2025 tools/call without sessions", { eras: { legacy: "stateless" } }, legacyCall(false)],
    ["a 2026-07-28 tools/call", {}, modernCall],
    // With a listener, the call's audit record and request event go out too.
    ["a 2026-07-28 tools/call, observed", { observe: { onEvent: () => {} } }, modernCall],
    ["a 2025 tools/call, observed", { observe: { onEvent: () => {} } }, legacyCall(true)],
    // On a shared bus the delivery's receiver and session holds are on the way too.
    ["a 2025 tools/call in a session, on a bus", { bus: new MemoryBus() }, legacyCall(true)],
    ["a 2026-07-28 tools/call, on a bus", { bus: new MemoryBus() }, modernCall],
  ];
  for (const [name, options, call] of cases) {
    it(name, { skip }, async (t) => {
      const handler = makeHandler({ tools: [echo], ...options });
      try {
        await call(handler); // the first request starts what starts once (timers, codecs)
        await coverage!.take();
        await call(handler);
        const scripts = await coverage!.take();
        // A runtime whose inspector counts nothing of ours would pass without looking.
        if (!ran(scripts, "/src/entry/route.ts")) {
          t.skip("the inspector reports no call counts of the door in this runtime");
          return;
        }
        assert.deepEqual(ranAbove(scripts), []);
      } finally {
        await handler.close();
      }
    });
  }

  it("closes the inspector session", { skip }, () => coverage!.close());
});
