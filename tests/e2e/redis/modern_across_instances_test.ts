/**
 * The 2026-07-28 era across instances on one Redis (two copies of the
 * fixture, examples/everything.ts, each with its own backend): a
 * requestState sealed on A opens on B when they share MCP_STATE_KEY (and
 * only then), and `subscriptions/listen` on A hears `resourceUpdated` and
 * `broadcast` called on B.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createEverythingHandler } from "../../../examples/everything.ts";
import type { McpHandler } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { messagesOf, readSseUntil } from "../../helpers.ts";
import { modernRequest, modernRpc } from "../../support/modern_helpers.ts";
import { itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

const KEY = "a shared request-state key of at least 32 bytes";
let prefixes = 0;

/** Two fixture instances on one Redis prefix; `keys` gives each its MCP_STATE_KEY. */
async function pair(keys: [string, string]): Promise<{
  a: McpHandler;
  b: McpHandler;
  close(): Promise<void>;
}> {
  const prefix = `modern${++prefixes}:`;
  const backends: RedisBackend[] = [];
  const handlers: McpHandler[] = [];
  for (const key of keys) {
    const backend = await createRedisBackend({ url: redis.url }, { prefix, onError: () => {} });
    backends.push(backend);
    handlers.push(createEverythingHandler({ MCP_STATE_KEY: key }, backend));
  }
  return {
    a: handlers[0],
    b: handlers[1],
    async close() {
      for (const handler of handlers) await handler.close();
      for (const backend of backends) await backend.close();
    },
  };
}

const CAPS = { elicitation: {} };

itRedis(
  "2026: a requestState sealed on A opens on B with a shared key, and is refused without one",
  async () => {
    for (const shared of [true, false]) {
      const { a, b, close } = await pair([KEY, shared ? KEY : `${KEY} but another one`]);
      try {
        const tool = "test_input_required_result_elicitation";
        const first = await modernRpc(a, "tools/call", { name: tool, arguments: {} }, {
          capabilities: CAPS,
        });
        assert.equal(first.message.result.resultType, "input_required");
        const retry = await modernRpc(b, "tools/call", {
          name: tool,
          arguments: {},
          inputResponses: { user_name: { action: "accept", content: { name: "Ada" } } },
          requestState: first.message.result.requestState,
        }, { capabilities: CAPS });
        if (shared) {
          assert.equal(retry.message.result?.resultType, "complete");
          assert.equal(retry.message.result.content[0].text, "Hello, Ada!");
        } else {
          assert.equal(retry.message.error?.code, -32602, "another key cannot open it");
          assert.equal(retry.message.error.message, "Invalid or expired requestState");
        }
      } finally {
        await close();
      }
    }
  },
);

itRedis(
  "2026: subscriptions/listen on A hears resourceUpdated and broadcast called on B",
  async () => {
    const { a, b, close } = await pair([KEY, KEY]);
    try {
      const response = await a(
        modernRequest("subscriptions/listen", {
          notifications: {
            toolsListChanged: true,
            resourceSubscriptions: ["test://watched-resource"],
          },
        }, { id: "L" }),
      );
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      const ack = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      assert.equal(messagesOf(ack.events)[0].method, "notifications/subscriptions/acknowledged");

      await b.resourceUpdated("test://watched-resource");
      await b.resourceUpdated("test://not-subscribed");
      await b.broadcast({ method: "notifications/tools/list_changed" });
      const heard = await readSseUntil(reader, (events) => messagesOf(events).length >= 2);
      const messages = messagesOf(heard.events);
      assert.deepEqual(messages.map((m) => m.method), [
        "notifications/resources/updated",
        "notifications/tools/list_changed",
      ]);
      assert.equal(messages[0].params.uri, "test://watched-resource");
      assert.equal(messages[0].params._meta["io.modelcontextprotocol/subscriptionId"], "L");
      await reader.cancel();
    } finally {
      await close();
    }
  },
);
