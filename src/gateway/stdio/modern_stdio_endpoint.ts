/**
 * The 2026-07-28 side of a stdio upstream: a `ModernEndpoint` whose POSTs
 * are lines to a process, one process per principal (credentials put the
 * principal's environment into it, so no two principals share one; every
 * anonymous caller is one principal), shared by that principal's requests
 * (modern_process.ts keeps them apart). The gateway's own principal has the
 * discovery process, outside the pool; the others take places in it and
 * are closed when idle (process_pool.ts). A `server/discover` that gets no
 * 2026-07-28 answer ends its process (the upstream falls back to 2025
 * sessions, or is unavailable). It frames nothing itself.
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";
import { ownerKeyOf, type Principal } from "../../protocol/context/request_context.ts";
import { FIRST_MODERN_PROTOCOL_VERSION } from "../../protocol/eras.ts";
import type { ModernEndpoint } from "../modern/modern_endpoint.ts";
import { ModernProcess, type ProcessLine } from "./modern_process.ts";
import type { ProcessGroupTransport } from "./process_group_transport.ts";

/** What a stdio upstream's 2026-07-28 side needs. */
export interface StdioEndpointSettings {
  /** `"auto"` (probe, fall back to 2025) or `"2026-07-28"` (no fallback). */
  protocol: "auto" | "2026-07-28";
  /** How long `server/discover` may go unanswered before the upstream counts as 2025-only, ms. */
  discoverTimeoutMs: number;
  /** The largest line written to a process, bytes. */
  maxMessageBytes: number;
  /** The principal whose process is the discovery one (not pooled: the gateway's own). */
  exempt: Principal;
  /** How long a process asked to end gets before it is killed, ms. */
  graceMs: number;
  /** A process for `principal`, not yet started (it takes its place in the pool as it starts). */
  spawn(principal: Principal): Promise<ProcessGroupTransport>;
  /** Counts each message of a process that no request may take. */
  onDropped(): void;
}

/** One principal's process. */
interface Held {
  readonly key: string;
  readonly transport: ProcessGroupTransport;
  readonly process: ModernProcess;
  /** Asked to end: no request is written to it any more. */
  ending: boolean;
}

/** The key of the discovery process (never an owner key: those all have a colon). */
const DISCOVERY = "discovery";

/**
 * A stdio upstream spoken to in 2026-07-28.
 *
 * @example
 * ```ts ignore (internal: pooledUpstream builds it from a stdio upstream's options)
 * const endpoint = new StdioModernEndpoint({ protocol: "auto", discoverTimeoutMs: 10_000, maxMessageBytes, exempt: GATEWAY_PRINCIPAL, graceMs: 5_000, spawn, onDropped });
 * ```
 */
export class StdioModernEndpoint implements ModernEndpoint {
  readonly protocol: "auto" | "2026-07-28";
  readonly #settings: StdioEndpointSettings;
  /** Each principal's process, by key, as soon as it starts opening. */
  readonly #processes = new Map<string, Promise<Held>>();
  #closed = false;

  /** The endpoint of `settings`. */
  constructor(settings: StdioEndpointSettings) {
    this.protocol = settings.protocol;
    this.#settings = settings;
  }

  /** How long `server/discover` is given: silence past it means a 2025-only server. */
  get discoverTimeoutMs(): number {
    return this.#settings.discoverTimeoutMs;
  }

  /** Writes `body` to `principal`'s process (opened if it has none): its answer as an SSE response. */
  async post(
    principal: Principal,
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Response> {
    signal.throwIfAborted();
    const held = await this.#processFor(principal);
    if (headers["mcp-method"] !== "server/discover") return await held.process.post(body, signal);
    // A server that does not answer 2026-07-28 is not kept: 2025 sessions have processes of their own.
    return await held.process.post(body, signal, (answer) => {
      const result = isPlainObject(answer?.result) ? answer.result : {};
      const versions = Array.isArray(result.supportedVersions) ? result.supportedVersions : [];
      if (!versions.includes(FIRST_MODERN_PROTOCOL_VERSION)) void this.#end(held);
    });
  }

  /** Ends every process (grace, then killed); requests after it open none. */
  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    const held = await Promise.allSettled([...this.#processes.values()]);
    this.#processes.clear();
    await Promise.all(
      held.map((one) => one.status === "fulfilled" ? this.#end(one.value, graceMs) : undefined),
    );
  }

  async #processFor(principal: Principal): Promise<Held> {
    if (this.#closed) throw new Error("The gateway is closed");
    const key = principal === this.#settings.exempt ? DISCOVERY : ownerKeyOf(principal);
    const opening = this.#processes.get(key);
    if (opening !== undefined) {
      const held = await opening.catch(() => undefined);
      if (held !== undefined && !held.process.closed && !held.ending) return held;
      if (this.#processes.get(key) === opening) this.#processes.delete(key);
      if (held === undefined) return await this.#processFor(principal);
    }
    const opened = this.#open(principal, key);
    this.#processes.set(key, opened);
    // A process that failed to start leaves no entry: the next request tries again.
    opened.catch(() => {
      if (this.#processes.get(key) === opened) this.#processes.delete(key);
    });
    return await opened;
  }

  async #open(principal: Principal, key: string): Promise<Held> {
    const transport = await this.#settings.spawn(principal);
    const process = new ModernProcess(transport as unknown as ProcessLine, this.#settings);
    const held: Held = { key, transport, process, ending: false };
    // onclose is the process's: a gone process leaves the map so the next request opens one.
    const closed = transport.onclose;
    transport.onclose = () => {
      closed?.();
      void this.#processes.get(key)?.then((now) => {
        if (now === held) this.#processes.delete(key);
      }, () => {});
    };
    transport.onerror = () => {};
    await transport.start();
    return held;
  }

  /** Ends `held`'s process: stdin closed and SIGTERM, killed after `graceMs`. */
  async #end(held: Held, graceMs = this.#settings.graceMs): Promise<void> {
    held.ending = true;
    void this.#processes.get(held.key)?.then((now) => {
      if (now === held) this.#processes.delete(held.key);
    }, () => {});
    const timer = setTimeout(() => held.transport.kill(), graceMs);
    try {
      await held.transport.close();
    } finally {
      clearTimeout(timer);
    }
  }
}
