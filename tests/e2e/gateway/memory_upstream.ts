/**
 * An upstream without sockets for the gateway's session tests: each
 * `connect` starts an official SDK McpServer on an in-memory transport pair.
 * It counts the sessions and the pings they receive, and can go mute (drop
 * every message) to make a health probe fail.
 */

// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/inMemory.d.ts"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.d.ts"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { HandlerContext, Principal } from "../../../mod.ts";
import type { Upstream } from "../../../src/gateway/mod.ts";

/** The in-memory upstream and what it saw. */
export interface MemoryUpstream extends Upstream {
  /** Sessions opened (each its own McpServer), in order. */
  sessions: { id: number; principal: Principal; closed: boolean }[];
  /** Pings received, all sessions. */
  pings: number;
  /** While true, every session drops what it receives. */
  mute: boolean;
  /** Adds a tool on every live session (each tells its client `tools/list_changed`). */
  addTool(name: string): void;
  /** Ends session `id` from the upstream's side (the upstream lost it). */
  drop(id: number): Promise<void>;
}

/** An in-memory upstream named `name` with a `whoami` tool answering its session number. */
export function memoryUpstream(name = "mem"): MemoryUpstream {
  const servers = new Map<number, McpServer>();
  const extraTools: string[] = [];
  const upstream: MemoryUpstream = {
    name,
    sessions: [],
    pings: 0,
    mute: false,
    addTool(tool) {
      extraTools.push(tool);
      for (const server of servers.values()) {
        server.registerTool(tool, { description: "added later" }, () => ({ content: [] }));
      }
    },
    async drop(id) {
      await servers.get(id)?.close();
    },
    async connect(principal) {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      const session = { id: upstream.sessions.length + 1, principal, closed: false };
      upstream.sessions.push(session);
      const server = new McpServer({ name: "memory-upstream", version: "1.0.0" });
      server.registerTool("whoami", { description: "The session number" }, () => ({
        content: [{ type: "text", text: String(session.id) }],
      }));
      for (const tool of extraTools) {
        server.registerTool(tool, { description: "added later" }, () => ({ content: [] }));
      }
      servers.set(session.id, server);
      await server.connect(serverSide);
      const deliver = serverSide.onmessage!;
      serverSide.onmessage = (message, extra) => {
        if (upstream.mute) return;
        if ((message as { method?: string }).method === "ping") upstream.pings++;
        deliver(message, extra);
      };
      serverSide.onclose = () => {
        session.closed = true;
        servers.delete(session.id);
      };
      return { transport: clientSide };
    },
  };
  return upstream;
}

/** A `ctx.session` whose resources are disposed by `end()`, as the handler's session does. */
export function memorySession(id: string) {
  const resources = new Map<string, { value: Promise<unknown>; dispose?: (r: never) => unknown }>();
  return {
    id,
    get: () => Promise.resolve(undefined),
    set: () => Promise.resolve(),
    delete: () => Promise.resolve(),
    update: () => Promise.reject(new Error("unused")),
    resource<T>(
      key: string,
      open: () => T | Promise<T>,
      options?: { dispose?: (r: T) => unknown },
    ) {
      let held = resources.get(key);
      if (held === undefined) {
        held = { value: Promise.resolve(open()), dispose: options?.dispose as never };
        resources.set(key, held);
      }
      return held.value as Promise<T>;
    },
    async end() {
      for (const held of resources.values()) await held.dispose?.(await held.value as never);
      resources.clear();
    },
  };
}

/** A handler context for calling gateway definitions directly. */
export function contextFor(
  principal: Principal,
  session?: ReturnType<typeof memorySession>,
): HandlerContext {
  return {
    signal: new AbortController().signal,
    principal,
    session,
    requestId: 1,
    traceContext: undefined,
    protocolVersion: session === undefined ? "2026-07-28" : "2025-11-25",
    clientCapabilities: {},
    log: () => Promise.resolve(),
    progress: () => Promise.resolve(),
    elicit: () => Promise.reject(new Error("unused")),
    elicitationComplete: () => Promise.resolve(),
    sample: () => Promise.reject(new Error("unused")),
    listRoots: () => Promise.reject(new Error("unused")),
    closeStream: () => {},
  } as HandlerContext;
}
