/**
 * A Lua script run by its SHA-1 (`EVALSHA`), so Redis neither receives nor
 * hashes the source on every call; the source is sent once, when Redis does
 * not know the script yet (first use, after a restart or `SCRIPT FLUSH`, or on a replica just
 * promoted: scripts are not replicated, so a promoted node starts with none;
 * tests/e2e/redis/promoted_replica_scripts_test.ts).
 * Internal to the Redis backends.
 * @module
 */

import { hexDigest } from "../../hex.ts";
import type { RedisCommands } from "./redis_commands.ts";

/** One script: its source and, once computed, its SHA-1. */
export class LuaScript {
  /** The Lua source. */
  readonly source: string;
  #sha: Promise<string> | undefined;

  /** A script with this source (hashed on first use). */
  constructor(source: string) {
    this.source = source;
  }

  /** Runs the script with `keys` and `args` on `redis`. */
  async run(
    redis: RedisCommands,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const sha = await (this.#sha ??= sha1Hex(this.source));
    const rest = [String(keys.length), ...keys, ...args];
    try {
      return await redis.sendCommand(["EVALSHA", sha, ...rest]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await redis.sendCommand(["EVAL", this.source, ...rest]);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

function sha1Hex(text: string): Promise<string> {
  return hexDigest("SHA-1", text);
}
