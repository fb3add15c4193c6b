/** The Redis SessionStore, EventLog and TaskStore meet their contracts, against a real redis-server. */
import { after, before } from "node:test";
import { RedisEventLog } from "../../src/redis/redis_event_log.ts";
import { RedisSessionStore } from "../../src/redis/redis_session_store.ts";
import { RedisTaskStore } from "../../src/redis/redis_task_store.ts";
import { describeTaskStore } from "../contracts/task_store_contract.ts";
import { describeEventLog } from "../contracts/event_log_contract.ts";
import { describeSessionStore } from "../contracts/session_store_contract.ts";
import { describeRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let redis: TestRedis;
let n = 0;
before(async () => {
  if (redisSkip === false) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

// A fresh key prefix per test: an empty store on the shared server.
describeRedis("Redis contracts", () =>
  describeSessionStore(
    "RedisSessionStore",
    () => new RedisSessionStore(redis.client, { prefix: `t${++n}:` }),
    { getAndTouch: true },
  ));
describeRedis("Redis contracts", () =>
  describeEventLog(
    "RedisEventLog",
    () =>
      new RedisEventLog(redis.client, {
        prefix: `t${++n}:`,
        openConnection: () => redis.openConnection(),
      }),
    {
      tailing: true,
      appendMany: true,
      bounded: (bounds) => new RedisEventLog(redis.client, { prefix: `t${++n}:`, ...bounds }),
    },
  ));
describeRedis("Redis contracts", () =>
  describeEventLog(
    "RedisEventLog without blocking connections (polls)",
    () => new RedisEventLog(redis.client, { prefix: `t${++n}:` }),
    { tailing: true },
  ));
describeRedis("Redis contracts", () =>
  describeTaskStore(
    "RedisTaskStore",
    (now) => new RedisTaskStore(redis.client, { prefix: `t${++n}:`, now }),
  ));
