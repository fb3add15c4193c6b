/**
 * The Lua scripts of the Redis task store (`RedisTaskStore`), each on the
 * keys of one slot: an owner's task sets (`{o:<owner>}`), the deployment's
 * task set (`{tasks}:all`), the result budget's books with each principal's
 * share (`{tasks}:results`, `:result-sizes`, `:result-bytes`,
 * `:result-principals`, `:principal-bytes`), or one task's record and result
 * (`{t:<id>}`). No script builds a key name; the store chains them. Internal.
 * @module
 */

import { FENCED, LuaScript } from "../connection/lua_script.ts";

/**
 * KEYS[1] owner zset, KEYS[2] owner's unfinished zset; ARGV[1] now, ARGV[2] max unfinished per
 * owner, ARGV[3] expiresAt, ARGV[4] id, ARGV[5] key TTL ms. 1 taken, 0 the owner is full.
 */
export const RESERVE_OWNER = new LuaScript(
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
for i = 1, 2 do
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
end
return 1`,
  FENCED,
);

/**
 * KEYS[1] all tasks zset; ARGV[1] now, ARGV[2] max tasks, ARGV[3] expiresAt, ARGV[4] id,
 * ARGV[5] key TTL ms (the zset lives at least as long as its newest task, never shortened).
 * 1 taken, 0 full.
 */
export const RESERVE_ALL = new LuaScript(
  `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return 1`,
  FENCED,
);

// The result budget's keys, all under `{tasks}`, by reservation (one per attempt to write a result:
// `<task id>/<random>`, so a writer that loses a race gives back its own and never the winner's):
// KEYS[1] reservations zset (-> the task's expiresAt), KEYS[2] sizes hash (-> bytes), KEYS[3]
// bytes counter, KEYS[4] principals hash (-> principal), KEYS[5] principal bytes hash (principal
// -> bytes held, no field at 0). `release(id)` gives a reservation back, to the total and to its
// principal.
const RELEASE = `
local function release(id)
  local size = tonumber(redis.call('HGET', KEYS[2], id) or '0')
  local principal = redis.call('HGET', KEYS[4], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('ZREM', KEYS[1], id)
  if size > 0 then
    redis.call('DECRBY', KEYS[3], size)
    if principal and redis.call('HINCRBY', KEYS[5], principal, -size) <= 0 then
      redis.call('HDEL', KEYS[5], principal)
    end
  end
end`;

/**
 * The budget's KEYS; ARGV[1] reservation, ARGV[2] size, ARGV[3] the task's expiresAt, ARGV[4] now,
 * ARGV[5] the total budget, ARGV[6] key TTL ms (the keys live at least as long as the task, never
 * shortened), ARGV[7] the principal, ARGV[8] its share. 1 reserved, 0 full (the total or the
 * share). Every reservation first forgets up to 100 expired results (so the books stay bounded by
 * the live results), and as many as it takes when the budget or the share looks full.
 */
export const RESERVE_RESULT = new LuaScript(
  `${RELEASE}
local function forget(limit)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[4], 'LIMIT', 0, limit)) do
    release(id)
  end
end
local size = tonumber(ARGV[2])
local function fits()
  local total = tonumber(redis.call('GET', KEYS[3]) or '0')
  local mine = tonumber(redis.call('HGET', KEYS[5], ARGV[7]) or '0')
  return total + size <= tonumber(ARGV[5]) and mine + size <= tonumber(ARGV[8])
end
forget(100)
if not fits() then forget(-1) end
if not fits() then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], size)
redis.call('HSET', KEYS[4], ARGV[1], ARGV[7])
redis.call('INCRBY', KEYS[3], size)
redis.call('HINCRBY', KEYS[5], ARGV[7], size)
for i = 1, 5 do
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
end
return 1`,
  FENCED,
);

/**
 * The budget's KEYS; ARGV[1] reservation. Gives it back (its compare-and-set lost).
 */
export const RELEASE_RESULT = new LuaScript(`${RELEASE}
release(ARGV[1])
return 1`);

/**
 * KEYS[1] record; ARGV[1] json, ARGV[2] record TTL ms. 1 created, 0 the id exists.
 */
export const CREATE = new LuaScript(
  `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) == false then return 0 end
return 1`,
  FENCED,
);

/**
 * KEYS[1] record, KEYS[2] result; ARGV[1] the JSON read, ARGV[2] the JSON to write, ARGV[3] the
 * result's JSON ('' for none). 0 on conflict, 1 when written.
 */
export const CHANGE = new LuaScript(
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 1 then ttl = 1 end
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1`,
  FENCED,
);
