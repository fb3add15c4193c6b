/**
 * Nothing leaks across many downstream sessions: 1,000 sessions (tether's
 * testing client, in process) each open an upstream session on an SDK
 * upstream over HTTP and end it with DELETE; afterwards no upstream session
 * is live and this process's open file descriptors are back near where they
 * started. Likewise 20 sessions of a stdio upstream leave no process.
 */

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { createMcpHandler } from "../../../mod.ts";
import { createGateway, stdioUpstream } from "../../../src/gateway/mod.ts";
import { connect } from "../../../src/testing/mod.ts";
import { waitFor } from "../interop/helpers.ts";
import { startGateway } from "./fixture.ts";
import { alive, runtimeCommand } from "./runtime_command.ts";

/** Open file descriptors of this process (Linux), or undefined elsewhere. */
function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

describe("gateway churn", () => {
  it("1,000 downstream sessions opened and closed leave no upstream session and no fds behind", async () => {
    const fixture = await startGateway();
    try {
      const before = openFds();
      const rounds = 100;
      const width = 10;
      for (let round = 0; round < rounds; round++) {
        await Promise.all(Array.from({ length: width }, async () => {
          const client = await connect(fixture.handler, {
            headers: { authorization: "Bearer down-alice" },
          });
          const { result } = await client.callTool("up_whoami");
          assert.equal(result.isError, undefined);
          await client.close();
        }));
      }
      await waitFor(() => fixture.gateway.stats().upstreamSessions === 0, "every place given back");
      assert.equal(fixture.gateway.stats().upstreamSessionsOpened, rounds * width);
      await waitFor(() => fixture.upstream.record.live.size === 1, "only discovery left upstream");
      const after = openFds();
      if (before !== undefined && after !== undefined) {
        // Keep-alive sockets of the fetch pool may stay; sessions must not.
        assert.ok(after - before < 100, `fds ${before} -> ${after}`);
      }
    } finally {
      await fixture.close();
    }
  });

  it("20 downstream sessions of a stdio upstream leave no process behind", async () => {
    const { command, args } = runtimeCommand(
      fileURLToPath(new URL("./stdio_server.ts", import.meta.url)),
    );
    const gateway = await createGateway({
      upstreams: [stdioUpstream({ name: "local", command, args, stderr: "ignore" })],
      graceMs: 2_000,
    });
    const handler = createMcpHandler({ name: "g", version: "1.0.0", ...gateway.definitions() });
    const pids: number[] = [];
    try {
      for (let round = 0; round < 4; round++) {
        await Promise.all(Array.from({ length: 5 }, async () => {
          const client = await connect(handler);
          const { result } = await client.callTool("local_whoami");
          pids.push(Number((result.content[0] as { text: string }).text));
          await client.close();
        }));
      }
      assert.equal(new Set(pids).size, 20);
      await waitFor(() => pids.every((pid) => !alive(pid)), "every upstream process ended", 20_000);
      assert.equal(gateway.stats().upstreamSessions, 0);
    } finally {
      await handler.close();
      await gateway.close();
    }
  });
});
