/**
 * The legacy floor's SSE answers (bench/servers/floor.ts): the body of an answer written whole
 * (progress, a large result with `--mode sse`), the ticker's stream written as its tool runs, and
 * with `--resumable` each stream primed, its events numbered and kept for the session as tether's
 * default memory log bounds them. No resume endpoint (nothing asks).
 * @module
 */

import * as z from "zod";
import { PROGRESS_COUNT } from "../lib/protocol.ts";
import { serverArgs } from "./common.ts";
import { isObject } from "./floor_calls.ts";

const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };
const resumable = serverArgs().resumable === "true";
/** tether's default memory log bounds: streams and bytes of event data kept per session. */
const KEEP_STREAMS = 64;
const KEEP_BYTES = 1024 * 1024;
/** The priming event's `retry:` (tether's default `retryMs`). */
const RETRY_MS = 1_000;
const progressInput = z.object({});
const tickerInput = z.object({ seconds: z.number().int().positive() });
const encoder = new TextEncoder();

/** An empty answer with `status`. */
export const refused = (status: number): Response => new Response(null, { status });

/** Whether `value` is a plain object (the scale-out floors' own, bench/servers/floor_calls.ts). */
export { isObject };

/** A kept stream (`--resumable`): event `i`'s data is `text.slice(starts[i], ends[i])`. */
interface KeptStream {
  text: string;
  starts: number[];
  ends: number[];
  bytes: number;
}

/**
 * A session of the legacy floor: its owner and idle deadline; with
 * `--resumable`, its streams' count and the streams it keeps, oldest first.
 */
export interface FloorSession {
  owner: string | undefined;
  expiresAt: number;
  streams: number;
  kept: Map<number, KeptStream> | undefined;
  keptBytes: number;
}

/** The priming event of stream `stream` (`--resumable`), as tether sends it on 2025-11-25. */
const primingEvent = (stream: number) => `id: ${stream}:0\nretry: ${RETRY_MS}\ndata: \n\n`;
/** What comes before event `n`'s data on stream `stream` (`--resumable`): its id. */
const idHead = (stream: number, n: number) => `id: ${stream}:${n}\ndata: `;
/** What comes before an event's data when nothing is resumable. */
const MESSAGE_HEAD = "event: message\ndata: ";

/**
 * An SSE answer's body, event by event: plain (`event: message`), or with
 * `--resumable` primed, each event numbered `<stream>:<n>`, and kept for the
 * session when done (see {@linkcode keep}): the body's text with each event's
 * offsets, or one event's data alone, as tether keeps it (the body, a rope,
 * is flattened into a copy as it is written; kept, that copy would outlive
 * the answer instead of the data).
 */
export function sseBody(session: FloorSession) {
  const stream = resumable ? ++session.streams : 0;
  let text = resumable ? primingEvent(stream) : "";
  let first: string | undefined;
  const starts: number[] = [];
  const ends: number[] = [];
  return {
    add(data: string): void {
      if (!resumable) {
        text += `${MESSAGE_HEAD}${data}\n\n`;
        return;
      }
      first ??= data;
      text += idHead(stream, starts.length + 1);
      starts.push(text.length);
      text += data;
      ends.push(text.length);
      text += "\n\n";
    },
    done(): Response {
      if (resumable) {
        keep(
          session,
          stream,
          starts.length === 1
            ? { text: first!, starts: [0], ends: [first!.length], bytes: 0 }
            : { text, starts, ends, bytes: 0 },
        );
      }
      return new Response(text, { headers: SSE_HEADERS });
    },
  };
}

/**
 * Keeps a finished stream for a resume, evicting the session's oldest
 * streams past 64 or 1 MiB of event data. A stream over 1 MiB alone is not
 * kept and takes no other stream with it, as tether's memory log sheds such
 * a stream first (the session's older streams stay). Sizes are string
 * lengths: the bench's data is ASCII.
 */
function keep(session: FloorSession, stream: number, kept: KeptStream): void {
  for (let i = 0; i < kept.ends.length; i++) kept.bytes += kept.ends[i] - kept.starts[i];
  if (kept.bytes > KEEP_BYTES) return;
  const streams = session.kept ??= new Map();
  streams.set(stream, kept);
  session.keptBytes += kept.bytes;
  for (const [n, old] of streams) {
    if (streams.size <= KEEP_STREAMS && session.keptBytes <= KEEP_BYTES) return;
    streams.delete(n);
    session.keptBytes -= old.bytes;
  }
}

/** A progress notification, JSON-encoded fresh (as a tool's `progress` call makes it). */
function progressJson(progressToken: unknown, progress: number, total: number): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    method: "notifications/progress",
    params: { progressToken, progress, total },
  });
}

/**
 * The ticker's answer, a stream written as the tool runs: the tool (one
 * progress notification a second, then the result) is an async function
 * awaited event by event, each event JSON-encoded with the request's token,
 * framed (`--resumable`: primed, numbered, its data kept for the session) and
 * written; the in-flight entry is held until the tool ends, and a client that
 * goes away aborts it.
 */
export function ticker(
  id: unknown,
  params: Record<string, unknown>,
  session: FloorSession,
  abort: AbortController,
  finished: () => void,
): Response {
  const input = tickerInput.safeParse(params.arguments ?? {});
  if (!input.success) {
    finished();
    return refused(400);
  }
  const meta = params._meta;
  const progressToken = isObject(meta) ? meta.progressToken : undefined;
  const stream = resumable ? ++session.streams : 0;
  const kept: string[] = [];
  const frame = (data: string) => {
    if (!resumable) return encoder.encode(`${MESSAGE_HEAD}${data}\n\n`);
    kept.push(data);
    return encoder.encode(`${idHead(stream, kept.length)}${data}\n\n`);
  };
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (resumable) c.enqueue(encoder.encode(primingEvent(stream)));
    },
    cancel: () => abort.abort(),
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  abort.signal.addEventListener("abort", () => {
    clearTimeout(timer);
    wake?.();
  }, { once: true });
  const run = async (seconds: number, signal: AbortSignal) => {
    for (let progress = 1; progress <= seconds; progress++) {
      if (progressToken !== undefined) {
        controller.enqueue(frame(progressJson(progressToken, progress, seconds)));
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, 1000);
      });
      if (signal.aborted) return;
    }
    const result = { content: [{ type: "text", text: "ticked" }] };
    controller.enqueue(frame(JSON.stringify({ jsonrpc: "2.0", id, result })));
    controller.close();
  };
  run(input.data.seconds, abort.signal).catch(() => {}).finally(() => {
    finished();
    if (resumable && !abort.signal.aborted) {
      const text = kept.join("");
      const starts: number[] = [];
      const ends: number[] = [];
      for (let i = 0, at = 0; i < kept.length; at += kept[i].length, i++) {
        starts.push(at);
        ends.push(at + kept[i].length);
      }
      keep(session, stream, { text, starts, ends, bytes: 0 });
    }
  });
  return new Response(body, { headers: SSE_HEADERS });
}

/**
 * The progress tool's answer: each notification JSON-encoded with the
 * request's token and framed as an SSE event as it is emitted (awaited, as a
 * tool's `progress` call is), then the result; one write, since all of it
 * happens within one turn.
 */
export async function progress(
  id: unknown,
  params: Record<string, unknown>,
  session: FloorSession,
): Promise<Response> {
  const input = progressInput.safeParse(params.arguments ?? {});
  if (!input.success) return refused(400);
  const meta = params._meta;
  const progressToken = isObject(meta) ? meta.progressToken : undefined;
  const body = sseBody(session);
  for (let progress = 1; progress <= PROGRESS_COUNT; progress++) {
    if (progressToken !== undefined) {
      body.add(progressJson(progressToken, progress, PROGRESS_COUNT));
    }
    await Promise.resolve(); // the tool awaits each emit
  }
  const result = { content: [{ type: "text", text: "done" }] };
  body.add(JSON.stringify({ jsonrpc: "2.0", id, result }));
  return body.done();
}
