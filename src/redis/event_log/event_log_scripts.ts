/**
 * The Lua scripts of the Redis event log (`RedisEventLog`). Each runs on one
 * slot: a session's scripts on its keys (one hash tag, the session id), a
 * budget book's on that book's keys. A session script writes a sequence
 * number, its entry and the session's byte totals together and applies the
 * per-stream and per-session bounds exactly; it reports what it changed
 * (bytes per stream, running/finished/forgotten), and the log then books
 * that in the session's budget book (BOOK), which names the streams to
 * evict when the book is over its share (EVICT runs on each victim's own
 * session). Internal to the Redis backend; the key layout is described below.
 * @module
 */

import { FENCED, LuaScript } from "../connection/lua_script.ts";

// Every session script starts with LIBRARY. KEYS: [1] <p>es:{s} (the session's streams by
// creation), [2] <p>es:{s}:order, [3] <p>es:{s}:bytes (data bytes held), [4] <p>es:{s}:sizes
// (hash: stream -> its bytes), [5] <p>em:{s}:<st> (hash: next, complete, c = events held, lost =
// the last sequence number lost to the budget, w/r = writer and request ids, k = 1 once it ended
// with a retention below the ttl), [6] <p>ev:{s}:<st>
// (entries 0-<seq>, 'd' = data or 'e' = the end), [7] <p>s:{s} (the session's record, read for
// its TTL only). ARGV: [1] max events per stream, [2] max streams per session, [3] max bytes per
// session, [4] ttl seconds, [5] stream id, [6] seconds a finished stream's keys live after its
// end (at most the ttl); a script's own follow. Keys written get the record's
// TTL (its deadline plus the store's grace) when it has one shorter than ttl: nothing of the
// session's log outlives the session; the store's read-and-touch moves them on (FOLLOW_LOG).
// The session's other streams' keys are KEYS[5]/KEYS[6] with another stream id at the end: the
// same hash tag, so the same slot. Scripts return {result, ttl ms, changes...}: changes are triples
// (stream id, bytes added, 'r' running / 'f' finished / 'x' forgotten / '' bytes only).
const LIBRARY = `
local MAX_EVENTS, MAX_STREAMS = tonumber(ARGV[1]), tonumber(ARGV[2])
local MAX_SESSION, ST = tonumber(ARGV[3]), ARGV[5]
local ZSET, ORDER, SBYTES, SIZES = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local TTL = tonumber(ARGV[4]) * 1000
local RECORD_LEFT = redis.call('PTTL', KEYS[7])
if RECORD_LEFT > 0 and RECORD_LEFT < TTL then TTL = RECORD_LEFT end
local FINISHED_TTL = math.min(TTL, tonumber(ARGV[6]) * 1000)
-- A retention shorter than the ttl is marked on the meta (k): the session's touch leaves it.
local RETAINED = tonumber(ARGV[6]) < tonumber(ARGV[4])
local META_BASE = string.sub(KEYS[5], 1, #KEYS[5] - #ST)
local EVENTS_BASE = string.sub(KEYS[6], 1, #KEYS[6] - #ST)

local changed, order = {}, {}
local function note(st, delta, state)
  local c = changed[st]
  if not c then
    c = { 0, '' }
    changed[st] = c
    order[#order + 1] = st
  end
  c[1] = c[1] + delta
  if state ~= '' and c[2] ~= 'x' then c[2] = state end
end
local function reply(result)
  local out = { result, TTL }
  for _, st in ipairs(order) do
    out[#out + 1] = st
    out[#out + 1] = changed[st][1]
    out[#out + 1] = changed[st][2]
  end
  return out
end

local function keys(st)
  return META_BASE .. st, EVENTS_BASE .. st
end

-- Keys this script already gave the TTL (once each): a key is marked only when it exists, and
-- unmarked when the script deletes it, so a key (re)created later is renewed again.
local renewed = {}
local function renew(key)
  if not renewed[key] and redis.call('PEXPIRE', key, TTL) == 1 then renewed[key] = true end
end

-- Adds delta bytes to the stream's and the session's totals; the session's new total when it
-- counted them (nil otherwise).
local function account(st, delta)
  if delta == 0 then return nil end
  if redis.call('HINCRBY', SIZES, st, delta) <= 0 then
    redis.call('HDEL', SIZES, st)
    renewed[SIZES] = nil
  end
  local total = nil
  if delta > 0 or redis.call('EXISTS', SBYTES) == 1 then total = redis.call('INCRBY', SBYTES, delta) end
  note(st, delta, '')
  return total
end

-- Forgets a whole stream of the session and gives its bytes back.
local function forget(st)
  local meta, events = keys(st)
  local bytes = tonumber(redis.call('HGET', SIZES, st) or '0')
  redis.call('DEL', meta, events)
  redis.call('ZREM', ZSET, st)
  renewed[meta], renewed[events], renewed[ZSET] = nil, nil, nil
  if bytes ~= 0 then
    -- As account(st, -bytes): the stream's size goes whole.
    redis.call('HDEL', SIZES, st)
    renewed[SIZES] = nil
    if redis.call('EXISTS', SBYTES) == 1 then redis.call('INCRBY', SBYTES, -bytes) end
    note(st, -bytes, '')
  end
  note(st, 0, 'x')
  return bytes
end

-- Drops a stream's oldest events until want_bytes and want_count are freed, keeping at least
-- keep events; returns the bytes freed and the last sequence number dropped (0 for none).
local function shed(st, want_bytes, want_count, keep)
  local meta, events = keys(st)
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
    account(st, -freed)
  end
  return freed, last
end

-- A stream that ended stays resumable FINISHED_TTL (its keys' TTL from now on).
local function retire(meta, events)
  if RETAINED then redis.call('HSET', meta, 'k', 1) end
  for _, key in ipairs({ meta, events }) do
    if redis.call('PEXPIRE', key, FINISHED_TTL) == 1 then renewed[key] = true end
  end
end

local function expire_session()
  for _, key in ipairs({ ZSET, ORDER, SBYTES, SIZES }) do renew(key) end
end

-- Registers a stream (once): it runs, and the session's oldest streams go past MAX_STREAMS.
-- With writing, the caller sets its sequence number itself (no 'next' seeded here).
local function register(st, writing)
  local meta = keys(st)
  if redis.call('ZSCORE', ZSET, st) == false then
    local n = redis.call('INCR', ORDER)
    redis.call('ZADD', ZSET, n, st)
    if not writing then redis.call('HSETNX', meta, 'next', 0) end
    redis.call('SET', SBYTES, 0, 'NX', 'PX', TTL)
    note(st, 0, 'r')
    local extra = redis.call('ZCARD', ZSET) - MAX_STREAMS
    if extra > 0 then
      for _, id in ipairs(redis.call('ZRANGE', ZSET, 0, extra - 1)) do forget(id) end
    end
  end
  expire_session()
  -- A writing caller registers only a stream with no meta yet: it renews the meta it creates.
  if not writing then renew(meta) end
end

-- The session's oldest events go until it fits MAX_SESSION (total: its bytes when known, else
-- read): first of the stream being written while it alone is over (it cannot be kept whole, and
-- must not take the session's other streams with it), then oldest streams first.
local function fit_session(total)
  local over = tonumber(total or redis.call('GET', SBYTES) or '0') - MAX_SESSION
  if over <= 0 then return end
  local own = tonumber(redis.call('HGET', SIZES, ST) or '0') - MAX_SESSION
  if own > 0 then over = over - shed(ST, own, 0, 0) end
  if over <= 0 then return end
  for _, st in ipairs(redis.call('ZRANGE', ZSET, 0, -1)) do
    over = over - shed(st, over, 0, 0)
    if over <= 0 then return end
  end
end

-- Ends a stream: the terminal entry wakes followers, and it counts as finished.
local function finish(st)
  local meta, events = keys(st)
  if redis.call('EXISTS', meta) == 0 or redis.call('HGET', meta, 'complete') == '1' then return 0 end
  redis.call('HSET', meta, 'complete', 1)
  local seq = redis.call('HINCRBY', meta, 'next', 1)
  redis.call('XADD', events, '0-' .. seq, 'e', 1)
  note(st, 0, 'f')
  retire(meta, events)
  return 1
end
`;

/** Registers a stream with its writer and request ids: ARGV[7] writer instance id, ARGV[8] request ids (JSON). */
export const OPEN = new LuaScript(
  LIBRARY + `
register(ST)
redis.call('HSET', KEYS[5], 'w', ARGV[7], 'r', ARGV[8])
return reply(1)`,
  FENCED,
);

// ARGV[7] '1' to end the stream after the events, ARGV[8..] the events' data. The bounds, in the
// memory log's order: events per stream, the session's bytes (the deployment's are booked after).
// TTLs are renewed every 256 events (each key once per script). A stream opened, written and
// ended in one call (a short streamed call) has no meta yet, so nothing to read. The meta is read
// once and written once (each call from Lua costs more than most commands do).
/** Appends events (and with ARGV[7] '1' ends the stream); its result is the first sequence number. */
export const APPEND = new LuaScript(
  LIBRARY + `
local meta, events = KEYS[5], KEYS[6]
local new = redis.call('EXISTS', meta) == 0
if new then register(ST, true) end
local count = #ARGV - 7
local state = new and {} or redis.call('HMGET', meta, 'next', 'complete', 'c')
local done = state[2] == '1'
local ending = ARGV[7] == '1' and not done
-- The end entry takes the sequence number after the events.
local step = ending and count + 1 or count
local first = tonumber(state[1] or '0') + 1
local last = first + count - 1
local held = tonumber(state[3] or '0') + count
local fields = { 'next', string.format('%d', first + step - 1) }
if count > 0 then fields[3], fields[4] = 'c', string.format('%d', held) end
if ending then fields[#fields + 1], fields[#fields + 2] = 'complete', 1 end
redis.call('HSET', meta, unpack(fields))
if count > 0 then
  local bytes = 0
  for i = 1, count do
    local data = ARGV[7 + i]
    redis.call('XADD', events, '0-' .. (first + i - 1), 'd', data)
    bytes = bytes + string.len(data)
  end
  local total = account(ST, bytes)
  note(ST, 0, done and 'f' or 'r')
  if held > MAX_EVENTS then
    shed(ST, 0, held - MAX_EVENTS, 0)
    total = nil
  end
  fit_session(total)
end
if ending then
  -- As finish(): the terminal entry wakes followers, and the stream counts as finished.
  redis.call('XADD', events, '0-' .. (last + 1), 'e', 1)
  note(ST, 0, 'f')
  retire(meta, events)
end
if first == 1 or math.floor((first - 1) / 256) < math.floor(last / 256) then
  renew(events)
  renew(meta)
  expire_session()
end
return reply(first)`,
  FENCED,
);

/** Ends a stream (the terminal entry wakes followers); its result is 1 when it ended it now. */
export const COMPLETE = new LuaScript(LIBRARY + `return reply(finish(ST))`, FENCED);

// ARGV[7] 'victim' (a finished or vanished stream goes whole, a running one loses every event)
// or 'self' (the stream being written loses its oldest events but one), ARGV[8] bytes wanted.
/** Frees a stream's bytes for the deployment's budget; a running stream records what it lost. */
export const EVICT = new LuaScript(
  LIBRARY + `
local meta = KEYS[5]
local state = redis.call('HMGET', meta, 'next', 'complete')
if ARGV[7] == 'victim' and (not state[1] or state[2] == '1') then return reply(forget(ST)) end
local want = ARGV[7] == 'victim' and math.huge or tonumber(ARGV[8])
local freed, last = shed(ST, want, 0, ARGV[7] == 'victim' and 0 or 1)
if last > 0 then redis.call('HSET', meta, 'lost', last) end
return reply(freed)`,
);

/** Forgets every stream of the session (ARGV[5] and ARGV[6] unused), giving their bytes back. */
export const DELETE_SESSION = new LuaScript(
  LIBRARY + `
local ids = redis.call('ZRANGE', ZSET, 0, -1)
for _, id in ipairs(ids) do forget(id) end
redis.call('DEL', ZSET, ORDER, SBYTES, SIZES)
return reply(#ids)`,
);

// KEYS: [1] <p>eg:{k}:bytes (data bytes booked), [2] <p>eg:{k}:sizes (hash '<s> <st>' -> bytes,
// so a stream whose keys expired still gives its bytes back), [3] <p>eg:{k}:f and [4]
// <p>eg:{k}:r (finished and running streams by last write, scored by [5] <p>eg:{k}:clock,
// microseconds of Redis's clock). ARGV: [1] ttl, [2] the book's share of the budget, [3] seconds
// a finished stream's keys live after its end, [4] ms the book's keys live at least (the longest
// TTL the session scripts gave their keys: a book outlives no stream's last write by more), [5] n,
// [6..5+n] the members being written (never victims),
// then change triples (member '<s> <st>', bytes added, state) as the session scripts return them
// with the session prepended: several writes of the book's sessions are booked in one call.
// Session ids are visible ASCII (no space), so '<s> <st>' splits at its first space.
// Returns {bytes over the share, victims...}: streams to evict, least recently written first,
// finished before running, never a member being written, enough to cover the excess.
/** Books session scripts' changes in a budget book; names the streams to evict when over. */
export const BOOK = new LuaScript(`
local TOTAL, SIZES, FINISHED, RUNNING, CLOCK = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local TTL, SHARE, FINISHED_TTL = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local KEEP = math.max(1, tonumber(ARGV[4]))
local CURRENT, FIRST = {}, 6 + tonumber(ARGV[5])
for i = 6, FIRST - 1 do CURRENT[ARGV[i]] = true end
-- The book's total when a command here returned it (else read at the end).
local total = nil
-- Redis's clock as a stamp last read it (the expiry sweep below reads it again only without one).
local time = nil

local function stamp()
  time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
  local last = tonumber(redis.call('GET', CLOCK) or '0')
  if now <= last then now = last + 1 end
  redis.call('SET', CLOCK, now, 'KEEPTTL')
  return now
end
-- Forgets a member with the bytes the book holds for it. An instance's changes to it not booked
-- yet (batches) come later and stand alone until it is forgotten again (as a victim or by its
-- TTL): the book follows what the streams hold up to the changes not booked yet.
local function drop(member)
  local bytes = tonumber(redis.call('HGET', SIZES, member) or '0')
  redis.call('HDEL', SIZES, member)
  redis.call('ZREM', FINISHED, member)
  redis.call('ZREM', RUNNING, member)
  if bytes ~= 0 then total = redis.call('DECRBY', TOTAL, bytes) end
end

for i = FIRST, #ARGV - 2, 3 do
  local member, delta, state = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  if state == 'x' then
    drop(member)
  else
    if delta ~= 0 then
      -- Below 0 only while another instance's changes to it are not booked yet: kept, so they net out.
      if redis.call('HINCRBY', SIZES, member, delta) == 0 then redis.call('HDEL', SIZES, member) end
      total = redis.call('INCRBY', TOTAL, delta)
    end
    if state == 'r' then
      redis.call('ZADD', RUNNING, stamp(), member)
    elseif state == 'f' then
      redis.call('ZREM', RUNNING, member)
      redis.call('ZADD', FINISHED, stamp(), member)
    end
  end
end

-- Streams last written more than a TTL ago have expired (every write renews their keys' TTL at
-- most then; a finished stream's keys live FINISHED_TTL after its end): forget a few, so the book
-- does not keep what the TTL removed.
time = time or redis.call('TIME')
for _, order in ipairs({ { FINISHED, FINISHED_TTL }, { RUNNING, TTL } }) do
  local book, ttl = order[1], order[2]
  local before = (tonumber(time[1]) - ttl) * 1000000 + tonumber(time[2])
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', book, '-inf', before, 'LIMIT', 0, 8)) do
    drop(member)
  end
end

-- The book's keys live at least KEEP ms (never shortened): with every instance gone they go
-- after the last stream written. A renewal gives an eighth more (at most a minute, never past the
-- TTL), so a busy book renews its keys once per that slack, not on every write.
local RENEWED = math.max(KEEP, math.min(KEEP + math.min(math.floor(KEEP / 8), 60000), TTL * 1000))
for _, key in ipairs({ TOTAL, SIZES, FINISHED, RUNNING, CLOCK }) do
  local left = redis.call('PTTL', key)
  if left == -1 or (left >= 0 and left < KEEP) then redis.call('PEXPIRE', key, RENEWED) end
end

local over = tonumber(total or redis.call('GET', TOTAL) or '0') - SHARE
local out = { over }
if over <= 0 then return out end
local covered = 0
for _, book in ipairs({ FINISHED, RUNNING }) do
  for _, member in ipairs(redis.call('ZRANGE', book, 0, 63)) do
    if covered >= over or #out > 64 then return out end
    if not CURRENT[member] then
      out[#out + 1] = member
      covered = covered + tonumber(redis.call('HGET', SIZES, member) or '0')
    end
  end
end
return out`);

// KEYS[1] meta hash. {exists, complete, writer id ('' when none), request ids, lost}
/** A stream's state for its followers (the writer's heartbeat is checked apart: its own slot). */
export const STATE = new LuaScript(`
local f = redis.call('HMGET', KEYS[1], 'next', 'complete', 'w', 'r', 'lost')
if not f[1] then return {0, 0, '', '', 0} end
if f[2] == '1' then return {1, 1, '', '', 0} end
return {1, 0, f[3] or '', f[4] or '', tonumber(f[5] or '0')}`);
