/**
 * The gateway on two tether instances sharing one Redis (sessions, event
 * log, bus), one SDK upstream: a downstream session served by both gets an
 * upstream session on each instance that serves it (never another
 * session's), each instance reusing its own; a DELETE on one instance ends
 * the upstream sessions of both. Real redis-server (tests/e2e/redis/ helpers).
 */

import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { createMcpHandler, type McpHandler, type Principal } from "../../../mod.ts";
import { createGateway, type Gateway, httpUpstream } from "../../../src/gateway/mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { connect } from "../../../src/testing/mod.ts";
import { waitFor } from "../interop/helpers.ts";
import { describeRedis, redisSkip, startRedis, type TestRedis } from "../redis/redis_server.ts";
import { type SdkUpstream, startSdkUpstream } from "./sdk_upstream.ts";

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

interface Instance {
  handler: McpHandler;
  gateway: Gateway;
  backend: RedisBackend;
}

async function startInstance(upstream: SdkUpstream, prefix: string): Promise<Instance> {
  const backend = await createRedisBackend({ url: redis.url }, {
    prefix,
    onError: () => {},
    bus: { blockMs: 1_000 },
  });
  const gateway = await createGateway({
    upstreams: [httpUpstream({ name: "up", url: `${upstream.url}/mcp` })],
    graceMs: 1_000,
  });
  const handler = createMcpHandler({
    name: "gateway",
    version: "1.0.0",
    observe: {
      onError: () => {},
    },
    ...gateway.definitions(),
    auth: {
      authenticate: (request): Principal | undefined => {
        const match = /^Bearer down-(\S+)$/.exec(request.headers.get("authorization") ?? "");
        return match === null ? undefined : { id: match[1] };
      },
    },
    sessions: { store: backend.sessionStore },
    streams: {
      eventLog: backend.eventLog,
    },
    bus: backend.bus,
  });
  gateway.attach(handler);
  return { handler, gateway, backend };
}

describeRedis("gateway across instances", () => {
  it("each instance serving a session holds its own upstream session for it; DELETE on one ends both", async () => {
    const upstream = await startSdkUpstream();
    const a = await startInstance(upstream, "gw1:");
    const b = await startInstance(upstream, "gw1:");
    try {
      let target = a.handler;
      const client = await connect((request) => target(request), {
        headers: { authorization: "Bearer down-alice" },
      });
      const whoami = async () =>
        ((await client.callTool("up_whoami")).result.content[0] as { text: string }).text;
      const onA = await whoami();
      target = b.handler;
      const onB = await whoami();
      assert.notEqual(onB, onA, "B opens its own upstream session for the session");
      assert.equal(await whoami(), onB, "and reuses it");
      target = a.handler;
      assert.equal(await whoami(), onA, "A still holds its own");
      const other = await connect((request) => a.handler(request), {
        headers: { authorization: "Bearer down-alice" },
      });
      const otherId =
        ((await other.callTool("up_whoami")).result.content[0] as { text: string }).text;
      assert.ok(otherId !== onA && otherId !== onB, "never another session's");

      await client.close(); // DELETE, through A
      await waitFor(() => !upstream.record.live.has(onA), "A's upstream session closed");
      await waitFor(() => !upstream.record.live.has(onB), "B's upstream session closed too");
      assert.ok(upstream.record.live.has(otherId), "the other session's untouched");
      await other.close();
    } finally {
      for (const instance of [a, b]) {
        await instance.handler.close();
        await instance.gateway.close();
        await instance.backend.close();
      }
      await upstream.close();
    }
  });
});
