/**
 * A session script of the Redis event log joined with the budget's BOOK in
 * one script, for a Redis where every key is on one node (one node, or a
 * master under Sentinel): a write and the booking of its bytes are one round
 * trip and one atomic step. Not for a Cluster (its keys span two slots).
 * Internal to the Redis backend.
 * @module
 */

import { BOOK } from "./event_log_scripts.ts";
import { LuaScript } from "../connection/lua_script.ts";

/** The joined scripts made so far, by session script. */
const joined = new WeakMap<LuaScript, LuaScript>();

// KEYS: the session script's (ARGV[1] of them), then the budget book's. ARGV: [1] n session keys,
// [2] n session arguments, [3] the session id, then the session script's arguments, then BOOK's
// ttl, share and finished streams' ttl. The session script runs first; its changes are booked with the session
// prepended, its stream the member being written, its keys' TTL the book's KEEP. Returns
// {result, ttl ms, bytes over the share, victims...} ({result, ttl ms, 0} when nothing changed).
const JOIN = `
local nk, na = tonumber(ARGV[1]), tonumber(ARGV[2])
local skeys, sargs, bkeys = {}, {}, {}
for i = 1, nk do skeys[i] = KEYS[i] end
for i = nk + 1, #KEYS do bkeys[#bkeys + 1] = KEYS[i] end
for i = 1, na do sargs[i] = ARGV[3 + i] end
local r = session(skeys, sargs)
if #r <= 2 then return { r[1], r[2], 0 } end
local S = ARGV[3]
local bargs = { ARGV[4 + na], ARGV[5 + na], ARGV[6 + na], r[2], 1, S .. ' ' .. sargs[5] }
for i = 3, #r, 3 do
  bargs[#bargs + 1] = S .. ' ' .. r[i]
  bargs[#bargs + 1] = r[i + 1]
  bargs[#bargs + 1] = r[i + 2]
end
local out = { r[1], r[2] }
for _, v in ipairs(book(bkeys, bargs)) do out[#out + 1] = v end
return out`;

/**
 * `script` (a session script of event_log_scripts.ts) followed by BOOK in one
 * script; its reply is the session script's result and TTL, then BOOK's.
 */
export function bookedScript(script: LuaScript): LuaScript {
  let both = joined.get(script);
  if (both === undefined) {
    both = new LuaScript(
      `local function session(KEYS, ARGV)\n${script.source}\nend\n` +
        `local function book(KEYS, ARGV)\n${BOOK.source}\nend\n` + JOIN,
      { fenced: script.fenced },
    );
    joined.set(script, both);
  }
  return both;
}
