/**
 * The fixture of the 2026-07-28 stdio upstream tests: a gateway over
 * stdio_modern_server.ts (or another stdio server) run on the test's
 * runtime, served on a free loopback port; `Bearer down-<user>` is `user`
 * (no token: anonymous); each process is started with UPSTREAM_TOKEN
 * `up-<user>` (`up-gateway` for discovery, `up-anonymous` for anonymous
 * callers). Downstream: the official SDK client, 2025-11-25 (v1) or
 * 2026-07-28 (v2). On close it waits until every process it saw is gone.
 * Not a test file itself.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from "@modelcontextprotocol/client";
import { ANONYMOUS_PRINCIPAL, createMcpHandler, type McpHandler } from "../../../mod.ts";
import {
  createGateway,
  type Gateway,
  GATEWAY_PRINCIPAL,
  type GatewayOptions,
  stdioUpstream,
  type StdioUpstreamOptions,
} from "../../../src/gateway/mod.ts";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { connectClient, type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import { downstreamUser } from "./down_tokens.ts";
import { alive, runtimeCommand } from "./runtime_command.ts";

/** The tether stdio server of these tests. */
export const MODERN_SERVER = fileURLToPath(new URL("./stdio_modern_server.ts", import.meta.url));

/** A running gateway in front of stdio upstreams. */
export interface StdioModernRig {
  gateway: Gateway;
  handler: McpHandler;
  server: RunningServer;
  url: string;
  /** Pids the tests saw (each must be gone after close). */
  pids: number[];
  /** Appears to make every process of stdio_modern_server.ts add the tool `added`. */
  changeFile: string;
  /** An official SDK client (2025-11-25) as `user`, answering elicitations with `<name>-<key>`. */
  legacy(user?: string, name?: string): Promise<SdkConnection>;
  /** An official v2 SDK client pinned to 2026-07-28 as `user`, answering likewise. */
  modern(user?: string, name?: string): Promise<V2Client>;
  /** Calls `tool` with `connection` (either client): its text (a tool error throws). */
  text(
    client: SdkConnection | V2Client,
    tool: string,
    args?: Record<string, unknown>,
  ): Promise<string>;
  /** The pid that answers `tool` (default `up_pid`) for `client`, noted. */
  pid(client: SdkConnection | V2Client, tool?: string): Promise<number>;
  /** Makes the list change (see `changeFile`). */
  change(): void;
  close(): Promise<void>;
}

/** Answers an elicitation with `<name>-<first property>`. */
function answer(name: string, params: unknown) {
  const schema = (params as { requestedSchema?: { properties?: object } }).requestedSchema;
  const key = Object.keys(schema?.properties ?? {})[0];
  return { action: "accept" as const, content: { [key]: `${name}-${key}` } };
}

/**
 * A gateway in front of stdio upstreams named `names` (default `["up"]`),
 * each running `file` (default stdio_modern_server.ts) with `upstream`'s
 * options. stdio_modern_server.ts serves both eras: it is spoken to with
 * `protocol: "2026-07-28"` unless told, so that 2025 sessions too are
 * carried in 2026-07-28 (with `"auto"` each gets a 2025 process of its own).
 */
export async function startStdioModernRig(
  options: Partial<GatewayOptions> = {},
  upstream: Partial<StdioUpstreamOptions> = {},
  names: readonly string[] = ["up"],
  file: string = MODERN_SERVER,
): Promise<StdioModernRig> {
  const dir = mkdtempSync(join(tmpdir(), "tether-stdio-modern-"));
  const changeFile = join(dir, "change");
  const { command, args } = runtimeCommand(file);
  const gateway = await createGateway({
    upstreams: names.map((name) =>
      stdioUpstream({
        name,
        command,
        args,
        stderr: "ignore",
        env: { CHANGE_FILE: changeFile },
        credentials: (principal) => ({
          UPSTREAM_TOKEN: principal === GATEWAY_PRINCIPAL
            ? "up-gateway"
            : principal === ANONYMOUS_PRINCIPAL
            ? "up-anonymous"
            : `up-${principal.id}`,
        }),
        ...(file === MODERN_SERVER ? { protocol: "2026-07-28" as const } : {}),
        ...upstream,
      })
    ),
    graceMs: 1_000,
    retryMs: 100,
    onError: () => {},
    ...options,
  });
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    ...gateway.definitions(),
    auth: { authenticate: gateway.authenticate(downstreamUser) },
    observe: { onError: () => {} },
  });
  gateway.attach(handler);
  const server = await serveHandler(handler, 0);
  const url = `${server.url}/mcp`;
  const legacyClients: SdkConnection[] = [];
  const modernClients: V2Client[] = [];
  const pids: number[] = [];
  const text = async (
    client: SdkConnection | V2Client,
    tool: string,
    args: Record<string, unknown> = {},
  ) => {
    const result = client instanceof V2Client
      ? await client.callTool({ name: tool, arguments: args })
      : await client.client.callTool({ name: tool, arguments: args });
    if (result.isError === true) throw new Error(`${tool}: ${textOf(result)}`);
    return textOf(result);
  };
  return {
    gateway,
    handler,
    server,
    url,
    pids,
    changeFile,
    async legacy(user, name) {
      const connection = await connectClient(url, {
        token: user === undefined ? undefined : `down-${user}`,
        capabilities: name === undefined ? {} : { elicitation: {} },
        setup: (client) => {
          if (name === undefined) return;
          client.setRequestHandler(ElicitRequestSchema, (request) => answer(name, request.params));
        },
      });
      legacyClients.push(connection);
      return connection;
    },
    async modern(user, name) {
      const client = new V2Client({ name: "v2-downstream", version: "1.0.0" }, {
        capabilities: name === undefined ? {} : { elicitation: {} },
        versionNegotiation: { mode: { pin: "2026-07-28" } },
      });
      if (name !== undefined) {
        client.setRequestHandler(
          "elicitation/create",
          (request) => Promise.resolve(answer(name, request.params)),
        );
      }
      client.onerror = () => {};
      const headers: Record<string, string> = user === undefined
        ? {}
        : { authorization: `Bearer down-${user}` };
      await client.connect(new V2Transport(new URL(url), { requestInit: { headers } }));
      modernClients.push(client);
      return client;
    },
    text,
    async pid(client, tool = "up_pid") {
      const pid = Number(await text(client, tool));
      pids.push(pid);
      return pid;
    },
    change() {
      writeFileSync(changeFile, "");
    },
    async close() {
      for (const connection of legacyClients) await connection.close().catch(() => {});
      for (const client of modernClients) await client.close().catch(() => {});
      await server.close();
      await gateway.close({ graceMs: 1_000 });
      await handler.close();
      await waitFor(() => !pids.some(alive), "every upstream process ended");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
