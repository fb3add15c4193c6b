/**
 * stdio upstreams (a small SDK server run as a subprocess on the test's
 * runtime): one process per downstream session, credentials in its
 * environment, its process group ended on DELETE and on shutdown (a
 * grandchild it started dies too), and an upstream killed mid-call fails
 * that call, closes its place, and the next call starts a new process.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { createMcpHandler } from "../../../mod.ts";
import { createGateway, stdioUpstream } from "../../../src/gateway/mod.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { connectClient, type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import { alive, runtimeCommand } from "./runtime_command.ts";

const SERVER = fileURLToPath(new URL("./stdio_server.ts", import.meta.url));

/** A gateway over the stdio server; `graceMs` is how long a process gets to exit when asked. */
async function startStdioGateway(env: Record<string, string> = {}, graceMs = 2_000) {
  const { command, args } = runtimeCommand(SERVER);
  const gateway = await createGateway({
    upstreams: [stdioUpstream({
      name: "local",
      command,
      args,
      stderr: "ignore",
      env,
      credentials: (principal) => ({ UPSTREAM_TOKEN: `up-${principal.id}` }),
    })],
    graceMs,
  });
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    ...gateway.definitions(),
    auth: {
      authenticate: (request) => {
        const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
        return token?.startsWith("down-") ? { id: token.slice(5) } : undefined;
      },
    },
  });
  const server = await serveHandler(handler, 0);
  const connections: SdkConnection[] = [];
  return {
    gateway,
    async connect(user: string) {
      const connection = await connectClient(`${server.url}/mcp`, { token: `down-${user}` });
      connections.push(connection);
      return connection;
    },
    async close() {
      for (const connection of connections) await connection.close();
      await server.close();
      await gateway.close({ graceMs });
    },
  };
}

const call = async (connection: SdkConnection, name: string) =>
  textOf(await connection.client.callTool({ name, arguments: {} }));

describe("gateway stdio upstreams", () => {
  it("one process per downstream session, ended with its process group on DELETE and shutdown", async () => {
    const fixture = await startStdioGateway();
    let grandchildren: number[] = [];
    let pids: number[] = [];
    try {
      const a = await fixture.connect("alice");
      const b = await fixture.connect("alice");
      pids = [Number(await call(a, "local_whoami")), Number(await call(b, "local_whoami"))];
      assert.notEqual(pids[0], pids[1], "two processes");
      assert.equal(Number(await call(a, "local_whoami")), pids[0], "reused");
      assert.equal(await call(a, "local_token"), "up-alice", "credentials in its environment");
      grandchildren = [
        Number(await call(a, "local_grandchild")),
        Number(await call(b, "local_grandchild")),
      ];
      assert.ok(grandchildren.every(alive));

      await a.transport.terminateSession();
      await waitFor(() => !alive(pids[0]) && !alive(grandchildren[0]), "A's process group ended");
      assert.ok(alive(pids[1]) && alive(grandchildren[1]), "B's untouched");
    } finally {
      await fixture.close();
    }
    await waitFor(() => !alive(pids[1]) && !alive(grandchildren[1]), "shutdown ended B's group");
  });

  it("an upstream killed mid-call fails the call; the next call runs in a new process", async () => {
    const fixture = await startStdioGateway();
    try {
      const a = await fixture.connect("alice");
      const first = Number(await call(a, "local_whoami"));
      const result = await a.client.callTool({ name: "local_die", arguments: {} });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /Upstream "local"/);
      await waitFor(() => !alive(first), "the dead process reaped");
      const second = Number(await call(a, "local_whoami"));
      assert.notEqual(second, first, "recreated");
      await waitFor(() => fixture.gateway.stats().upstreamSessions === 1, "one place held");
      assert.equal(fixture.gateway.stats().upstreamSessionsOpened, 2);
    } finally {
      await fixture.close();
    }
  });

  it("a process that ignores the polite close is killed when the grace runs out", async () => {
    const fixture = await startStdioGateway({ STUBBORN: "1" }, 300);
    let pid = 0;
    try {
      const a = await fixture.connect("alice");
      pid = Number(await call(a, "local_whoami"));
      assert.ok(alive(pid));
    } finally {
      // The client's DELETE ends the session; the process ignores the polite close, so
      // the grace (graceMs: 300) runs out and its group is killed.
      await fixture.close();
    }
    await waitFor(() => !alive(pid), "the stubborn process killed after the grace");
  });

  it("is refused when it is defined where there are no subprocesses (workerd)", () => {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, "navigator");
    Object.defineProperty(globalThis, "navigator", {
      value: { userAgent: "Cloudflare-Workers" },
      configurable: true,
    });
    try {
      assert.throws(
        () => stdioUpstream({ name: "local", command: "node" }),
        /stdio upstreams need subprocesses \(Node, Deno or Bun\); this runtime has none/,
      );
    } finally {
      if (descriptor === undefined) delete (globalThis as { navigator?: unknown }).navigator;
      else Object.defineProperty(globalThis, "navigator", descriptor);
    }
  });
});
