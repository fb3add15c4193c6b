/**
 * Holds each answer until the end of the event-loop turn it was made in, so
 * that the answers to every request read in one turn are written back to
 * back, after the reading. Node writes a response the moment it is handed
 * one; when the reader sleeps on the same host (a load generator, or a
 * reverse proxy in front of the server), each of those writes wakes it, and
 * on a virtual machine a wake-up of an idle CPU costs the writer more than
 * serving the request did (bench/notes/2026-11-24-gap-under-load.md, "Wake-ups under load"). Written
 * together, the first write wakes the reader and the others find it awake.
 *
 * One timer serves a whole turn: the first answer of a turn schedules it,
 * the rest wait on the same promise.
 * @module
 */

import { setImmediate } from "node:timers";

/** Runs a callback after the I/O of the current turn (Node's check phase). */
export type TurnScheduler = (callback: () => void) => void;

/** Holds an answer (or its promise) until the end of the current turn. */
export type TurnEndRelease = <T>(answer: T | Promise<T>) => Promise<T>;

/**
 * A {@linkcode TurnEndRelease}: answers settle, in the order they were
 * made, once the turn's scheduled callback has run. A rejected answer
 * rejects at once (an error has nothing to wait for).
 *
 * @example
 * ```ts
 * import { releaseAtTurnEnd } from "./turn_end.ts";
 * const release = releaseAtTurnEnd();
 * const response = await release(new Response("ok")); // after this turn's I/O
 * ```
 */
export function releaseAtTurnEnd(schedule: TurnScheduler = setImmediate): TurnEndRelease {
  let turnEnd: Promise<void> | undefined;
  const endOfTurn = (): Promise<void> =>
    turnEnd ??= new Promise<void>((resolve) =>
      schedule(() => {
        turnEnd = undefined;
        resolve();
      })
    );
  return async <T>(answer: T | Promise<T>): Promise<T> => {
    const value = await answer;
    await endOfTurn();
    return value;
  };
}
