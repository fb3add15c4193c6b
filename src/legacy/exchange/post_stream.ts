/**
 * The stream of one sessionful POST's answer: opened once, through the
 * event log so its client can resume it, by a server→client request, by
 * notifications still held at the end of the task, or by a call still
 * running after a moment. Notifications emitted before it opens are held and
 * go first; later messages keep their order, and a sender waits while too
 * many are unwritten (backpressure). When the event log cannot open it, the
 * POST's work is aborted and the POST answers `503`.
 *
 * It runs no request (request_exchange.ts, which extends it) and does not
 * choose between a JSON answer and the stream (answer_loop.ts).
 * @module
 */

import type { SlowCall } from "../../http/slow_calls.ts";
import type { JsonRpcMessage, JsonRpcRequest } from "../../jsonrpc/messages.ts";
import { serializeMessage } from "../../jsonrpc/messages.ts";
import type { ResponseMode } from "../../http/response_mode.ts";
import { nextTask } from "../../runtime.ts";
import type { SessionRecord } from "../../storage/sessions/session_store.ts";
import type { LogicalStream, StreamHub } from "../streams/stream_hub.ts";
import type { AbortCause } from "./in_flight.ts";
import { NOTHING_HELD } from "./answer_loop.ts";
import { LastStep } from "./last_step.ts";
import { MAX_UNWRITTEN, RESOLVED, sendOn } from "./stream_writes.ts";
import { streamFailedAnswer } from "./unfinished_answers.ts";

/**
 * True for sessions whose SSE streams start with a priming event (2025-11-25 and later).
 *
 * @example
 * ```ts ignore (internal: needs a session's record)
 * const opened = await hub.openListening(session.id, usesPriming(session.protocolVersion));
 * ```
 */
export function usesPriming(protocolVersion: string): boolean {
  return protocolVersion >= "2025-11-25";
}

/** For rejections handled elsewhere (a failed opening is handled by `openStream`). */
function ignore(): void {}

/**
 * The part of a POST's exchange that owns its stream: opening it, holding
 * early notifications, sending what is emitted. The exchange
 * (request_exchange.ts) extends it and says what it needs.
 *
 * @example
 * ```ts ignore (internal: runs inside a POST's exchange)
 * await exchange.emit(progress); // held to the end of the task, or sent on the open stream
 * if (exchange.canEmit) exchange.startStream(); // a call still running after a moment
 * ```
 */
export abstract class PostStream extends LastStep implements SlowCall {
  /** What the stream is opened on. */
  abstract readonly deps: { readonly hub: StreamHub };
  /** The session the POST belongs to. */
  abstract readonly session: SessionRecord;
  /** How the POST is answered: JSON, SSE, or SSE once something is emitted. */
  abstract readonly mode: ResponseMode;
  /** True when the stream starts with a priming event (so it can close early and be resumed). */
  abstract readonly prime: boolean;
  /** The POST's requests: the stream is opened for their ids. */
  abstract requests: readonly JsonRpcRequest[];
  /** Its place in the slow-call watch (slow_calls.ts). */
  slowWatch: unknown = undefined;
  /** Set once the answer was built from finished results: later emits have nowhere to go. */
  answered = false;
  opening: Promise<LogicalStream> | undefined;
  /** The stream, once open. */
  #stream: LogicalStream | undefined;
  /** Emits waiting for the stream to open: later ones queue behind them, so none overtakes. */
  #waitingForOpen = 0;
  /**
   * Notifications emitted before the stream opened, as JSON, held until the
   * end of the task: if every handler has finished by then, they go out with
   * the responses as one complete body (no live stream); else they are the
   * stream's first batch.
   */
  early: string[] = NOTHING_HELD;
  sse: Response | undefined;
  decide: (() => void) | undefined;
  /** Why the stream could not be opened, once that happened. */
  #openFailure: unknown;

  /** Aborts what still runs of the POST's work, with `reason`. */
  abstract abandon(reason: AbortCause): void;

  /** The stream, once open. */
  protected get stream(): LogicalStream | undefined {
    return this.#stream;
  }

  /** True while emitted messages can still reach the client. */
  get canEmit(): boolean {
    return this.mode !== "json" && !this.answered;
  }

  /**
   * Opens the POST's stream (once). When the event log cannot open it, the
   * failure is handled here: the work is aborted and the POST answers `503`
   * (see `answer`); the promise still rejects, for an emit that waits on it.
   */
  openStream(): Promise<LogicalStream> {
    this.opening ??= this.deps.hub.openRequestStream(
      this.session.id,
      this.prime,
      this.requests.map((request) => request.id),
    ).then(
      (opened) => {
        this.#stream = opened.stream;
        // What was held comes first, before any send queued behind the opening.
        for (const data of this.early) void opened.stream.send(data);
        this.early = NOTHING_HELD;
        this.sse = opened.response;
        this.decide?.();
        return opened.stream;
      },
      (error) => {
        this.#openFailure = error;
        this.early = NOTHING_HELD;
        this.abandon("storage-unavailable");
        this.decide?.();
        throw error;
      },
    );
    return this.opening;
  }

  /** Opens the stream where no one waits for it: a failure is handled by `openStream`, never left unhandled. */
  startStream(): void {
    this.openStream().catch(ignore);
  }

  /** Still running after a moment: answer on the stream (resumable, and a gone client is noticed). */
  slow(): void {
    if (this.canEmit) this.startStream();
  }

  /**
   * Sends a message on this POST's stream. A notification does not wait to
   * be logged and written (later ones join its batch; order is kept) unless
   * `MAX_UNWRITTEN` are already waiting: then the sender waits (backpressure).
   * Before the stream is open, notifications are held to the end of the task
   * (see `early`). A server→client request opens the stream and waits, so
   * its reply cannot overtake it.
   */
  emit(message: JsonRpcMessage): Promise<void> {
    if (!this.canEmit) return RESOLVED;
    const stream = this.#stream;
    if (stream !== undefined && this.#waitingForOpen === 0) return sendOn(stream, message);
    if (this.opening === undefined && !("id" in message) && this.early.length < MAX_UNWRITTEN) {
      if (this.early.length === 0) {
        nextTask(() => {
          if (!this.answered && this.early.length > 0) this.startStream();
        });
      }
      if (this.early === NOTHING_HELD) this.early = [];
      this.early.push(serializeMessage(message));
      return RESOLVED;
    }
    this.#waitingForOpen++;
    return this.openStream().then((opened) => {
      this.#waitingForOpen--;
      return sendOn(opened, message);
    });
  }

  /**
   * The event log could not open the stream, so nothing was sent yet: the
   * POST answers `503` + `Retry-After` with a JSON-RPC error, its work is
   * aborted already (see `openStream`) and counts until its handlers return.
   */
  failClosed(runs: Promise<unknown>[]): Response {
    this.answered = true;
    this.deps.hub.reportError(this.#openFailure);
    return streamFailedAnswer(this.#openFailure, this.requests, runs);
  }
}
