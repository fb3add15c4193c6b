/**
 * `HttpSessionTransport` (src/client/http_session_transport.ts) against a
 * fake server given as its `fetch`: the POST's headers (session id and
 * revision once known), JSON and SSE answers (messages in order, marked with
 * the request they came for), HTTP failures, the listening GET, a stream cut
 * before its answer (resumed with `last-event-id`, else "unanswered"), size
 * bounds, redirects, `terminate()` and `close()`.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type HttpSessionOptions,
  HttpSessionTransport,
} from "../../../src/client/http_session_transport.ts";
import type { MessageExtra } from "../../../src/client/message_transport.ts";
import { HttpStatusError } from "../../../src/client/rpc_errors.ts";
import { OversizedEvent } from "../../../src/client/sse_events.ts";

const URL_ = new URL("http://mcp.test/mcp");
const FAST = { initialDelayMs: 1, maxDelayMs: 1, growFactor: 1, maxRetries: 2 };

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: string | undefined;
}

const json = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    headers: { "content-type": "application/json", ...headers },
  });
const sse = (text: string, headers: Record<string, string> = {}) =>
  new Response(text, { headers: { "content-type": "text/event-stream", ...headers } });
const event = (message: unknown, id?: string) =>
  `${id === undefined ? "" : `id: ${id}\n`}data: ${JSON.stringify(message)}\n\n`;
const request = (id: number, method = "tools/call") => ({ jsonrpc: "2.0", id, method, params: {} });
const result = (id: number | string, value: object = {}) => ({ jsonrpc: "2.0", id, result: value });
const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progress: 1 } };

/**
 * A transport whose server is `route`, and what it was told: messages,
 * errors, stream ends, closes; `until(test)` waits for what it was told to pass `test`.
 */
function harness(route: (seen: Seen) => Response, options: HttpSessionOptions = {}) {
  const seen: Seen[] = [];
  const told = {
    messages: [] as [Record<string, unknown>, MessageExtra | undefined][],
    errors: [] as Error[],
    ends: [] as [boolean, boolean][],
    closes: 0,
  };
  let waiters: { test(): boolean; resolve(): void }[] = [];
  const changed = () => waiters = waiters.filter((w) => !(w.test() && (w.resolve(), true)));
  const transport = new HttpSessionTransport(URL_, {
    ...options,
    fetch: (input, init) => {
      const body = typeof init?.body === "string" ? init.body : undefined;
      const one = { method: init?.method ?? "GET", url: String(input), body };
      seen.push({ ...one, headers: new Headers(init?.headers) });
      changed();
      return Promise.resolve(route(seen[seen.length - 1]));
    },
  });
  transport.onmessage = (m, extra) => (told.messages.push([m as never, extra]), changed());
  transport.onerror = (error) => (told.errors.push(error), changed());
  transport.onStreamEnd = (
    oversized,
    unanswered,
  ) => (told.ends.push([oversized, unanswered]), changed());
  transport.onclose = () => (told.closes++, changed());
  const until = (test: () => boolean) =>
    test() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ test, resolve }));
  return { transport, seen, told, until };
}

/** Every pending microtask has run (a zero timer runs after them all). */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("HttpSessionTransport, sending", () => {
  it("POSTs with its media types, then the session id and revision once known", async () => {
    const { transport, seen, told } = harness(
      (s) => json(result(JSON.parse(s.body!).id), { "mcp-session-id": "s-1" }),
      { headers: { authorization: "Bearer t" } },
    );
    await transport.send(request(0, "initialize"));
    const first = seen[0];
    assert.equal(first.method, "POST");
    assert.equal(first.url, URL_.href);
    assert.equal(first.headers.get("content-type"), "application/json");
    assert.equal(first.headers.get("accept"), "application/json, text/event-stream");
    assert.equal(first.headers.get("authorization"), "Bearer t");
    assert.equal(first.headers.get("mcp-session-id"), null);
    assert.equal(first.headers.get("mcp-protocol-version"), null);
    assert.deepEqual(JSON.parse(first.body!), request(0, "initialize"));
    assert.deepEqual(told.messages, [[result(0), undefined]]);
    assert.equal(transport.sessionId, "s-1");
    transport.setProtocolVersion("2025-11-25");
    await transport.send(request(1));
    assert.equal(seen[1].headers.get("mcp-session-id"), "s-1");
    assert.equal(seen[1].headers.get("mcp-protocol-version"), "2025-11-25");
    assert.deepEqual(told.messages[1][0], result(1));
  });

  it("delivers an SSE answer's messages in order, marking all but responses", async () => {
    const asks = { jsonrpc: "2.0", id: "r1", method: "sampling/createMessage", params: {} };
    const body = event(progress) + event(asks) + event(result(7, { ok: true }));
    const { transport, told, until } = harness(() => sse(body));
    await transport.send(request(7));
    await until(() => told.ends.length === 1);
    assert.deepEqual(told.messages.map(([m]) => m), [progress, asks, result(7, { ok: true })]);
    assert.deepEqual(told.messages[0][1], { relatedRequestId: 7 });
    assert.deepEqual(told.messages[1][1], { relatedRequestId: 7 });
    assert.equal(told.messages[2][1]?.relatedRequestId, undefined);
    assert.equal(told.messages[2][1]?.unanswered, undefined);
    assert.deepEqual(told.ends, [[false, false]]);
  });

  for (const status of [404, 500]) {
    it(`rejects a ${status} with HttpStatusError and tells onerror`, async () => {
      const { transport, told } = harness(() => new Response("nope", { status }));
      const failure = await transport.send(request(1)).then(() => undefined, (e: unknown) => e);
      assert.ok(failure instanceof HttpStatusError);
      assert.equal(failure.status, status);
      assert.deepEqual(told.errors, [failure]);
    });
  }

  it("rejects a 2xx answer to a request that is neither JSON nor SSE (status -1)", async () => {
    const { transport } = harness(() =>
      new Response("<html>", { headers: { "content-type": "text/html" } })
    );
    await assert.rejects(
      transport.send(request(1)),
      (e: unknown) => e instanceof HttpStatusError && e.status === -1,
    );
  });

  it("rejects a JSON body over maxMessageBytes", async () => {
    const big = result(1, { text: "x".repeat(200) });
    const { transport } = harness(() => json(big), { maxMessageBytes: 64 });
    await assert.rejects(transport.send(request(1)), (e: unknown) => e instanceof OversizedEvent);
  });
});

describe("HttpSessionTransport, the listening stream", () => {
  it("opens a GET after a 202 to notifications/initialized; a 405 to it is fine", async () => {
    const { transport, seen, told, until } = harness((s) =>
      new Response(null, { status: s.method === "GET" ? 405 : 202 })
    );
    await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    await until(() => seen.length === 2);
    assert.equal(seen[1].method, "GET");
    assert.equal(seen[1].headers.get("accept"), "text/event-stream");
    await settled();
    assert.deepEqual(told.errors, []);
    assert.equal(seen.length, 2);
    await transport.close();
  });

  it("tells onerror of a refused GET and tries it again, up to maxRetries", async () => {
    const { transport, seen, told, until } = harness(
      (s) => new Response(null, { status: s.method === "GET" ? 500 : 202 }),
      { reconnect: FAST },
    );
    await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    await until(() => told.errors.length === 2);
    assert.ok(told.errors.every((e) => e instanceof HttpStatusError && e.status === 500));
    assert.equal(seen.filter((s) => s.method === "GET").length, 2);
    await transport.close();
  });

  it("does not open a GET after a 202 to any other message", async () => {
    const { transport, seen } = harness(() => new Response(null, { status: 202 }));
    await transport.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: {} });
    await settled();
    assert.deepEqual(seen.map((s) => s.method), ["POST"]);
  });
});

describe("HttpSessionTransport, a stream cut before its answer", () => {
  it("answers 'unanswered' when it ended without an event id", async () => {
    const { transport, seen, told, until } = harness(() => sse(event(progress)));
    await transport.send(request(3));
    await until(() => told.ends.length === 1);
    const [message, extra] = told.messages[told.messages.length - 1];
    assert.equal(message.id, 3);
    assert.equal((message.error as { code: number }).code, -32603);
    assert.equal(extra?.unanswered, true);
    assert.deepEqual(told.ends, [[false, true]]);
    assert.equal(seen.length, 1);
  });

  it("resumes it with last-event-id and delivers the answer on the resumed stream", async () => {
    const { transport, seen, told, until } = harness(
      (s) =>
        s.method === "POST"
          ? sse(event(progress, "e1"), { "mcp-session-id": "s-2" })
          : sse(event(progress, "e2") + event(result(4), "e3")),
      { reconnect: FAST },
    );
    await transport.send(request(4));
    await until(() => told.ends.length === 1);
    assert.equal(seen[1].method, "GET");
    assert.equal(seen[1].headers.get("last-event-id"), "e1");
    assert.equal(seen[1].headers.get("accept"), "text/event-stream");
    assert.equal(seen[1].headers.get("mcp-session-id"), "s-2");
    assert.deepEqual(told.messages, [
      [progress, { relatedRequestId: 4 }],
      [progress, { relatedRequestId: 4 }],
      [result(4), {}],
    ]);
    assert.deepEqual(told.ends, [[false, false]]);
  });

  it("answers 'unanswered' when the resume is refused", async () => {
    const { transport, seen, told, until } = harness(
      (s) => s.method === "POST" ? sse(event(progress, "e1")) : new Response("no", { status: 400 }),
      { reconnect: FAST },
    );
    await transport.send(request(5));
    await until(() => told.ends.length === 1);
    assert.equal(seen.length, 2);
    assert.equal(told.messages[told.messages.length - 1][1]?.unanswered, true);
    assert.deepEqual(told.ends, [[false, true]]);
  });

  it("gives up after maxRetries resumes that end without the answer", async () => {
    let n = 0;
    const { transport, seen, told, until } = harness(
      () => sse(event(progress, `e${n++}`)),
      { reconnect: FAST },
    );
    await transport.send(request(6));
    await until(() => told.ends.length === 1);
    assert.deepEqual(seen.map((s) => s.headers.get("last-event-id")), [null, "e0", "e1"]);
    assert.deepEqual(told.ends, [[false, true]]);
  });

  it("breaks on an event over maxMessageBytes with no 'unanswered' answer", async () => {
    const big = event(result(8, { text: "x".repeat(200) }), "e1");
    const { transport, seen, told, until } = harness(() => sse(big), {
      maxMessageBytes: 64,
      reconnect: FAST,
    });
    await transport.send(request(8));
    await until(() => told.ends.length === 1);
    assert.deepEqual(told.ends, [[true, false]]);
    assert.deepEqual(told.messages, []);
    assert.ok(told.errors.some((e) => e instanceof OversizedEvent));
    assert.equal(seen.length, 1);
  });
});

describe("HttpSessionTransport, redirects, terminate and close", () => {
  const redirect = (location: string, status = 307) =>
    new Response(null, { status, headers: { location } });

  it("refuses a redirect unless asked to follow it", async () => {
    const { transport, seen } = harness((s) =>
      s.url === URL_.href ? redirect("/next") : json(result(1))
    );
    await assert.rejects(transport.send(request(1)), /redirect/);
    assert.equal(seen.length, 1);
  });

  it("follows a same-origin 307, POSTing the same body to the new URL", async () => {
    const { transport, seen, told } = harness(
      (s) => s.url === URL_.href ? redirect("/next") : json(result(1)),
      { followSameOriginRedirects: true },
    );
    await transport.send(request(1));
    assert.deepEqual(seen.map((s) => [s.method, s.url]), [
      ["POST", URL_.href],
      ["POST", "http://mcp.test/next"],
    ]);
    assert.equal(seen[1].body, seen[0].body);
    assert.deepEqual(told.messages, [[result(1), undefined]]);
  });

  for (
    const [what, location, status] of [
      ["a cross-origin 307", "http://other.test/mcp", 307],
      ["a 303 of a POST", "/next", 303],
    ] as const
  ) {
    it(`refuses ${what} even when following`, async () => {
      const { transport, seen } = harness(
        (s) => s.url === URL_.href ? redirect(location, status) : json(result(1)),
        { followSameOriginRedirects: true },
      );
      await assert.rejects(transport.send(request(1)), /redirect/);
      assert.equal(seen.length, 1);
    });
  }

  for (const [status, ends] of [[200, true], [405, true], [500, false]] as const) {
    it(`terminate(): DELETE with the session id, answered ${status}`, async () => {
      const { transport, seen } = harness((s) =>
        s.method === "DELETE"
          ? new Response(null, { status })
          : json(result(0), { "mcp-session-id": "s-3" })
      );
      await transport.terminate(); // no session yet: nothing sent
      assert.equal(seen.length, 0);
      await transport.send(request(0, "initialize"));
      const done = transport.terminate();
      if (ends) await done;
      else {await assert.rejects(done, (e: unknown) =>
          e instanceof HttpStatusError && e.status === 500);}
      assert.equal(seen[1].method, "DELETE");
      assert.equal(seen[1].headers.get("mcp-session-id"), "s-3");
      assert.equal(transport.sessionId, ends ? undefined : "s-3");
    });
  }

  it("close(): tells onclose once, and later sends reject without a request", async () => {
    const { transport, seen, told } = harness(() => json(result(1)));
    await transport.close();
    await transport.close();
    assert.equal(told.closes, 1);
    await assert.rejects(transport.send(request(1)), /closed/);
    assert.equal(seen.length, 0);
    assert.deepEqual(told.errors, []);
  });
});
