/**
 * The scale-out bench's latencies across two instances: a resume's first byte, a cancellation and
 * an elicitation reply posted to the instance that is not running the tool (p50 / p99).
 * @module
 */

import { POST_HEADERS } from "../lib/protocol.ts";
import { call, post, type Target } from "./calls.ts";
import type { Sizes } from "./settings.ts";

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Reads `body` until `done(text so far)`; resolves with the text. */
export async function readUntil(
  body: ReadableStream<Uint8Array>,
  done: (text: string) => boolean,
): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

export interface Latency {
  p50: number;
  p99: number;
}

export function latency(samples: number[]): Latency {
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** First byte of a Last-Event-ID resume on B of a stream A is writing. */
export async function resumeLatency(a: Target, b: Target, sizes: Sizes): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < sizes.warmupSamples + sizes.latencySamples; i++) {
    const id = 1_000_000 + i;
    const cut = new AbortController();
    const response = await post(a, call(id, "tick", {}, `t${i}`), cut.signal);
    // Drop the connection after the first progress event: the other 100 (1 KB each) are left to replay.
    const text = await readUntil(response.body!, (t) => /"progress":1,/.test(t));
    const lastId = /^id: ?(\S+)\ndata: ?.*"progress":1,/m.exec(text)![1];
    cut.abort();
    const started = performance.now();
    const resumed = await fetch(b.url, {
      headers: {
        accept: "text/event-stream",
        "mcp-protocol-version": POST_HEADERS["mcp-protocol-version"],
        "mcp-session-id": b.sessionId,
        "last-event-id": lastId,
      },
    });
    const reader = resumed.body!.getReader();
    await reader.read();
    if (i >= sizes.warmupSamples) samples.push(performance.now() - started);
    await reader.cancel();
    const cancel = await post(
      a,
      `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id}}}`,
    );
    await cancel.text();
  }
  return latency(samples);
}

/** From posting `notifications/cancelled` to B until A's stream of the held call ends. */
export async function cancelLatency(a: Target, b: Target, sizes: Sizes): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < sizes.warmupSamples + sizes.latencySamples; i++) {
    const id = 2_000_000 + i;
    const response = await post(a, call(id, "hold"));
    const reader = response.body!.getReader();
    const started = performance.now();
    const cancel = await post(
      b,
      `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${id}}}`,
    );
    await cancel.text();
    while (!(await reader.read()).done) { /* until A ends the stream */ }
    if (i >= sizes.warmupSamples) samples.push(performance.now() - started);
  }
  return latency(samples);
}

/** From posting an elicitation reply to B until the tool's result arrives on A's stream. */
export async function replyLatency(a: Target, b: Target, sizes: Sizes): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < sizes.warmupSamples + sizes.latencySamples; i++) {
    const id = 3_000_000 + i;
    const response = await post(a, call(id, "ask"));
    const body = response.body!;
    const asked = await readUntil(body, (t) => t.includes('"elicitation/create"'));
    const question = JSON.parse(/^data: ?(.*"elicitation\/create".*)$/m.exec(asked)![1]);
    const started = performance.now();
    const reply = await post(
      b,
      JSON.stringify({
        jsonrpc: "2.0",
        id: question.id,
        result: { action: "accept", content: {} },
      }),
    );
    await reply.text();
    await readUntil(body, (t) => t.includes(`"id":${id}`));
    if (i >= sizes.warmupSamples) samples.push(performance.now() - started);
    await body.cancel();
  }
  return latency(samples);
}
