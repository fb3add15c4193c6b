/**
 * Every path that ends a session in this process, and what it ends: a
 * DELETE, the sweep (expired records, and records a store expired itself),
 * another instance's `session-ended`, a lazily expired session met by a
 * request, and `close()`. Each ends the session's work, waiting client
 * requests, streams, resources and logged events here, and reports the end
 * once (session_end_reports.ts). It does not resolve or create sessions.
 * @module
 */

import type { Delivery } from "../bus/delivery.ts";
import type { Events } from "../observe/events.ts";
import type { Refusal } from "../http/refusal.ts";
import type { InFlightRegistry } from "./exchange/in_flight.ts";
import type { PendingRequests } from "./exchange/pending_requests.ts";
import { SessionEndReports } from "./session_end_reports.ts";
import type { SessionManager } from "./sessions/session_manager.ts";
import type { SessionResources } from "./sessions/session_resources.ts";
import type { StreamHub } from "./streams/stream_hub.ts";

/** What a session's end reaches in this process. */
export interface SessionEndsParts {
  sessions: SessionManager;
  inFlight: InFlightRegistry;
  pending: PendingRequests;
  hub: StreamHub;
  resources: SessionResources;
  events: Events;
  /** Tells the other instances a session ended. */
  delivery: Pick<Delivery, "tellOthers">;
}

/** Ends sessions in this process, on every path, and reports each end once. */
export class SessionEnds {
  readonly #parts: SessionEndsParts;
  readonly #reports: SessionEndReports;

  /** Ends over `parts`. */
  constructor(parts: SessionEndsParts) {
    this.#parts = parts;
    this.#reports = new SessionEndReports(parts.events, (id) => this.holds(id));
  }

  /** True when this process holds work, streams or resources of the session. */
  holds(id: string): boolean {
    const { inFlight, hub, resources } = this.#parts;
    return inFlight.has(id) || hub.holds(id) || resources.holds(id);
  }

  /** Sessions with work, streams or resources in this process. */
  held(): Set<string> {
    const { inFlight, hub, resources } = this.#parts;
    return new Set([...inFlight.sessionKeys(), ...hub.sessionIds(), ...resources.sessionIds()]);
  }

  /** Ends a session's work, replies, streams and events in this process. */
  async end(id: string): Promise<void> {
    const { inFlight, pending, hub, resources } = this.#parts;
    inFlight.cancelSession(id);
    pending.rejectSession(id, "The session ended");
    hub.endSession(id);
    // Never waits on a resource: disposal is bounded and reports its own failures.
    void resources.disposeSession(id);
    await hub.eventLog.deleteSession(id);
  }

  /** A DELETE: removes the record and ends the session here and, when it existed, elsewhere. */
  async delete(id: string): Promise<void> {
    const existed = await this.#parts.sessions.end(id);
    await this.end(id);
    // Streams, work and resources the other instances hold end too (their sweeps would, later).
    if (existed) this.#parts.delivery.tellOthers({ type: "session-ended", sessionId: id });
    // Two DELETEs racing both get 204; the one that removed the record reports the end.
    if (existed) this.#reports.report(id, "delete");
  }

  /** Another instance ended the session (and reported it): end what this process holds of it. */
  async endedElsewhere(id: string): Promise<void> {
    if (!this.holds(id)) return;
    await this.end(id);
    this.#reports.reportedElsewhere(id);
  }

  /** Removes expired sessions and ends what they had running here. */
  async sweep(): Promise<void> {
    const { sessions, resources } = this.#parts;
    for (const { id, reason } of await sessions.sweep()) {
      await this.end(id);
      this.#reports.report(id, reason);
      this.#parts.delivery.tellOthers({ type: "session-ended", sessionId: id });
    }
    // Stores that expire records themselves (a TTL in Redis) report nothing:
    // end the work and streams this process holds for sessions that are gone.
    for (const id of this.held()) {
      if (this.#reports.has(id)) {
        // Ended already: only a tool ignoring its signal is left, and any resource it opened
        // while the session was ending (nothing else would dispose that one).
        if (resources.holds(id)) void resources.disposeSession(id);
        continue;
      }
      if (!await sessions.exists(id)) {
        await this.end(id);
        this.#reports.report(id, "gone");
      }
    }
    this.#reports.forgetReleased();
  }

  /**
   * A request whose session did not resolve gets `refusal`; a session that
   * expired lazily (404) may still have work or streams here, ended now.
   * (Not a layer around every resolve: an async step per request costs.)
   */
  async unresolved(request: Request, refusal: Refusal): Promise<Refusal> {
    if (refusal.status === 404) {
      const id = request.headers.get("mcp-session-id");
      if (id !== null && this.holds(id)) await this.end(id);
    }
    return refusal;
  }

  /** The handler closes: every session of `held` (and held now) not reported yet ends with `"close"`. */
  reportClose(held: Iterable<string>): void {
    this.#reports.reportClose(new Set([...held, ...this.held()]));
  }
}
