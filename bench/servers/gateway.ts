/**
 * tether's gateway (`@tether/mcp/gateway`) in front of one upstream named
 * `up`, its tools served as `up_<name>`, for bench/gateway_cost.ts:
 *   --upstream URL   an HTTP upstream (bench/servers/tether.ts, started by the driver)
 *   --stdio          bench/servers/tether_stdio.ts run as a subprocess on this
 *                    runtime, one process per upstream session
 * `Authorization: Bearer <name>` makes the caller principal `<name>` (a
 * 2026-07-28 principal's calls then share one upstream session, as
 * docs/gateway.md describes); without it the caller is anonymous. Default
 * gateway options otherwise. Stops its upstream sessions on SIGTERM.
 */

import { fileURLToPath } from "node:url";
import { createMcpHandler } from "../../mod.ts";
import {
  createGateway,
  httpUpstream,
  stdioUpstream,
  type Upstream,
} from "../../src/gateway/mod.ts";
import { serverArgs, startBenchServer } from "./common.ts";

const args = serverArgs();

function upstream(): Upstream {
  if (args.stdio === "true") {
    const file = fileURLToPath(new URL("./tether_stdio.ts", import.meta.url));
    const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
    return stdioUpstream({
      name: "up",
      command: deno?.execPath() ?? process.execPath,
      args: deno === undefined ? [file] : ["run", "-A", file],
      stderr: "inherit",
    });
  }
  if (args.upstream === undefined) throw new Error("--upstream URL or --stdio is required");
  return httpUpstream({ name: "up", url: args.upstream });
}

const principalOf = (request: Request) => {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
  return token === undefined ? undefined : { id: token };
};
const gateway = await createGateway({ upstreams: [upstream()] });
const handler = createMcpHandler({
  name: "bench-gateway",
  version: "1.0.0",
  ...gateway.definitions(),
  auth: { authenticate: gateway.authenticate(principalOf) },
});
gateway.attach(handler);
process.once("SIGTERM", () => {
  void gateway.close({ graceMs: 1_000 }).finally(() => process.exit(0));
});

await startBenchServer({ fetch: handler, sessions: async () => (await handler.stats()).sessions });
