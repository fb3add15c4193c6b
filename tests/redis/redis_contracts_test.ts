/** The Redis SessionStore meets the SessionStore contract, against a real redis-server. */
import { after, before } from "node:test";
import { RedisSessionStore } from "../../src/redis/redis_session_store.ts";
import { describeSessionStore } from "../contracts/session_store_contract.ts";
import { startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

// A fresh key prefix per test: an empty store on the shared server.
describeSessionStore("RedisSessionStore", () => new RedisSessionStore(redis.client, { prefix: `t${++n}:` }));
