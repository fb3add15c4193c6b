/**
 * Fair shares (issue 20): one principal cannot take a whole pool. One
 * anonymous client used to open all 1,024 `subscriptions/listen` slots in
 * 2.3 s and lock everyone else out; one principal holding slow calls (then
 * hanging up) kept everyone at 503 under `maxConcurrentRequests`; nothing
 * capped one client's 2026-07-28 calls in flight (3,000 at once: 282 MB and
 * 3,024 fds). Each pool now has a per-principal cap, the anonymous callers
 * share one, and a listen's URIs are bounded in bytes. A listen's
 * acknowledgement is backlog: a large one no longer drops the stream at once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  defineResource,
  defineTool,
  type McpHandler,
  type McpHandlerOptions,
} from "../../../mod.ts";
import {
  assertHttpError,
  deferred,
  initializeMessage,
  makeHandler,
  messagesOf,
  postRequest,
  readAnswer,
  readSseUntil,
  until,
  within,
} from "../../helpers.ts";
import { modernNotification, modernRequest } from "../../support/modern_helpers.ts";

/** `x-user: <id>` authenticates as that user; no header (or `x-user: ""`) is anonymous. */
function byHeader(request: Request): { id: string } | undefined {
  const user = request.headers.get("x-user");
  return user === null || user === "" ? undefined : { id: user };
}

/**
 * A handler that authenticates by header, with a watched resource and a tool
 * that holds until released (its signals go to `signals`).
 */
function fixture(
  latch: Promise<void>,
  extra: Partial<McpHandlerOptions> = {},
  signals: AbortSignal[] = [],
): McpHandler {
  return makeHandler({
    resources: [defineResource({ uri: "test://watched", name: "watched", read: () => "w" })],
    tools: [defineTool({
      name: "hold",
      handler: async (_input, ctx) => {
        signals.push(ctx.signal);
        await ctx.progress(1); // answered on a stream from here on
        await latch; // ignores its signal: it holds its place until released
        return "released";
      },
    })],
    ...extra,
    streams: {
      heartbeatMs: 0,
      ...extra?.streams,
    },
    auth: {
      authenticate: byHeader,
      ...extra?.auth,
    },
  });
}

/** A listen request as `user` (undefined: anonymous) sends it. */
function listen(user: string | undefined, notifications: Record<string, unknown> = {
  toolsListChanged: true,
}): Request {
  return modernRequest("subscriptions/listen", { notifications }, {
    headers: user === undefined ? {} : { "x-user": user },
  });
}

/** A call of the hold tool as `user`. */
function holdCall(user: string | undefined, id?: string): Request {
  return modernRequest("tools/call", { name: "hold", arguments: {} }, {
    id,
    meta: { progressToken: 1 },
    headers: user === undefined ? {} : { "x-user": user },
  });
}

/** Asserts an open listen stream (200, SSE). */
function assertOpen(response: Response, what: string): void {
  assert.equal(response.status, 200, what);
  assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/, what);
}

/** Asserts the per-principal refusal: 429, Retry-After, a -32004 JSON-RPC error. */
async function assertShareRefused(response: Response, message: RegExp, id?: number | string) {
  assert.match(response.headers.get("retry-after") ?? "", /^[1-9][0-9]*$/);
  await assertHttpError(response, 429, { code: -32004, message, id });
}

/** The id of a request built by {@linkcode modernRequest}. */
async function idOf(request: Request): Promise<number | string> {
  return (await request.clone().json()).id;
}

/** Sends `request`; its answer, and its id for checking a refusal. */
async function send(handler: McpHandler, request: Request) {
  const id = await idOf(request);
  return { response: await handler(request), id };
}

describe("fair shares: subscriptions/listen", () => {
  it("one principal filling its listen share leaves room for another principal", async () => {
    const handler = fixture(Promise.resolve(), {
      stateless: {
        maxListenStreams: 8,
        maxListenStreamsPerPrincipal: 2,
      },
    });
    const open: Response[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const response = await handler(listen("alice"));
        assertOpen(response, `alice's listen ${i + 1}`);
        open.push(response);
      }
      const third = await send(handler, listen("alice"));
      await assertShareRefused(third.response, /listen streams/, third.id);
      const bob = await handler(listen("bob"));
      assertOpen(bob, "bob still gets a stream");
      open.push(bob);
      // Closing one of alice's streams gives her place back.
      await open.shift()!.body!.cancel();
      await until(async () => (await handler.stats()).openStreams === 2, "the stream to close");
      const again = await handler(listen("alice"));
      assertOpen(again, "alice again, once one of hers closed");
      open.push(again);
    } finally {
      await handler.close();
      await Promise.all(open.map((response) => response.body?.cancel()));
    }
  });

  it("anonymous callers are capped together, and apart from a user whose id is 'anonymous'", async () => {
    const handler = fixture(Promise.resolve(), {
      stateless: {
        maxListenStreams: 8,
        maxListenStreamsPerPrincipal: 2,
      },
    });
    const open: Response[] = [];
    try {
      // Three anonymous "clients": no credentials, so nothing tells them apart.
      const first = await handler(listen(undefined));
      assertOpen(first, "anonymous 1");
      const second = await handler(listen(""));
      assertOpen(second, "anonymous 2");
      open.push(first, second);
      const third = await send(handler, listen(undefined));
      await assertShareRefused(third.response, /listen streams/, third.id);
      const named = await handler(listen("anonymous"));
      assertOpen(named, "an authenticated user named 'anonymous' is another principal");
      open.push(named);
    } finally {
      await handler.close();
      await Promise.all(open.map((response) => response.body?.cancel()));
    }
  });

  it("with the defaults, anonymous holds a small part of the pool and an authenticated principal is still served", async () => {
    const handler = fixture(Promise.resolve());
    const open: Response[] = [];
    try {
      let refused: { response: Response; id: number | string } | undefined;
      // The old code let one anonymous client take all 1,024 slots; stop at the first refusal.
      for (let i = 0; i < 1_024 && refused === undefined; i++) {
        const sent = await send(handler, listen(undefined));
        if (sent.response.status === 200) open.push(sent.response);
        else refused = sent;
      }
      assert.ok(refused !== undefined, "anonymous was refused before the pool was full");
      assert.equal(open.length, 32, "the default share");
      await assertShareRefused(refused.response, /listen streams/, refused.id);
      const alice = await handler(listen("alice"));
      assertOpen(alice, "an authenticated principal is served while anonymous is at its cap");
      open.push(alice);
    } finally {
      await handler.close();
      await Promise.all(open.map((response) => response.body?.cancel()));
    }
  });

  it("by default the whole process holds 512 listen streams, well under a 1,024 open-file limit", async () => {
    // Deno exits when it runs out of file descriptors (bench/lab/fd_limit.ts): at 1,024 streams a
    // default `ulimit -n 1024` was reached first. 16 principals at their share of 32 fill 512.
    const handler = fixture(Promise.resolve());
    const open: Response[] = [];
    try {
      for (let user = 0; user < 16; user++) {
        for (let i = 0; i < 32; i++) {
          const response = await handler(listen(`user-${user}`));
          assertOpen(response, `stream ${open.length + 1} of the default pool`);
          open.push(response);
        }
      }
      const beyond = await within(
        readAnswer(await handler(listen("user-16"))),
        3_000,
        "a JSON answer, not a stream",
      );
      assert.equal(beyond.message.error?.code, -32603, JSON.stringify(beyond.message));
      assert.match(beyond.message.error.message, /limit/i);
      assert.equal((await handler.stats()).openStreams, 512);
    } finally {
      await handler.close();
      await Promise.all(open.map((response) => response.body?.cancel()));
    }
  });

  it("a listen's resource URIs are bounded in bytes (-32602), duplicates counted once", async () => {
    const handler = fixture(Promise.resolve(), {
      stateless: { maxListenSubscriptionBytes: 1_024 },
    });
    const open: Response[] = [];
    try {
      // 8 URIs of 128 bytes (some of them twice): exactly at the cap.
      const uris = Array.from({ length: 8 }, (_, i) => `test://${String(i).padStart(121, "x")}`);
      assert.equal(uris.join("").length, 1_024);
      const atCap = await handler(listen("alice", {
        resourceSubscriptions: [...uris, uris[0], uris[3]],
      }));
      assertOpen(atCap, "positive control: at the cap");
      open.push(atCap);
      // One more byte, in a multi-byte character: UTF-8 bytes count, not UTF-16 units.
      const over = await within(
        readAnswer(await handler(listen("alice", { resourceSubscriptions: [...uris, "é"] }))),
        3_000,
        "a JSON answer, not a stream",
      );
      assert.equal(over.message.error?.code, -32602, JSON.stringify(over.message));
      assert.match(over.message.error.message, /1024 bytes/);
      assert.equal((await handler.stats()).openStreams, 1, "the refused listen opened nothing");
    } finally {
      await handler.close();
      await Promise.all(open.map((response) => response.body?.cancel()));
    }
  });

  it("a listen's resource URIs are counted by stateless.maxListenSubscriptions, not sessions.maxSubscriptions", async () => {
    const handler = fixture(Promise.resolve(), {
      sessions: { maxSubscriptions: 1 },
      stateless: { maxListenSubscriptions: 3 },
    });
    const open: Response[] = [];
    try {
      // Three URIs (one named twice): at the listen cap, over the session cap.
      const atCap = await handler(listen("alice", {
        resourceSubscriptions: ["test://a", "test://b", "test://c", "test://a"],
      }));
      assertOpen(atCap, "positive control: at the listen cap");
      open.push(atCap);
      const over = await within(
        readAnswer(
          await handler(listen("alice", {
            resourceSubscriptions: ["test://a", "test://b", "test://c", "test://d"],
          })),
        ),
        3_000,
        "a JSON answer, not a stream",
      );
      assert.equal(over.message.error?.code, -32602, JSON.stringify(over.message));
      assert.match(over.message.error.message, /at most 3 URIs/);
      assert.equal((await handler.stats()).openStreams, 1, "the refused listen opened nothing");
    } finally {
      await handler.close();
      await Promise.all(open.map((response) => response.body?.cancel()));
    }
  });

  it("an acknowledgement larger than the stream buffer is delivered, and the stream stays open", async () => {
    const handler = fixture(Promise.resolve(), { streams: { maxStreamBufferBytes: 4_096 } });
    try {
      const uris = Array.from({ length: 100 }, (_, i) => `test://${i}/${"u".repeat(100)}`);
      uris.push("test://watched");
      const response = await handler(listen("alice", { resourceSubscriptions: uris }));
      assertOpen(response, "the listen");
      const reader = response.body!.getReader();
      const ack = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      const [first] = messagesOf(ack.events);
      assert.equal(first?.method, "notifications/subscriptions/acknowledged");
      assert.deepEqual(first.params.notifications.resourceSubscriptions, uris);
      assert.equal(await handler.resourceUpdated("test://watched"), 1, "the stream is still open");
      const update = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
      assert.equal(messagesOf(update.events)[0]?.params.uri, "test://watched");
      assert.equal((await handler.stats()).streamsDropped, 0);
      await reader.cancel();
    } finally {
      await handler.close();
    }
  });
});

describe("fair shares: 2026-07-28 calls in flight", () => {
  it("one principal's calls in flight are capped (429, -32004); another principal is still served", async () => {
    const latch = deferred();
    const handler = fixture(latch.promise, { stateless: { maxRequestsPerPrincipal: 3 } });
    const streams: Response[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const response = await handler(holdCall("alice"));
        assertOpen(response, `alice's call ${i + 1}`);
        streams.push(response);
      }
      const fourth = await send(handler, holdCall("alice"));
      await assertShareRefused(fourth.response, /requests in flight/, fourth.id);
      assert.equal((await handler.stats()).inFlight, 3, "the refused call never ran");
      const bob = await handler(holdCall("bob"));
      assertOpen(bob, "bob's call runs");
      streams.push(bob);
      const anonymous = await handler(holdCall(undefined));
      assertOpen(anonymous, "anonymous is a principal of its own: its call runs");
      streams.push(anonymous);
      latch.resolve();
      await within(
        Promise.all(streams.map((response) => response.text())),
        3_000,
        "the held calls to end",
      );
      await until(async () => (await handler.stats()).inFlight === 0, "the calls to finish");
      const after = await readAnswer(await handler(holdCall("alice")));
      assert.equal(after.status, 200, "alice's places are given back when her calls return");
    } finally {
      latch.resolve();
      await handler.close();
    }
  });
});

describe("fair shares: maxConcurrentRequests", () => {
  it("a principal whose slow calls outlive their hung-up clients holds at most its share; others are served", async () => {
    const latch = deferred();
    const handler = fixture(latch.promise, { limits: { maxConcurrentRequests: 8 } });
    try {
      // Alice starts slow calls and hangs up; her tools ignore their signal and keep running.
      const held: Response[] = [];
      for (let i = 0; i < 4; i++) {
        const { response, id } = await send(handler, holdCall("alice"));
        if (response.status !== 200) {
          await assertShareRefused(response, /requests in progress/, id);
          continue;
        }
        assertOpen(response, `alice's call ${i + 1}`);
        held.push(response);
        await response.body!.cancel();
      }
      assert.equal(held.length, 2, "the default share is a quarter of the pool");
      await until(async () => (await handler.stats()).openStreams === 0, "alice's streams to go");
      assert.equal((await handler.stats()).concurrentRequests, 2, "her work still holds places");
      // A sessionful request of hers is refused too: the share covers both eras, and the
      // refusal carries the request's id in both (the entry authenticates once for both).
      await assertShareRefused(
        await handler(postRequest(initializeMessage(), { headers: { "x-user": "alice" } })),
        /requests in progress/,
        0,
      );
      const bob = await readAnswer(
        await handler(postRequest(initializeMessage(), { headers: { "x-user": "bob" } })),
      );
      assert.equal(bob.status, 200, "bob is served, not 503");
      const anonymous = await readAnswer(await handler(postRequest(initializeMessage())));
      assert.equal(anonymous.status, 200, "so is an anonymous caller");
      latch.resolve();
      await until(async () => (await handler.stats()).concurrentRequests === 0, "places back");
      const again = await readAnswer(
        await handler(postRequest(initializeMessage(), { headers: { "x-user": "alice" } })),
      );
      assert.equal(again.status, 200, "alice's share is given back once her work returns");
    } finally {
      latch.resolve();
      await handler.close();
    }
  });

  it("the anonymous callers and one account together cannot take the whole pool: a third principal is served", async () => {
    // Before: each share was half the pool, so anonymous plus one account held all of it and
    // everyone else got 503 until their abandoned work ended (orphanTimeoutMs, 60 s).
    const latch = deferred();
    const handler = fixture(latch.promise, { limits: { maxConcurrentRequests: 8 } });
    try {
      for (const user of [undefined, "alice"]) {
        let served = 0;
        for (let i = 0; i < 8; i++) {
          const { response, id } = await send(handler, holdCall(user));
          if (response.status !== 200) {
            await assertShareRefused(response, /requests in progress/, id);
            break;
          }
          served++;
          await response.body!.cancel(); // hangs up; the work goes on
        }
        assert.equal(served, 2, `${user ?? "anonymous"} holds its default share, a quarter`);
      }
      assert.equal((await handler.stats()).concurrentRequests, 4, "half the pool is held");
      const bob = await handler(holdCall("bob"));
      assertOpen(bob, "bob is served, not 503");
      await bob.body!.cancel();
    } finally {
      latch.resolve();
      await handler.close();
    }
  });

  it("a principal at its share can still cancel its own work: only requests count against it", async () => {
    const latch = deferred();
    const signals: AbortSignal[] = [];
    const handler = fixture(latch.promise, { limits: { maxConcurrentRequests: 8 } }, signals);
    const streams: Response[] = [];
    try {
      for (const id of ["c-1", "c-2"]) {
        const response = await handler(holdCall("alice", id));
        assertOpen(response, `alice's call ${id}`);
        streams.push(response);
      }
      const third = await send(handler, holdCall("alice"));
      await assertShareRefused(third.response, /requests in progress/, third.id); // control
      const cancel = await handler(
        modernNotification("notifications/cancelled", { requestId: "c-1" }, { "x-user": "alice" }),
      );
      assert.equal(cancel.status, 202, "a cancellation starts no work: never refused at a share");
      await until(() => signals[0]?.aborted === true, "alice's first call to be cancelled");
      assert.equal(signals[0].reason, "cancelled");
    } finally {
      latch.resolve();
      await handler.close();
      await Promise.all(streams.map((response) => response.body?.cancel()));
    }
  });

  it("the share is validated: a whole number, and only with maxConcurrentRequests", () => {
    assert.throws(
      () =>
        makeHandler({
          limits: { maxConcurrentRequests: 4, maxConcurrentRequestsPerPrincipal: 1.5 },
        }),
      /maxConcurrentRequestsPerPrincipal/,
    );
    assert.throws(
      () => makeHandler({ limits: { maxConcurrentRequestsPerPrincipal: 2 } }),
      /limits.maxConcurrentRequestsPerPrincipal needs limits.maxConcurrentRequests/,
    );
    for (const name of ["maxListenStreamsPerPrincipal", "maxRequestsPerPrincipal"] as const) {
      assert.throws(() => makeHandler({ [name]: 0 }), new RegExp(name));
    }
    assert.throws(
      () => makeHandler({ stateless: { maxListenSubscriptionBytes: -1 } }),
      /maxListenSubscriptionBytes/,
    );
    assert.throws(
      () => makeHandler({ stateless: { maxListenSubscriptions: 0 } }),
      /stateless.maxListenSubscriptions/,
    );
  });
});
