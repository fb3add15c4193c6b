/**
 * A tool whose calls run until the test lets them go or their signal aborts:
 * the one "blocking tool" the tests share, for holding work in flight
 * (cancellation, orphans, caps, slow calls, session ends). Each call is
 * recorded with its context and signal; `started` and `aborted` are latches a
 * test awaits instead of sleeping. Not a test file itself.
 * @module
 */

import { type AnyToolDefinition, defineTool, type HandlerContext } from "../mod.ts";
import { deferred, within } from "./helpers.ts";

/** One call of a {@linkcode blockingTool}, while it runs. */
export interface BlockedCall {
  /** The call's handler context. */
  readonly ctx: HandlerContext;
  /** The call's abort signal (`ctx.signal`). */
  readonly signal: AbortSignal;
  /** Lets this call return `"done"`. */
  finish(): void;
}

/** How a {@linkcode blockingTool} behaves. */
export interface BlockingToolOptions {
  /** The tool's name. @default "block" */
  name?: string;
  /** Logs "started" before blocking, which turns an `auto` answer into an SSE stream. @default false */
  announce?: boolean;
  /** Keeps running after its signal aborts, until finished or released (a tool that ignores its signal). @default false */
  ignoreAbort?: boolean;
}

/** A {@linkcode blockingTool}: the definition and the latches a test awaits. */
export interface BlockingTool {
  /** The tool definition, for `tools: [...]`. */
  readonly tool: AnyToolDefinition;
  /** Every call that started, in order. */
  readonly calls: BlockedCall[];
  /** Resolves when the first call has started (after its "started" log, with `announce`). */
  readonly started: Promise<void>;
  /** Resolves with the first aborted call's abort reason. */
  readonly aborted: Promise<unknown>;
  /** Resolves with the `n`-th call (from 1) once it started; fails after `timeoutMs`. */
  call(n: number, timeoutMs?: number): Promise<BlockedCall>;
  /** Lets every call, running or still to come, return `"done"`. */
  release(): void;
}

/**
 * Builds a tool whose calls return `"done"` when finished or released, and
 * `"aborted"` when their signal aborts first (unless `ignoreAbort`).
 *
 * @example
 * ```ts
 * const blocking = blockingTool();
 * const handler = makeHandler({ tools: [blocking.tool] });
 * // ... call "block", then:
 * await within(blocking.started, 3_000, "the call to start");
 * ```
 */
export function blockingTool(options: BlockingToolOptions = {}): BlockingTool {
  const calls: BlockedCall[] = [];
  const started = deferred();
  const aborted = deferred<unknown>();
  const released = deferred();
  const waiters: { n: number; resolve: (call: BlockedCall) => void }[] = [];
  const tool = defineTool({
    name: options.name ?? "block",
    description: "runs until finished, released or aborted",
    handler: async (_input, ctx) => {
      if (options.announce) await ctx.log("info", "started");
      const finished = deferred<string>();
      const call: BlockedCall = { ctx, signal: ctx.signal, finish: () => finished.resolve("done") };
      calls.push(call);
      started.resolve();
      for (const waiter of waiters.filter((w) => w.n === calls.length)) waiter.resolve(call);
      const onAbort = () => {
        aborted.resolve(ctx.signal.reason);
        if (!options.ignoreAbort) finished.resolve("aborted");
      };
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener("abort", onAbort, { once: true });
      return await Promise.race([finished.promise, released.promise.then(() => "done")]);
    },
  });
  return {
    tool,
    calls,
    started: started.promise,
    aborted: aborted.promise,
    call(n, timeoutMs = 3_000) {
      if (calls.length >= n) return Promise.resolve(calls[n - 1]);
      const reached = new Promise<BlockedCall>((resolve) => waiters.push({ n, resolve }));
      return within(reached, timeoutMs, `call ${n} of the blocking tool to start`);
    },
    release: () => released.resolve(),
  };
}
