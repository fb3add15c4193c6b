/**
 * A connection to a node that stopped being the master (`READONLY`: it was
 * demoted to a replica; `MASTERDOWN`: its master is gone) is dropped, so
 * node-redis connects again and resolves the address again: behind a
 * managed endpoint whose name follows the master (DNS), the next connection
 * reaches the new master and service returns without a restart. The command
 * that met the reply still fails (the backend answers `503`). Only for
 * connections the backend opened to one node (`{ url }`): Sentinel and
 * Cluster clients find their master themselves. It neither retries nor
 * reconnects by itself: node-redis's reconnect strategy does.
 * @module
 */

import { ErrorReply } from "redis";
import type { RedisCommands } from "./redis_commands.ts";

/** Replies that mean "this node is not the writable master (any more)". */
const NOT_MASTER = /^(READONLY|MASTERDOWN)\b/;

/**
 * `commands`, which drops its own connection (`CLIENT KILL ID <its id> SKIPME no`)
 * when a reply says its node is not the master; one drop at a time.
 *
 * @example
 * ```ts ignore (internal: needs a connected Redis client)
 * const commands = dropOnDemotion(client);
 * ```
 */
export function dropOnDemotion(commands: RedisCommands): RedisCommands {
  let dropping: Promise<void> | undefined;
  const drop = () =>
    dropping ??= (async () => {
      try {
        const id = await commands.sendCommand(["CLIENT", "ID"]);
        // SKIPME no: the filter form skips the calling client unless told.
        await commands.sendCommand(["CLIENT", "KILL", "ID", String(id), "SKIPME", "no"]);
      } catch {
        // Already gone, or CLIENT is not allowed here: nothing more to do.
      } finally {
        dropping = undefined;
      }
    })();
  return {
    sendCommand: async (args) => {
      try {
        return await commands.sendCommand(args);
      } catch (error) {
        if (error instanceof ErrorReply && NOT_MASTER.test(error.message)) void drop();
        throw error;
      }
    },
  };
}
