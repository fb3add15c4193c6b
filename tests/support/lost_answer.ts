/**
 * The lost-answer flow across two instances, on any shared backend: a call still running on
 * instance A whose stream the shared event log no longer holds (the session keeps one stream; a
 * later call pushes it out) is resumed from `Last-Event-ID` on instance B. B answers the call's
 * id with the "send the request again" error, and the run on A is cancelled through the bus at
 * once, not after A's orphan timeout. The handlers serve `waits` (an `untilAborted` tool, whose
 * first signal is `waits`) and `small` (answers "kept"), keep one stream per session, answer in
 * SSE without heartbeats and have an orphan timeout far off. Not a test file itself.
 * @module
 */

import assert from "node:assert/strict";
import type { McpHandler } from "../../mod.ts";
import {
  abortReason,
  bodilessRequest,
  type HeaderMap,
  initialize,
  messagesOf,
  postRequest,
  readSseUntil,
} from "../helpers.ts";

/** Runs the flow on `a` and `b` as `caller` (the headers naming who calls, if any). */
export async function assertLostAnswerCancels(
  a: McpHandler,
  b: McpHandler,
  waits: Promise<AbortSignal>,
  caller: HeaderMap = {},
): Promise<void> {
  const session = await initialize(a, { headers: caller });
  const headers = {
    sessionId: session.id,
    protocolVersion: session.protocolVersion,
    headers: session.headers,
  };
  const running = await a(postRequest(
    { jsonrpc: "2.0", id: "long", method: "tools/call", params: { name: "waits" } },
    headers,
  ));
  const reader = running.body!.getReader();
  const opened = await readSseUntil(reader, (got) => got.some((e) => e.id), 5_000);
  const priming = opened.events.find((e) => e.id !== undefined)!.id!;
  await reader.cancel(); // the client lost its connection; the call runs on, on A
  const next = await a(postRequest(
    { jsonrpc: "2.0", id: "next", method: "tools/call", params: { name: "small" } },
    headers,
  ));
  const answered = await readSseUntil(next.body!.getReader(), () => false, 5_000);
  assert.equal(messagesOf(answered.events)[0]?.result?.content[0].text, "kept");

  const resumed = await b(
    bodilessRequest("GET", {
      ...headers,
      headers: { ...session.headers, "last-event-id": priming },
    }),
  );
  assert.equal(resumed.status, 200);
  const resumedReader = resumed.body!.getReader();
  const got = await readSseUntil(resumedReader, (e) => messagesOf(e).length > 0, 5_000);
  await resumedReader.cancel();
  assert.deepEqual(messagesOf(got.events).map((m) => [m.id, m.error?.code]), [["long", -32603]]);
  // The run on A stops: the client sends the request again.
  assert.equal(await abortReason(await waits, 5_000), "cancelled");
}
