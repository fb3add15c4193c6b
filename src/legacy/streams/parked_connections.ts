/**
 * The quiet connections of each session: resumes of streams that ended
 * without an answer (a cancelled call, a replaced listening stream), kept
 * open with heartbeats only instead of closed. A client that has no answer
 * reconnects to a closed one at once, and official clients then open a bare
 * GET, in a loop; a quiet connection ends with its session or when its
 * client closes it. Past {@linkcode MAX_PARKED_PER_SESSION} such a resume is
 * refused.
 *
 * It only counts: the hub (stream_hub.ts) closes the connections, sends
 * their heartbeats and answers the refusal.
 * @module
 */

import type { SseConnection } from "../../http/sse/sse_connection.ts";

/**
 * Quiet connections (resumes of streams that ended without an answer) one
 * session may hold. A further such resume is refused with `409`: an official
 * client tries a refused resume twice and stops, whereas closing one of
 * the quiet connections would send its client into a bare GET, which
 * replaces the listening stream, whose client resumes, and so on.
 */
export const MAX_PARKED_PER_SESSION = 8;

/** The quiet connections of this process, by session. */
export class ParkedConnections {
  /** Quiet connections by session, oldest first. */
  #parked = new Map<string, Set<SseConnection>>();

  /** Keeps `connection` open without a stream; false when the session holds its bound of these. */
  park(sessionId: string, connection: SseConnection): boolean {
    let parked = this.#parked.get(sessionId);
    if (parked === undefined) this.#parked.set(sessionId, parked = new Set());
    if (parked.size >= MAX_PARKED_PER_SESSION) return false;
    parked.add(connection);
    return true;
  }

  /** Forgets `connection` (it ended), if it was parked. */
  unpark(sessionId: string, connection: SseConnection): void {
    const parked = this.#parked.get(sessionId);
    if (parked === undefined || !parked.delete(connection)) return;
    if (parked.size === 0) this.#parked.delete(sessionId);
  }
}
