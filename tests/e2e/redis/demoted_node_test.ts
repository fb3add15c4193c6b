/**
 * A `{ url }` whose node is demoted to a replica (`REPLICAOF`): requests get
 * `503` + `Retry-After` (the node answers `READONLY`), the backend drops its
 * connection to that node (so a name that follows the master, as a managed
 * endpoint's does, is resolved again), and once the node is a master again
 * the same handler serves without a restart.
 */
import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { after, before } from "node:test";
import { createMcpHandler, defineTool } from "../../../mod.ts";
import { createRedisBackend } from "../../../src/redis/redis_backend.ts";
import { initialize, rpc, until } from "../../helpers.ts";
import { describeRedis, itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

describeRedis("a { url } node demoted to a replica", () => {
  let node: TestRedis;
  let other: TestRedis;
  before(async () => {
    if (redisSkip === false) [node, other] = await Promise.all([startRedis(), startRedis()]);
  });
  after(async () => {
    await Promise.all([node?.stop(), other?.stop()]);
  });

  itRedis(
    "answers 503, drops its connection to the node, and serves again when it is master",
    async () => {
      const backend = await createRedisBackend({ url: node.url }, {
        prefix: "demoted:",
        onError: () => {},
      });
      const handler = createMcpHandler({
        name: "demoted",
        version: "1.0.0",
        observe: {
          onError: () => {},
        },
        sessions: { store: backend.sessionStore },
        streams: {
          eventLog: backend.eventLog,
        },
        bus: backend.bus,
        tools: [defineTool({ name: "quick", handler: () => "ok" })],
      });
      /**
       * Ids of the backend's command connections to the node: every client but
       * the test's own and the blocking readers (REPLICAOF unblocks those, so
       * they reconnect anyway).
       */
      const connections = async () => {
        const own = String(await node.client.sendCommand(["CLIENT", "ID"]));
        const list = String(await node.client.sendCommand(["CLIENT", "LIST"]));
        return list.split("\n").filter((line) => !/ cmd=xread\b/.test(line))
          .map((line) => /^id=(\d+) /.exec(line)?.[1])
          .filter((id): id is string => id !== undefined && id !== own).sort();
      };
      try {
        const session = await initialize(handler);
        assert.equal((await rpc(handler, session, "tools/call", { name: "quick" })).status, 200);
        const before = await connections();
        assert.ok(before.length > 0, "positive control: the command connection is listed");
        // A replica writes its master's snapshot into its directory: the node's own, not the tests'.
        const reply = await node.client.sendCommand(["CONFIG", "GET", "dir"]);
        const directory = String(Array.isArray(reply) ? reply[1] : (reply as { dir: string }).dir);
        assert.notEqual(realpathSync(directory), realpathSync(process.cwd()));
        const otherPort = new URL(other.url).port;
        await node.client.sendCommand(["REPLICAOF", "127.0.0.1", otherPort]);
        const refused = await handler(
          new Request("http://127.0.0.1/mcp", {
            method: "POST",
            headers: {
              accept: "application/json, text/event-stream",
              "content-type": "application/json",
              "mcp-session-id": session.id,
              "mcp-protocol-version": session.protocolVersion,
            },
            body: JSON.stringify({
              jsonrpc: "2.0",
              id: 2,
              method: "tools/call",
              params: { name: "quick" },
            }),
          }),
        );
        await refused.body?.cancel();
        assert.equal(refused.status, 503, "a demoted node: 503");
        assert.notEqual(refused.headers.get("retry-after"), null);
        await until(
          async () => {
            const now = await connections();
            return before.some((id) => !now.includes(id));
          },
          "the connection that met READONLY to be dropped",
          5_000,
        );
        await node.client.sendCommand(["REPLICAOF", "NO", "ONE"]);
        await until(
          async () => {
            const fresh = await initialize(handler).catch(() => undefined);
            if (fresh === undefined) return false;
            return (await rpc(handler, fresh, "tools/call", { name: "quick" })).status === 200;
          },
          "service to return without a restart",
          10_000,
        );
      } finally {
        await node.client.sendCommand(["REPLICAOF", "NO", "ONE"]).catch(() => {});
        await handler.close();
        await backend.close();
      }
    },
  );
});
