/**
 * The server→client requests of a session that some instance still awaits,
 * kept in the session's shared state (one key, `tether:awaited-replies`: id →
 * deadline) so every instance behind one bus sees them. The issuing instance
 * records an id before the request goes out and forgets it when the wait
 * ends; an instance that gets a reply it cannot settle forwards it on the bus
 * only for an id recorded here, so forged or late replies never cross it.
 *
 * Used only with a bus: a single instance settles its replies itself and
 * never reaches the store for them. It reaches the store only through the
 * session manager. It does not settle anything: the
 * in-process waits are {@linkcode PendingRequests}. Bounded: at most
 * `maxPerSession` ids a session, and an id past its deadline (its wait timed
 * out, or its instance died) no longer counts and is pruned on the next write.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { SessionManager } from "./session_manager.ts";

/** The session-state key of the awaited ids (shares the session's `maxStateBytes`). */
export const AWAITED_REPLIES_KEY = "tether:awaited-replies";

/** What {@linkcode AwaitedReplies} asks of the sessions: their state's values. */
export type AwaitedRepliesAccess = Pick<SessionManager, "stateValue" | "changeStateValue">;

/** Settings of {@linkcode AwaitedReplies}. */
export interface AwaitedRepliesOptions {
  /** Ids one session may await at once. */
  maxPerSession: number;
  /** The clock deadlines are on. */
  now: () => number;
  /** Where a failure to forget an id goes (the id then lapses at its deadline). */
  onError: (error: unknown) => void;
}

type Awaited = Record<string, number>;

/** The live entries of a stored value (a fresh object; expired and malformed entries left out). */
function live(stored: unknown, now: number): Awaited {
  const held: Awaited = {};
  if (typeof stored !== "object" || stored === null) return held;
  for (const [id, deadline] of Object.entries(stored)) {
    if (typeof deadline === "number" && deadline > now) held[id] = deadline;
  }
  return held;
}

/** The awaited server→client request ids of each session, in the session state (through the session manager). */
export class AwaitedReplies {
  #sessions: AwaitedRepliesAccess;
  #options: AwaitedRepliesOptions;

  /** Keeps the ids in the session state of `sessions` (the session manager). */
  constructor(sessions: AwaitedRepliesAccess, options: AwaitedRepliesOptions) {
    this.#sessions = sessions;
    this.#options = options;
  }

  /**
   * Records that `id` is awaited for `timeoutMs`. Rejects with an
   * {@linkcode McpError} when the session awaits `maxPerSession` ids already
   * or the store fails: then the request must not be sent.
   */
  async record(sessionId: string, id: string, timeoutMs: number): Promise<void> {
    const { maxPerSession, now } = this.#options;
    let full = false;
    try {
      await this.#sessions.changeStateValue(sessionId, AWAITED_REPLIES_KEY, (stored) => {
        const at = now();
        const held = live(stored, at);
        full = Object.keys(held).length >= maxPerSession;
        if (!full) held[id] = at + timeoutMs;
        return held;
      });
    } catch (error) {
      this.#options.onError(error);
      throw new McpError(
        ErrorCode.RequestFailed,
        "Session storage could not record the request for the other instances: it was not sent",
      );
    }
    if (full) {
      throw new McpError(
        ErrorCode.RequestFailed,
        `Too many requests to the client await a reply in this session (limit ${maxPerSession})`,
      );
    }
  }

  /** True when some instance awaits `id` in the session; rejects when the store fails. */
  async has(sessionId: string, id: string): Promise<boolean> {
    const stored = await this.#sessions.stateValue(sessionId, AWAITED_REPLIES_KEY);
    return live(stored, this.#options.now())[id] !== undefined;
  }

  /** Forgets `id` (its wait ended); a store failure goes to `onError`, never to the caller. */
  async forget(sessionId: string, id: string): Promise<void> {
    try {
      await this.#sessions.changeStateValue(sessionId, AWAITED_REPLIES_KEY, (stored) => {
        const held = live(stored, this.#options.now());
        delete held[id];
        return Object.keys(held).length === 0 ? undefined : held;
      });
    } catch (error) {
      this.#options.onError(error);
    }
  }
}
