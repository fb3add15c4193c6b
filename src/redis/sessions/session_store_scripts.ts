/**
 * The Lua scripts of the Redis session store (`RedisSessionStore`), each on
 * the keys of one slot: a session's record `s:{id}`, its meta hash `sm:{id}`
 * (`d` deadline, `t` the deadline its keys' TTLs were last sized for, `i`
 * when its index keys were renewed, `b` index bucket, `o` owner key, `x` its
 * owner-index shard or `n`, see owner_index.ts) and its state `st:{id}` (one hash tag:
 * the session id), or one index key (an index bucket `sessions:{k}`, a
 * shard of an owner's sessions `so:{k|owner}`), or a session's bus holders. No script builds a key
 * name or reaches another session; the store chains them. Internal.
 * @module
 */

import { FENCED, LuaScript } from "../connection/lua_script.ts";

/** The longest key TTL set (100 years): Redis refuses an expiry past its own clock's range. */
export const MAX_KEY_TTL_MS = 3_155_760_000_000;

// keepFor makes an index key live at least ms (never shortened; an index left without TTL gets
// one). ttlOf clamps a TTL to what Redis takes, as integer digits.
const KEY_TTLS = `
local function keepFor(key, ms)
  local left = redis.call('PTTL', key)
  if left == -1 or (left >= 0 and left < tonumber(ms)) then redis.call('PEXPIRE', key, ms) end
end
local function ttlOf(ms)
  return string.format('%d', math.max(1, math.min(ms, ${MAX_KEY_TTL_MS})))
end`;

// followLog(first, ttl, slack) moves the session's event-log keys on with the session's keys:
// KEYS[first..first+3] its streams (`es:{id}`, `:order`, `:bytes`, `:sizes`), KEYS[first+4] and
// KEYS[first+5] the bases of a stream's state and events keys (`em:{id}:`, `ev:{id}:`: a
// stream id appended, same hash tag). Only when the streams' key would lapse more than slack ms
// before ttl: a session's streams are renewed at most once per slack. A write gives the keys it
// touches the record's TTL (`es:{id}` among them), so a stream not written since lags the
// record by at most twice the slack: with slack a quarter of the grace, its keys never lapse
// before the session's deadline.
const FOLLOW_LOG = `
local function followLog(first, ttl, slack)
  local left = redis.call('PTTL', KEYS[first])
  if left == -2 or (left >= 0 and left >= tonumber(ttl) - slack) then return end
  for i = first, first + 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
  for _, st in ipairs(redis.call('ZRANGE', KEYS[first], 0, -1)) do
    -- A finished stream with a retention of its own (k) keeps its deadline.
    if redis.call('HGET', KEYS[first + 4] .. st, 'k') ~= '1' then
      redis.call('PEXPIRE', KEYS[first + 4] .. st, ttl)
      redis.call('PEXPIRE', KEYS[first + 5] .. st, ttl)
    end
  end
end`;

// indexLags(ttl, slack, renewed): whether the session's index keys (its bucket and its owner's
// key, other slots) must be renewed to ttl by the caller (KEEP), the session's keys having just
// been given ttl. The meta field `i` (read by the caller with `d`, one HMGET: `renewed`) holds
// when (Redis's clock, ms) the index keys were last renewed to lapse; true, moving it on, when
// they would lapse more than slack ms before the session's keys.
// So an index key outlives each touched session's keys by no less than -slack, and its deadline
// by the grace minus the slack, whether or not a sweep runs.
const INDEX_LAGS = `
local function lapseAt(ttl)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ttl)
end
local function indexLags(ttl, slack, renewed)
  local at = lapseAt(ttl)
  if at - tonumber(renewed or '0') <= slack then return false end
  redis.call('HSET', KEYS[2], 'i', string.format('%d', at))
  return true
end`;

/**
 * Takes a place in an index key (a bucket of the session index, or a shard
 * of an owner's sessions): KEYS[1] the zset; ARGV[1] max members, ARGV[2] id,
 * ARGV[3] score, ARGV[4] key TTL ms. 1 taken, 0 full, 2 held already.
 */
export const RESERVE = new LuaScript(
  `${KEY_TTLS}
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 2 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
keepFor(KEYS[1], ttlOf(tonumber(ARGV[4])))
return 1`,
  FENCED,
);

/**
 * Creates a session: KEYS[1] record, KEYS[2] meta; ARGV[1] record json,
 * ARGV[2] deadline, ARGV[3] bucket, ARGV[4] owner key, ARGV[5] key TTL ms
 * (the index keys were just kept as long: meta `i`, see INDEX_LAGS),
 * ARGV[6] its owner-index shard (or `n`: none), ARGV[7] the deadline the
 * key TTL is sized for (meta `t`, see GET_AND_TOUCH).
 * 1 created, 0 the id exists.
 */
export const CREATE = new LuaScript(
  `${KEY_TTLS}${INDEX_LAGS}
local ttl = ttlOf(tonumber(ARGV[5]))
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ttl) == false then return 0 end
redis.call('HSET', KEYS[2], 'd', ARGV[2], 't', ARGV[7], 'b', ARGV[3], 'o', ARGV[4], 'x', ARGV[6],
  'i', string.format('%d', lapseAt(ttl)))
redis.call('PEXPIRE', KEYS[2], ttl)
return 1`,
  FENCED,
);

/**
 * Moves a session's deadline: KEYS[1] record, KEYS[2] meta, KEYS[3] state,
 * KEYS[4..9] its event-log keys (see FOLLOW_LOG); ARGV[1] the new deadline,
 * ARGV[2] the slack of the log's and the index's keys. The key TTLs move by
 * as much (on Redis's clock). 0 gone, 1 touched, or {key TTL, bucket, owner
 * key, owner-index shard} when the index keys are to be renewed (INDEX_LAGS).
 */
export const TOUCH = new LuaScript(`${KEY_TTLS}${FOLLOW_LOG}${INDEX_LAGS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local meta = redis.call('HMGET', KEYS[2], 'd', 'i', 't')
local old = meta[1]
if old and meta[3] then
  -- The key TTLs move by as much as the deadline, and so does what they were sized for.
  local sized = tonumber(meta[3]) + tonumber(ARGV[1]) - tonumber(old)
  redis.call('HSET', KEYS[2], 'd', ARGV[1], 't', string.format('%d', sized))
else
  redis.call('HSET', KEYS[2], 'd', ARGV[1])
end
local left = redis.call('PTTL', KEYS[1])
if old and left >= 0 then
  local ttl = ttlOf(left + tonumber(ARGV[1]) - tonumber(old))
  redis.call('PEXPIRE', KEYS[1], ttl) redis.call('PEXPIRE', KEYS[2], ttl) redis.call('PEXPIRE', KEYS[3], ttl)
  followLog(4, ttl, tonumber(ARGV[2]))
  if indexLags(ttl, tonumber(ARGV[2]), meta[2]) then
    local index = redis.call('HMGET', KEYS[2], 'b', 'o', 'x')
    if index[1] and index[2] then return {ttl, index[1], index[2], index[3] or ''} end
  end
end
return 1`);

/**
 * `get` and, for the owner, `touch`: KEYS[1] record, KEYS[2] meta, KEYS[3]
 * state, KEYS[4..9] its event-log keys (see FOLLOW_LOG), KEYS[10] (optional)
 * the session's bus holders; ARGV[1] now, ARGV[2] owner key, ARGV[3] idle
 * ttl, ARGV[4] absolute ttl, ARGV[5] grace, ARGV[6] the slack of the keys'
 * TTLs (a quarter of the grace), ARGV[7], ARGV[8] and ARGV[9] (with
 * KEYS[10]) the instance, its clock and the holding bound, ms: the instance
 * is recorded as a holder and every holder unused for longer than the bound
 * dropped.
 * {record json, deadline}, then {key TTL, bucket, owner-index shard} when
 * the index keys are to be renewed (INDEX_LAGS); nil when gone or expired.
 *
 * The deadline moves at every touch (one HSET); the keys' TTLs only when the
 * deadline comes within half the slack of what they were last sized for
 * (meta `t`), and then for the deadline plus the slack: so a session in use
 * costs GET, HMGET and HSET, and its keys' TTLs (its log's and its index
 * keys' with them) are renewed at most once per half the slack. Each key
 * lives from its deadline plus the grace to that plus the slack; `t` is on
 * the callers' clocks, so a skew between them up to half the slack does not
 * shorten the grace.
 */
export const GET_AND_TOUCH = new LuaScript(`${KEY_TTLS}${FOLLOW_LOG}${INDEX_LAGS}
local json = redis.call('GET', KEYS[1])
if not json then return false end
local meta = redis.call('HMGET', KEYS[2], 'd', 'i', 't')
local score = meta[1]
local now = tonumber(ARGV[1])
if not score or tonumber(score) <= now then return false end
local record = cjson.decode(json)
if record.ownerKey ~= ARGV[2] then return {json, score} end
local deadline = math.min(now + tonumber(ARGV[3]), record.createdAt + tonumber(ARGV[4]))
score = string.format('%d', deadline)
local grace = tonumber(ARGV[5])
local slack = tonumber(ARGV[6])
local sized = tonumber(meta[3] or '-1')
local renew = deadline > sized - slack / 2
if renew then
  sized = deadline + slack
  redis.call('HSET', KEYS[2], 'd', score, 't', string.format('%d', sized))
else
  redis.call('HSET', KEYS[2], 'd', score)
end
local ttl = ttlOf(sized - now + grace)
if KEYS[10] then
  local stale = string.format('%d', tonumber(ARGV[8]) - tonumber(ARGV[9]))
  redis.call('ZADD', KEYS[10], ARGV[8], ARGV[7])
  redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', '(' .. stale)
  redis.call('PEXPIRE', KEYS[10], ttl)
end
if not renew then return {json, score} end
redis.call('PEXPIRE', KEYS[1], ttl) redis.call('PEXPIRE', KEYS[2], ttl) redis.call('PEXPIRE', KEYS[3], ttl)
followLog(4, ttl, slack)
if indexLags(ttl, slack, meta[2]) then
  local index = redis.call('HMGET', KEYS[2], 'b', 'x')
  if index[1] then return {json, score, ttl, index[1], index[2] or ''} end
end
return {json, score}`);

/** Applies log-level and subscription changes: KEYS[1] record; ARGV[1] changes json. */
export const UPDATE = new LuaScript(
  `
local json = redis.call('GET', KEYS[1])
if not json then return 0 end
local record = cjson.decode(json)
local changes = cjson.decode(ARGV[1])
if changes.logLevel then record.logLevel = changes.logLevel end
local list = record.subscriptions
if type(list) ~= 'table' then list = {} end
if changes.subscribe then
  local found = false
  for _, uri in ipairs(list) do if uri == changes.subscribe then found = true end end
  if not found then table.insert(list, changes.subscribe) end
end
if changes.unsubscribe then
  local kept = {}
  for _, uri in ipairs(list) do if uri ~= changes.unsubscribe then table.insert(kept, uri) end end
  list = kept
end
if #list > 0 then record.subscriptions = list else record.subscriptions = nil end
redis.call('SET', KEYS[1], cjson.encode(record), 'KEEPTTL')
return 1`,
  FENCED,
);

/**
 * Writes one state field: KEYS[1] record, KEYS[2] state; ARGV[1] field,
 * ARGV[2] new json ('' deletes), ARGV[3] maxBytes, ARGV[4] expected current
 * json (only with ARGV[5] == '1'; '' = absent). 1 written, 0 conflict,
 * -bytes past the bound.
 */
export const WRITE_STATE = new LuaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if ARGV[5] == '1' then
  local expected = ARGV[4]
  if (current or '') ~= expected then return 0 end
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
local bytes = 0
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  if all[i] ~= ARGV[1] then bytes = bytes + #all[i] + #all[i + 1] end
end
bytes = bytes + #ARGV[1] + #ARGV[2]
if bytes > tonumber(ARGV[3]) then return -bytes end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > 0 then redis.call('PEXPIRE', KEYS[2], left) end
return 1`,
  FENCED,
);

/**
 * Expires a session whose deadline passed, or says it lives on: KEYS[1]
 * record, KEYS[2] meta, KEYS[3] state; ARGV[1] now. {1, deadline,
 * owner-index shard} alive; {0, deadline or '', record json or '',
 * owner-index shard or ''} removed now (or gone already: deadline '').
 */
export const EXPIRE = new LuaScript(`
local meta = redis.call('HMGET', KEYS[2], 'd', 'x')
local deadline = meta[1]
if deadline and tonumber(deadline) > tonumber(ARGV[1]) then return {1, deadline, meta[2] or ''} end
local json = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return {0, deadline or '', json or '', meta[2] or ''}`);

/**
 * Removes a session: KEYS[1] record, KEYS[2] meta, KEYS[3] state.
 * {existed (1/0), bucket or '', owner or '', owner-index shard or ''}.
 */
export const DELETE = new LuaScript(
  `
local meta = redis.call('HMGET', KEYS[2], 'b', 'o', 'x')
local existed = redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
if existed > 0 then existed = 1 end
return {existed, meta[1] or '', meta[2] or '', meta[3] or ''}`,
  FENCED,
);

/**
 * Moves an index member's score to a live session's deadline and keeps the
 * index key at least as long as it: KEYS[1] the zset; ARGV[1] id, ARGV[2]
 * score, ARGV[3] key TTL ms.
 */
export const RESCORE = new LuaScript(`${KEY_TTLS}
redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
keepFor(KEYS[1], ttlOf(tonumber(ARGV[3])))
return 1`);

/**
 * Keeps an index key (a bucket of the session index, or an owner's
 * sessions) at least ARGV[1] ms, when it exists (a lapsed key is not
 * brought back): KEYS[1] the zset.
 */
export const KEEP = new LuaScript(`${KEY_TTLS}
keepFor(KEYS[1], ttlOf(tonumber(ARGV[1])))
return 1`);
