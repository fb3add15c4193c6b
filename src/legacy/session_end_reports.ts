/**
 * Reports each session's end once (`onEvent` `session-ended`, the stats),
 * however many paths reach it while its work winds down: a DELETE, the
 * sweep, another instance's `session-ended`, a store that expired the
 * record itself, or `close()`. It remembers a reported session only while
 * something of it (a tool ignoring its signal) is still held here. It ends
 * nothing itself.
 * @module
 */

import type { Events, SessionEndReason } from "../observe/events.ts";

/** The sessions whose end was reported while this process still holds something of theirs. */
export class SessionEndReports {
  readonly #reported = new Set<string>();
  readonly #events: Events;
  readonly #holds: (id: string) => boolean;

  /** Reports to `events`; `holds` says whether this process still holds anything of a session. */
  constructor(events: Events, holds: (id: string) => boolean) {
    this.#events = events;
    this.#holds = holds;
  }

  /** True when the session's end was reported and something of it is still held here. */
  has(id: string): boolean {
    return this.#reported.has(id);
  }

  /** Reports the session's end, unless it was reported already. */
  report(id: string, reason: SessionEndReason): void {
    if (this.#reported.has(id)) return;
    this.#events.sessionEnded(id, reason);
    if (this.#holds(id)) this.#reported.add(id);
  }

  /** The instance that ended the session reported it: here it only must not turn up later as "gone". */
  reportedElsewhere(id: string): void {
    if (this.#holds(id)) this.#reported.add(id);
  }

  /** Forgets the sessions of which nothing is held any more. */
  forgetReleased(): void {
    for (const id of this.#reported) if (!this.#holds(id)) this.#reported.delete(id);
  }

  /** Reports the end (`"close"`) of every session of `held` not reported yet, then forgets all. */
  reportClose(held: Iterable<string>): void {
    for (const id of held) {
      if (!this.#reported.has(id)) this.#events.sessionEnded(id, "close");
    }
    this.#reported.clear();
  }
}
