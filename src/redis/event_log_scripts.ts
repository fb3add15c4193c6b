/**
 * The Lua scripts of the Redis event log (`RedisEventLog`): each write is one script,
 * so a sequence number, its entry and the byte totals change together, and
 * the bounds (events per stream, bytes per session, bytes for the whole
 * deployment) are applied in the same step, exactly and in the memory log's
 * order. Internal to the Redis backend; the key layout is described below.
 * @module
 */

import { LuaScript } from "./lua_script.ts";

// Every script but STATE starts with LIBRARY: ARGV[1] prefix, ARGV[2] max events per stream,
// ARGV[3] max streams per session, ARGV[4] max bytes per session, ARGV[5] max total bytes,
// ARGV[6] ttl, ARGV[7] session id, ARGV[8] stream id; a script's own arguments follow.
//
// Keys of a stream: <p>em:<s>:<st> (hash: next, complete, c = events held, lost = the last
// sequence number lost to the global budget, w/r = writer and request ids), <p>ev:<s>:<st>
// (entries 0-<seq>, 'd' = data or 'e' = the end). Of a session: <p>es:<s> (its streams by
// creation), <p>es:<s>:order, <p>es:<s>:bytes. Of the deployment: <p>eg:bytes (data bytes held),
// <p>eg:sizes (hash '<s> <st>' -> its bytes, so a stream whose keys expired still gives its
// bytes back), <p>eg:f and <p>eg:r (finished and running streams by last write, scored by
// <p>eg:clock, microseconds of Redis's clock). Session ids are visible ASCII (no space), so
// '<s> <st>' splits at its first space.
const LIBRARY = `
local P = ARGV[1]
local MAX_EVENTS, MAX_STREAMS = tonumber(ARGV[2]), tonumber(ARGV[3])
local MAX_SESSION, MAX_TOTAL, TTL = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local TOTAL, SIZES, FINISHED, RUNNING, CLOCK = P .. 'eg:bytes', P .. 'eg:sizes', P .. 'eg:f', P .. 'eg:r', P .. 'eg:clock'

local function keys(s, st)
  return P .. 'es:' .. s, P .. 'em:' .. s .. ':' .. st, P .. 'ev:' .. s .. ':' .. st
end

-- A score for "written now": Redis's clock in microseconds, strictly increasing (ties are one
-- microsecond apart), so the orders are by last write and a member older than the TTL is gone.
local function stamp()
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
  local last = tonumber(redis.call('GET', CLOCK) or '0')
  if now <= last then now = last + 1 end
  redis.call('SET', CLOCK, now)
  return now
end

-- Adds delta bytes to the stream's, its session's and the deployment's totals.
local function account(s, st, delta)
  if delta == 0 then return end
  local member = s .. ' ' .. st
  if redis.call('HINCRBY', SIZES, member, delta) <= 0 then redis.call('HDEL', SIZES, member) end
  redis.call('INCRBY', TOTAL, delta)
  local session = P .. 'es:' .. s .. ':bytes'
  if delta > 0 or redis.call('EXISTS', session) == 1 then redis.call('INCRBY', session, delta) end
end

-- Forgets a whole stream and gives its bytes back.
local function forget(s, st)
  local zset, meta, events = keys(s, st)
  local member = s .. ' ' .. st
  local bytes = tonumber(redis.call('HGET', SIZES, member) or '0')
  redis.call('DEL', meta, events)
  redis.call('ZREM', zset, st)
  redis.call('ZREM', FINISHED, member)
  redis.call('ZREM', RUNNING, member)
  account(s, st, -bytes)
  return bytes
end

-- Drops a stream's oldest events until want_bytes and want_count are freed, keeping at least
-- keep events; returns the bytes freed and the last sequence number dropped (0 for none).
local function shed(s, st, want_bytes, want_count, keep)
  local _, meta, events = keys(s, st)
  local held = tonumber(redis.call('HGET', meta, 'c') or '0')
  local freed, count, last = 0, 0, 0
  while (freed < want_bytes or count < want_count) and held - count > keep do
    local batch = redis.call('XRANGE', events, '-', '+', 'COUNT', 64)
    local drop = {}
    for _, entry in ipairs(batch) do
      if not (freed < want_bytes or count < want_count) or held - count <= keep then break end
      local fields = entry[2]
      if fields[1] ~= 'd' then break end
      drop[#drop + 1] = entry[1]
      freed = freed + string.len(fields[2])
      count = count + 1
      last = tonumber(string.sub(entry[1], 3))
    end
    if #drop == 0 then break end
    redis.call('XDEL', events, unpack(drop))
  end
  if count > 0 then
    redis.call('HINCRBY', meta, 'c', -count)
    account(s, st, -freed)
  end
  return freed, last
end

-- Streams last written more than a TTL ago have expired (every write renews their keys' TTL at
-- most then): forget a few of them, so the orders and the totals do not keep what the TTL
-- removed for sessions no instance deleted. Run with every new stream, it keeps pace with them.
local function collect()
  local time = redis.call('TIME')
  local before = (tonumber(time[1]) - tonumber(TTL)) * 1000000 + tonumber(time[2])
  for _, order in ipairs({ FINISHED, RUNNING }) do
    for _, member in ipairs(redis.call('ZRANGEBYSCORE', order, '-inf', before, 'LIMIT', 0, 8)) do
      local space = string.find(member, ' ', 1, true)
      forget(string.sub(member, 1, space - 1), string.sub(member, space + 1))
    end
  end
end

-- Registers a stream (once): it runs, and the session's oldest streams go past MAX_STREAMS.
local function register(s, st)
  local zset, meta = keys(s, st)
  if redis.call('ZSCORE', zset, st) == false then
    collect()
    local order = redis.call('INCR', zset .. ':order')
    redis.call('ZADD', zset, order, st)
    redis.call('HSETNX', meta, 'next', 0)
    redis.call('ZADD', RUNNING, stamp(), s .. ' ' .. st)
    redis.call('SET', zset .. ':bytes', 0, 'NX', 'EX', TTL)
    local extra = redis.call('ZCARD', zset) - MAX_STREAMS
    if extra > 0 then
      for _, id in ipairs(redis.call('ZRANGE', zset, 0, extra - 1)) do forget(s, id) end
    end
  end
  redis.call('EXPIRE', zset, TTL)
  redis.call('EXPIRE', zset .. ':order', TTL)
  redis.call('EXPIRE', zset .. ':bytes', TTL)
  redis.call('EXPIRE', meta, TTL)
end

-- The session's oldest events go, oldest streams first, until it fits MAX_SESSION.
local function fit_session(s)
  local zset = P .. 'es:' .. s
  local over = tonumber(redis.call('GET', zset .. ':bytes') or '0') - MAX_SESSION
  if over <= 0 then return end
  for _, st in ipairs(redis.call('ZRANGE', zset, 0, -1)) do
    over = over - shed(s, st, over, 0, 0)
    if over <= 0 then return end
  end
end

-- The deployment fits MAX_TOTAL again: streams written least recently go first, finished ones
-- (whole) before running ones (their events, marked lost), the current stream last.
local function fit_total(s, st)
  local over = tonumber(redis.call('GET', TOTAL) or '0') - MAX_TOTAL
  if over <= 0 then return end
  local current = s .. ' ' .. st
  for _, order in ipairs({ FINISHED, RUNNING }) do
    local start = 0
    while over > 0 do
      local batch = redis.call('ZRANGE', order, start, start + 63)
      if #batch == 0 then break end
      for _, member in ipairs(batch) do
        if over <= 0 then break end
        if member == current then
          start = start + 1
        else
          local space = string.find(member, ' ', 1, true)
          local ms, mst = string.sub(member, 1, space - 1), string.sub(member, space + 1)
          local _, meta = keys(ms, mst)
          local state = redis.call('HMGET', meta, 'next', 'complete')
          if not state[1] or state[2] == '1' then
            over = over - forget(ms, mst)
          else
            local freed, last = shed(ms, mst, math.huge, 0, 0)
            if last > 0 then redis.call('HSET', meta, 'lost', last) end
            over = over - freed
            start = start + 1
          end
        end
      end
    end
  end
  if over > 0 then
    local freed, last = shed(s, st, over, 0, 1)
    if last > 0 then
      local _, meta = keys(s, st)
      redis.call('HSET', meta, 'lost', last)
    end
  end
end

-- Ends a stream: the terminal entry wakes followers, and it counts as finished.
local function finish(s, st)
  local _, meta, events = keys(s, st)
  if redis.call('EXISTS', meta) == 0 or redis.call('HGET', meta, 'complete') == '1' then return 0 end
  redis.call('HSET', meta, 'complete', 1)
  local seq = redis.call('HINCRBY', meta, 'next', 1)
  redis.call('XADD', events, '0-' .. seq, 'e', 1)
  local member = s .. ' ' .. st
  redis.call('ZREM', RUNNING, member)
  redis.call('ZADD', FINISHED, stamp(), member)
  redis.call('EXPIRE', events, TTL)
  redis.call('EXPIRE', meta, TTL)
  return 1
end

local S, ST = ARGV[7], ARGV[8]
`;

/** Registers a stream with its writer and request ids: ARGV[9] writer instance id, ARGV[10] request ids (JSON). */
export const OPEN = new LuaScript(
  LIBRARY + `
register(S, ST)
local _, meta = keys(S, ST)
redis.call('HSET', meta, 'w', ARGV[9], 'r', ARGV[10])
return 1`,
);

// ARGV[9] '1' to end the stream after the events, ARGV[10..] the events' data. Returns the first
// sequence number; the others follow it. Then the bounds, in the memory log's order: events per
// stream, the session's bytes, the deployment's bytes. TTLs are renewed every 256 events.
/** Appends events (and with ARGV[9] '1' ends the stream); returns the first sequence number. */
export const APPEND = new LuaScript(
  LIBRARY + `
local zset, meta, events = keys(S, ST)
if redis.call('EXISTS', meta) == 0 then register(S, ST) end
local count = #ARGV - 9
local first = redis.call('HINCRBY', meta, 'next', count) - count + 1
local last = first + count - 1
if count > 0 then
  local bytes = 0
  for i = 1, count do
    local data = ARGV[9 + i]
    redis.call('XADD', events, '0-' .. (first + i - 1), 'd', data)
    bytes = bytes + string.len(data)
  end
  local held = redis.call('HINCRBY', meta, 'c', count)
  account(S, ST, bytes)
  local ended = redis.call('HGET', meta, 'complete') == '1'
  redis.call('ZADD', ended and FINISHED or RUNNING, stamp(), S .. ' ' .. ST)
  if held > MAX_EVENTS then shed(S, ST, 0, held - MAX_EVENTS, 0) end
  fit_session(S)
  fit_total(S, ST)
end
if ARGV[9] == '1' then finish(S, ST) end
if first == 1 or math.floor((first - 1) / 256) < math.floor(last / 256) then
  redis.call('EXPIRE', events, TTL)
  redis.call('EXPIRE', meta, TTL)
  redis.call('EXPIRE', zset, TTL)
  redis.call('EXPIRE', zset .. ':order', TTL)
  redis.call('EXPIRE', zset .. ':bytes', TTL)
end
return first`,
);

/** Ends a stream (the terminal entry wakes followers); returns 1 when it ended it now. */
export const COMPLETE = new LuaScript(LIBRARY + `return finish(S, ST)`);

// KEYS[1] meta hash; ARGV[1] prefix .. 'hb:'. {exists, complete, writer alive, request ids, lost}
/** A stream's state for its followers. */
export const STATE = new LuaScript(`
local f = redis.call('HMGET', KEYS[1], 'next', 'complete', 'w', 'r', 'lost')
if not f[1] then return {0, 0, 0, '', 0} end
if f[2] == '1' then return {1, 1, 1, '', 0} end
local lost = tonumber(f[5] or '0')
if not f[3] or f[3] == '' or redis.call('EXISTS', ARGV[1] .. f[3]) == 1 then return {1, 0, 1, '', lost} end
return {1, 0, 0, f[4] or '', lost}`);

/** Forgets every stream of session S (ST unused), giving their bytes back. */
export const DELETE_SESSION = new LuaScript(
  LIBRARY + `
local zset = P .. 'es:' .. S
local ids = redis.call('ZRANGE', zset, 0, -1)
for _, id in ipairs(ids) do forget(S, id) end
redis.call('DEL', zset, zset .. ':order', zset .. ':bytes')
return #ids`,
);
