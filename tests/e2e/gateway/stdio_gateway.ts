/**
 * The fixture of the bounded-stdio tests: a gateway over
 * stdio_bounded_server.ts run on the test's runtime, served on a free port,
 * `Bearer down-<user>` authenticating `user` (no token: anonymous), with
 * official SDK clients; it notes the upstream pids its tests see and, on
 * close, waits until none of those processes is left.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createMcpHandler } from "../../../mod.ts";
import { createGateway, type GatewayOptions, stdioUpstream } from "../../../src/gateway/mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { connectClient, type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import { alive, runtimeCommand } from "./runtime_command.ts";

const SERVER = fileURLToPath(new URL("./stdio_bounded_server.ts", import.meta.url));

/** `user` of a `Bearer down-<user>` token; anonymous without one. */
const principalOf = (request: Request) => {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
  return token?.startsWith("down-") ? { id: token.slice(5) } : undefined;
};

/** Starts the gateway (upstream `local`) with `options`. */
export async function startStdioGateway(options: Partial<GatewayOptions> = {}) {
  const { command, args } = runtimeCommand(SERVER);
  const upstream = stdioUpstream({ name: "local", command, args, stderr: "ignore" });
  const gateway = await createGateway({ upstreams: [upstream], graceMs: 1_000, ...options });
  const definitions = gateway.definitions();
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    ...definitions,
    auth: { authenticate: principalOf },
  });
  const server = await serveHandler(handler, 0);
  const connections: SdkConnection[] = [];
  const pids: number[] = [];
  return {
    gateway,
    pids,
    /** A new downstream session, as `user` (anonymous without one). */
    async connect(user?: string) {
      const token = user === undefined ? undefined : `down-${user}`;
      const connection = await connectClient(`${server.url}/mcp`, { token });
      connections.push(connection);
      return connection;
    },
    /** The pid `tool` answers in `connection`'s session (noted for the end check). */
    async pid(connection: SdkConnection, tool = "local_pid", args: Record<string, unknown> = {}) {
      const result = await connection.client.callTool({ name: tool, arguments: args });
      assert.equal(result.isError, undefined, `${tool} answered ${JSON.stringify(result)}`);
      const pid = Number(textOf(result));
      pids.push(pid);
      return pid;
    },
    async close() {
      for (const connection of connections) await connection.close();
      await server.close();
      await gateway.close({ graceMs: 1_000 });
      await waitFor(() => !pids.some(alive), "every upstream process ended");
    },
  };
}
