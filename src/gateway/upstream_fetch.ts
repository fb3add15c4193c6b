/**
 * The fetch an HTTP upstream's 2026-07-28 requests go through
 * (modern_endpoint.ts): it follows no redirect (within the upstream's origin
 * only when asked), bounds each message it reads, and ends an SSE response
 * that ended without the answers to its requests with an error response for
 * each. The 2025 sessions' transport does the same itself
 * (src/client/http_session_transport.ts). It does not word failures for
 * the downstream caller: upstream_failure.ts does.
 * @module
 */

import type { RequestId } from "../jsonrpc/messages.ts";
import { MessageSizes, SseAnswers } from "./sessions/upstream_stream.ts";

/** What {@linkcode watchStreams} needs besides the fetch it wraps. */
export interface WatchSettings {
  /** The upstream's origin: the only one a redirect may lead to, when followed. */
  origin: string;
  /** Returns a redirect within `origin` to the caller, which follows it. */
  followSameOriginRedirects: boolean;
  /** The largest message read (a JSON body, or one SSE event), bytes. */
  maxMessageBytes: number;
  /** The error response that fails request `id` (read as if the upstream had sent it). */
  unansweredResponse(id: RequestId): object;
}

/** The ids of the requests in a POST body (one message or a batch). */
function requestIds(body: unknown): RequestId[] {
  if (typeof body !== "string") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const ids: RequestId[] = [];
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    const { id, method } = (message ?? {}) as { id?: unknown; method?: unknown };
    if (typeof method !== "string") continue;
    if (typeof id === "number" || typeof id === "string") ids.push(id);
  }
  return ids;
}

function urlOf(input: RequestInfo | URL): string {
  return input instanceof Request ? input.url : String(input);
}

/**
 * True when a JSON body's declared length is within `maxBytes`: HTTP's
 * framing ends the body there (a longer one fails its read), so it needs
 * no counting as it passes. Not for an encoded body: fetch decodes it, and
 * its length then says nothing of the decoded size.
 */
function withinLength(response: Response, maxBytes: number): boolean {
  if (response.headers.has("content-encoding")) return false;
  const length = response.headers.get("content-length");
  return length !== null && /^\d{1,15}$/.test(length) && Number(length) <= maxBytes;
}

/** True for a redirect the gateway may return to the caller to follow. */
function followable(
  response: Response,
  input: RequestInfo | URL,
  settings: WatchSettings,
): boolean {
  if (!settings.followSameOriginRedirects) return false;
  const location = response.headers.get("location");
  if (location === null) return false;
  try {
    return new URL(location, urlOf(input)).origin === settings.origin;
  } catch {
    return false;
  }
}

/**
 * A fetch over `base` for one upstream: `redirect: "manual"` always,
 * a 3xx a failure (unless followable); response bodies fail past
 * `maxMessageBytes` per message; a POST's SSE body ends with an error
 * response for each request it left unanswered, unless it carried an event
 * id and no result (its reader then fails those requests itself: these
 * requests are never resumed).
 *
 * @example
 * ```ts ignore (internal: needs the gateway's settings)
 * const endpoint = modernEndpoint(url, "auto", watchStreams(fetch, settings), headersFor);
 * ```
 */
export function watchStreams(base: typeof fetch, settings: WatchSettings): typeof fetch {
  return async (input, init) => {
    const method = (init?.method ?? "GET").toUpperCase();
    const response = await base(input, { ...init, redirect: "manual" });
    if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
      if (followable(response, input, settings)) return response;
      await response.body?.cancel().catch(() => {});
      throw new Error("The upstream answered with a redirect, which is not followed");
    }
    const sse = response.headers.get("content-type")?.includes("text/event-stream") === true;
    const body = response.body;
    if (body === null || (!sse && withinLength(response, settings.maxMessageBytes))) {
      return response;
    }
    const ids = sse && response.ok && method === "POST" ? requestIds(init?.body) : [];
    const answers = ids.length === 0 ? undefined : new SseAnswers(ids);
    const reader = body.getReader();
    const sizes = new MessageSizes(sse);
    const maxBytes = settings.maxMessageBytes;
    let oversized = false;
    const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
      const end = answers?.end((id) => settings.unansweredResponse(id));
      if (end?.text) controller.enqueue(new TextEncoder().encode(end.text));
      controller.close();
    };
    const watched = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) return finish(controller);
          if (sizes.add(value) > maxBytes) {
            oversized = true;
            throw new Error(`An upstream message is over ${maxBytes} bytes`);
          }
          answers?.add(value);
          controller.enqueue(value);
        } catch (error) {
          void reader.cancel().catch(() => {});
          // A broken SSE stream ends as one that ended: what it carried is read, the rest failed.
          if (sse && !oversized) return finish(controller);
          controller.error(error);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(watched, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
