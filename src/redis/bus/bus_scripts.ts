/**
 * The Lua scripts of the owner-addressed Redis bus (redis_bus.ts): append to
 * one instance's inbox when that instance is alive, trimmed in entries and
 * bytes; refresh an instance's liveness; and record or find where a
 * 2026-07-28 request runs. Each touches only the keys of one instance, one
 * session or one request (one hash tag, one slot on a Cluster).
 * @module
 */

import { LuaScript } from "../connection/lua_script.ts";

/**
 * KEYS[1] the inbox, KEYS[2] its payload byte total, KEYS[3] the instance's
 * liveness key; ARGV[1] origin, ARGV[2] message, ARGV[3] max entries,
 * ARGV[4] max bytes, ARGV[5] the inbox's key TTL, ms. Returns 0 (nothing
 * written) when the instance is not alive; else appends, drops the oldest
 * entries until both bounds hold, and returns 1.
 */
export const DELIVER = new LuaScript(`
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
local function weigh(fields)
  local bytes = 0
  for i = 2, #fields, 2 do bytes = bytes + string.len(fields[i]) end
  return bytes
end
local length = redis.call('XLEN', KEYS[1])
local total = redis.call('GET', KEYS[2])
if length == 0 then
  total = 0
elseif not total then
  total = 0
  local from = '-'
  repeat
    local batch = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', 256)
    for _, entry in ipairs(batch) do total = total + weigh(entry[2]) end
    if #batch > 0 then from = '(' .. batch[#batch][1] end
  until #batch < 256
else
  total = tonumber(total)
end
redis.call('XADD', KEYS[1], '*', 'o', ARGV[1], 'm', ARGV[2])
length = length + 1
total = total + string.len(ARGV[1]) + string.len(ARGV[2])
local maxLength = tonumber(ARGV[3])
local maxBytes = tonumber(ARGV[4])
while length > 1 and (length > maxLength or total > maxBytes) do
  local batch = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 64)
  local drop = {}
  for _, entry in ipairs(batch) do
    if length <= 1 or (length <= maxLength and total <= maxBytes) then break end
    drop[#drop + 1] = entry[1]
    total = total - weigh(entry[2])
    length = length - 1
  end
  if #drop == 0 then break end
  redis.call('XDEL', KEYS[1], unpack(drop))
end
redis.call('SET', KEYS[2], total, 'PX', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`);

/**
 * KEYS[1] the inbox, KEYS[2] its byte total, KEYS[3] the liveness key;
 * ARGV[1] how long the instance counts as alive, ms, ARGV[2] the inbox's key
 * TTL, ms. Marks the instance alive and keeps its inbox from expiring.
 */
export const REFRESH = new LuaScript(`
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`);

/**
 * KEYS[1] a session's holders; ARGV[1] an instance, ARGV[2] a time (ms, the
 * instance's clock). Removes the instance unless it used the session at or
 * after that time (a request that came in meanwhile keeps it a holder).
 */
export const RELEASE = new LuaScript(`
local used = redis.call('ZSCORE', KEYS[1], ARGV[1])
if used and tonumber(used) < tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end
return 0`);

/**
 * KEYS[1] a session's holders; ARGV[1] an instance, ARGV[2] a time (ms, the
 * instance's clock). Records that the instance still uses the session (it
 * holds work or a stream of it), unless the session's holders are gone (the
 * session ended or expired: nothing is brought back without a TTL).
 */
export const KEEP_HOLDING = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1`);

/**
 * KEYS[1] the instances running a 2026-07-28 request (a set), KEYS[2] its
 * cancellation mark; ARGV[1] this instance, ARGV[2] the set's TTL, ms.
 * Returns 0 (nothing recorded) when a cancellation came first (the mark);
 * else records the instance and returns 1.
 */
export const TRACK = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`);

/**
 * KEYS[1] the instances running a 2026-07-28 request, KEYS[2] its
 * cancellation mark; ARGV[1] the mark's TTL, ms. Returns the instances;
 * when there are none (the request is younger than the grace, or done),
 * leaves the mark, so the request, if it runs on, is cancelled when it
 * would be recorded.
 */
export const LOCATE = new LuaScript(`
local found = redis.call('SMEMBERS', KEYS[1])
if #found == 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[1]) end
return found`);

/**
 * The keys of a running 2026-07-28 request of `ownerKey` (`requestKey`: its
 * id as `requestIdKey` writes it): the instances running it, and its
 * cancellation mark, under one hash tag of the pair. Owner keys and request
 * id keys start with a letter, so the tag is never empty.
 */
export function requestKeysOf(
  prefix: string,
  ownerKey: string,
  requestKey: string,
): [running: string, cancelled: string] {
  const running = `${prefix}rq:{${ownerKey}|${requestKey}}`;
  return [running, `${running}:cancelled`];
}

/**
 * The key of a session's holders: the instances that served a request of
 * it, scored by when they last used it (under the session's hash tag,
 * beside its record). Each read-and-touch drops those whose last use is
 * older than the bus's holding bound (bus_holdings.ts).
 */
export function holdersKeyOf(prefix: string, sessionId: string): string {
  return `${prefix}bh:{${sessionId}}`;
}

/**
 * The liveness key of bus instance `id` (beside its inbox, under its tag):
 * present while the instance refreshes it, deleted by its `close()`.
 */
export function aliveKeyOf(prefix: string, id: string): string {
  return `${prefix}{bus:${id}}:alive`;
}
