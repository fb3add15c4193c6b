/**
 * Many concurrent SSE streams, held open from the driver with Node's fetch
 * (undici, one connection per stream): each is one tools/call of the ticker
 * tool, which sends one progress notification a second for N seconds, then
 * its result. The caller reads the server's memory and CPU while they are
 * all open; this module opens them, says when every one has received its
 * first event, and checks every stream's whole body at the end.
 *
 * Not a throughput generator: the streams are mostly idle, which is the
 * point (what an open stream costs the server, not how fast it answers).
 */

import { isTickerResult, MCP_PATH, POST_HEADERS, tickerCallBody } from "./protocol.ts";

/** What to open. */
export interface StreamsOptions {
  /** e.g. http://127.0.0.1:18801 */
  base: string;
  /** Session ids rotated over the streams (Mcp-Session-Id); empty for none. */
  sessions: readonly string[];
  streams: number;
  /** Seconds each stream lasts (one progress event a second). */
  seconds: number;
  /** JSON-RPC id of the first stream; the others count up from it. */
  firstId: number;
}

/** The verdict over all streams. */
export interface StreamsOutcome {
  ok: number;
  bad: number;
  /** Streams whose fetch or body read failed. */
  errors: number;
  badSample?: string;
}

/** Streams being held open. */
export interface OpenStreams {
  /** Resolves with the seconds it took until every stream had its first progress event (or failed). */
  opened: Promise<number>;
  /** Resolves once every stream has ended, each checked. */
  finished: Promise<StreamsOutcome>;
}

/** Opens `options.streams` ticker calls at once. */
export function openStreams(options: StreamsOptions): OpenStreams {
  const started = performance.now();
  const outcome: StreamsOutcome = { ok: 0, bad: 0, errors: 0 };
  let waiting = options.streams;
  let markOpened!: (seconds: number) => void;
  const opened = new Promise<number>((resolve) => (markOpened = resolve));
  const firstEvent = () => {
    if (--waiting === 0) markOpened((performance.now() - started) / 1000);
  };

  async function one(index: number): Promise<void> {
    const id = options.firstId + index;
    const headers: Record<string, string> = { ...POST_HEADERS };
    if (options.sessions.length > 0) {
      headers["mcp-session-id"] = options.sessions[index % options.sessions.length];
    }
    let counted = false;
    try {
      const response = await fetch(options.base + MCP_PATH, {
        method: "POST",
        headers,
        body: tickerCallBody(id, options.seconds),
      });
      let text = "";
      if (response.body !== null) {
        const decoder = new TextDecoder();
        for await (const chunk of response.body) {
          text += decoder.decode(chunk, { stream: true });
          if (!counted && text.includes("notifications/progress")) {
            counted = true;
            firstEvent();
          }
        }
      }
      if (response.status === 200 && isTickerResult(text, id, options.seconds)) {
        outcome.ok++;
      } else {
        outcome.bad++;
        outcome.badSample ??= `status ${response.status}: ${text.slice(0, 300)}`;
      }
    } catch (error) {
      outcome.errors++;
      outcome.badSample ??= String(error);
    } finally {
      if (!counted) firstEvent();
    }
  }

  const finished = Promise.all(Array.from({ length: options.streams }, (_, i) => one(i)))
    .then(() => outcome);
  return { opened, finished };
}
