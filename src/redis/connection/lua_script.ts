/**
 * A Lua script run by its SHA-1 (`EVALSHA`), so Redis neither receives nor
 * hashes the source on every call; the source is sent once, when Redis does
 * not know the script yet (first use, after a restart or `SCRIPT FLUSH`, or on a replica just
 * promoted: scripts are not replicated, so a promoted node starts with none;
 * tests/e2e/redis/promoted_replica_scripts_test.ts).
 * A write script is *fenced*: it carries its caller's deadline on Redis's
 * clock and writes nothing once that has passed (command_deadline.ts fills
 * it in), so a write whose caller was answered 503 never commits later.
 * Internal to the Redis backends.
 * @module
 */

import { hexDigest } from "../../hex.ts";
import type { RedisCommands } from "./redis_commands.ts";

/**
 * The calls of fenced scripts: their first argument (after the keys) is the
 * deadline slot, {@linkcode NO_DEADLINE} until a command deadline fills it.
 * Known by identity, so no argument's value is ever taken for a slot.
 */
export const FENCED_CALLS: WeakSet<readonly string[]> = new WeakSet();

/** The deadline slot's value when nothing fills it: the script then runs whenever it arrives. */
export const NO_DEADLINE = "";

/** The start of the error a fenced script answers when it arrived past its deadline. */
export const LATE_REPLY = "TETHERLATE";

// Before the script's own body: the deadline check (Redis's clock, ms with µs), then ARGV
// without the slot, so the body reads its arguments where it always did.
const FENCE = `local fence_deadline = ARGV[1]
if fence_deadline ~= '${NO_DEADLINE}' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000 > tonumber(fence_deadline) then
    return redis.error_reply('${LATE_REPLY} the write reached Redis past its deadline')
  end
end
local ARGV = (function (all)
  local rest = {}
  for i = 2, #all do rest[i - 1] = all[i] end
  return rest
end)(ARGV)
`;

/** How a script is made: `fenced` for a write whose caller may be answered 503. */
export interface LuaScriptOptions {
  /** Carries its caller's deadline and writes nothing past it. */
  fenced?: boolean;
}

/** The options of a write script whose caller may be answered 503: `new LuaScript(source, FENCED)`. */
export const FENCED: LuaScriptOptions = { fenced: true };

/** One script: its source and, once computed, its SHA-1. */
export class LuaScript {
  /** The Lua source of the body (without the fence). */
  readonly source: string;
  /** Whether the script carries its caller's deadline. */
  readonly fenced: boolean;
  readonly #text: string;
  #sha: Promise<string> | undefined;

  /** A script with this body (hashed on first use). */
  constructor(source: string, options: LuaScriptOptions = {}) {
    this.source = source;
    this.fenced = options.fenced === true;
    this.#text = this.fenced ? FENCE + source : source;
  }

  /** Runs the script with `keys` and `args` on `redis`. */
  async run(
    redis: RedisCommands,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const sha = await (this.#sha ??= sha1Hex(this.#text));
    try {
      return await redis.sendCommand(this.#call("EVALSHA", sha, keys, args));
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await redis.sendCommand(this.#call("EVAL", this.#text, keys, args));
    }
  }

  #call(command: string, script: string, keys: readonly string[], args: readonly string[]) {
    const call = this.fenced
      ? [command, script, String(keys.length), ...keys, NO_DEADLINE, ...args]
      : [command, script, String(keys.length), ...keys, ...args];
    if (this.fenced) FENCED_CALLS.add(call);
    return call;
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

function sha1Hex(text: string): Promise<string> {
  return hexDigest("SHA-1", text);
}
