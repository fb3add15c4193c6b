/**
 * A 2026-07-28 listen stream's `resourceSubscriptions` and the resources'
 * hooks: each URI served with a `subscribe` hook is told to it with the
 * listener's principal and the stream as `ctx.listen`; an update through
 * that target reaches that stream alone; a hook that refuses leaves its URI
 * out of the acknowledgement; nothing precedes the acknowledgement; the
 * stream's end (client, `handler.close()`) calls `unsubscribe`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  defineResource,
  defineResourceTemplate,
  defineTool,
  type HandlerContext,
  type McpHandler,
} from "../../../mod.ts";
import type { ListenTarget } from "../../../src/types/mod.ts";
import { deferred, makeHandler, messagesOf, readSseUntil, until } from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";

const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

/** One call of a hook: which, the URI, who, and the stream it was for. */
interface HookCall {
  hook: "subscribe" | "unsubscribe";
  uri: string;
  principal: string;
  listen: ListenTarget | undefined;
  ctx: HandlerContext;
}

type Reader = ReadableStreamDefaultReader<Uint8Array>;
/** A JSON-RPC message read from a stream (as `messagesOf` parses it). */
type Message = ReturnType<typeof messagesOf>[number];

/** A handler whose caller is the `x-user` header, with resources whose hooks are recorded. */
function fixture(calls: HookCall[], subscribe?: (uri: string) => Promise<void> | void): McpHandler {
  const record = (hook: HookCall["hook"]) => async (uri: string, ctx: HandlerContext) => {
    calls.push({ hook, uri, principal: ctx.principal.id, listen: ctx.listen, ctx });
    if (hook === "subscribe") await subscribe?.(uri);
  };
  return makeHandler({
    auth: { authenticate: (request) => ({ id: request.headers.get("x-user") ?? "nobody" }) },
    tools: [defineTool({ name: "echo", handler: () => "echo" })],
    resources: [
      defineResource({
        uri: "memo://a",
        name: "a",
        read: () => "A",
        subscribe: record("subscribe"),
        unsubscribe: record("unsubscribe"),
      }),
      defineResource({ uri: "memo://plain", name: "plain", read: () => "P" }),
    ],
    resourceTemplates: [
      defineResourceTemplate({
        uriTemplate: "notes://{id}",
        name: "note",
        read: () => "N",
        subscribe: record("subscribe"),
        unsubscribe: record("unsubscribe"),
      }),
    ],
  });
}

/** Opens a listen stream as `user` and reads its first message. */
async function listen(
  handler: McpHandler,
  user: string,
  id: string,
  notifications: Record<string, unknown>,
): Promise<{ reader: Reader; first: Message }> {
  const response = await handler(
    modernRequest("subscriptions/listen", { notifications }, { id, headers: { "x-user": user } }),
  );
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const read = await readSseUntil(reader, (events) => messagesOf(events).length >= 1);
  return { reader, first: messagesOf(read.events)[0] };
}

/** The messages read from `reader` within `ms` (or until `count` came). */
async function next(reader: Reader, count = 1, ms = 2_000): Promise<Message[]> {
  const read = await readSseUntil(reader, (events) => messagesOf(events).length >= count, ms);
  return messagesOf(read.events);
}

describe("2026-07-28: a listen's resourceSubscriptions and the resources' hooks", () => {
  it("each hook hears the listener's principal and stream; an update through it reaches that stream only; its end unsubscribes", async () => {
    const calls: HookCall[] = [];
    const handler = fixture(calls);
    let closed = false;
    try {
      const alice = await listen(handler, "alice", "LA", {
        resourceSubscriptions: ["memo://a", "notes://7", "memo://plain"],
      });
      assert.equal(alice.first.method, "notifications/subscriptions/acknowledged");
      assert.deepEqual(alice.first.params.notifications.resourceSubscriptions, [
        "memo://a",
        "notes://7",
        "memo://plain",
      ]);
      const bob = await listen(handler, "bob", "LB", { resourceSubscriptions: ["memo://a"] });
      assert.deepEqual(bob.first.params.notifications.resourceSubscriptions, ["memo://a"]);

      const subscribed = calls.filter((call) => call.hook === "subscribe");
      assert.deepEqual(
        subscribed.map(({ uri, principal }) => [uri, principal]).sort(),
        [["memo://a", "alice"], ["memo://a", "bob"], ["notes://7", "alice"]],
      );
      const aliceA = subscribed.find((c) => c.uri === "memo://a" && c.principal === "alice")!;
      const bobA = subscribed.find((c) => c.uri === "memo://a" && c.principal === "bob")!;
      assert.ok(aliceA.listen !== undefined && bobA.listen !== undefined);
      assert.notEqual(aliceA.listen.id, bobA.listen.id, "each stream is a target of its own");
      assert.equal(aliceA.ctx.session, undefined);
      assert.equal(aliceA.ctx.protocolVersion, "2026-07-28");
      assert.equal(aliceA.ctx.signal.aborted, false);

      // Through alice's target: alice's stream alone, tagged with her listen's id.
      assert.equal(aliceA.listen.resourceUpdated("memo://a"), true);
      const [update] = await next(alice.reader);
      assert.equal(update.method, "notifications/resources/updated");
      assert.equal(update.params.uri, "memo://a");
      assert.equal(update.params._meta[SUBSCRIPTION_ID], "LA");
      assert.deepEqual(await next(bob.reader, 1, 300), [], "bob's stream is not told");
      assert.equal(aliceA.listen.resourceUpdated("memo://b"), false, "a URI not subscribed");
      // The positive control: bob's own target reaches bob.
      assert.equal(bobA.listen.resourceUpdated("memo://a"), true);
      assert.equal((await next(bob.reader))[0].params._meta[SUBSCRIPTION_ID], "LB");

      // Alice closes her stream: her hooks are told, with her principal; bob's are not.
      await alice.reader.cancel();
      await until(
        () => calls.filter((c) => c.hook === "unsubscribe").length === 2,
        "alice's unsubscribes",
      );
      assert.deepEqual(
        calls.filter((c) => c.hook === "unsubscribe").map(({ uri, principal, listen }) => [
          uri,
          principal,
          listen?.id,
        ]).sort(),
        [["memo://a", "alice", aliceA.listen.id], ["notes://7", "alice", aliceA.listen.id]],
      );
      assert.equal(aliceA.ctx.signal.aborted, true, "the hook's signal ends with the stream");
      assert.equal(aliceA.listen.resourceUpdated("memo://a"), false, "an ended stream");

      // The server closes: bob's stream ends, and its hook is told.
      await handler.close();
      closed = true;
      await until(
        () => calls.some((c) => c.hook === "unsubscribe" && c.principal === "bob"),
        "bob's unsubscribe at close()",
      );
    } finally {
      if (!closed) await handler.close();
    }
  });

  it("a hook that refuses leaves its URI out of the acknowledgement, and the stream goes on", async () => {
    const calls: HookCall[] = [];
    const handler = fixture(calls, (uri) => {
      if (uri === "notes://secret") throw new Error("not for you");
    });
    try {
      const { reader, first } = await listen(handler, "alice", "L1", {
        resourceSubscriptions: ["notes://secret", "memo://a", "memo://plain"],
      });
      assert.deepEqual(first.params.notifications.resourceSubscriptions, [
        "memo://a",
        "memo://plain",
      ]);
      assert.equal(await handler.resourceUpdated("notes://secret"), 0, "not honoured: not told");
      assert.equal(await handler.resourceUpdated("memo://a"), 1);
      const [update] = await next(reader);
      assert.equal(update.params.uri, "memo://a");
      await reader.cancel();
      await until(() => calls.some((c) => c.hook === "unsubscribe"), "unsubscribe");
      assert.deepEqual(
        calls.filter((c) => c.hook === "unsubscribe").map((c) => c.uri),
        ["memo://a"],
        "only what was subscribed is unsubscribed",
      );
    } finally {
      await handler.close();
    }
  });

  it("nothing precedes the acknowledgement: it waits for the hooks, and a change meanwhile follows it", async () => {
    const calls: HookCall[] = [];
    const gate = deferred();
    const handler = fixture(calls, () => gate.promise);
    try {
      const response = await handler(
        modernRequest("subscriptions/listen", {
          notifications: { toolsListChanged: true, resourceSubscriptions: ["memo://a"] },
        }, { id: "L2", headers: { "x-user": "alice" } }),
      );
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      await until(() => calls.length === 1, "the hook is called");
      handler.tools.add(defineTool({ name: "late", handler: () => "late" }));
      assert.deepEqual(await next(reader, 1, 300), [], "nothing before the acknowledgement");
      gate.resolve();
      const messages = await next(reader, 2);
      assert.deepEqual(messages.map((m) => m.method), [
        "notifications/subscriptions/acknowledged",
        "notifications/tools/list_changed",
      ]);
      assert.deepEqual(messages[0].params.notifications, {
        toolsListChanged: true,
        resourceSubscriptions: ["memo://a"],
      });
      await reader.cancel();
    } finally {
      await handler.close();
    }
  });

  it("a stream closed while its hook runs is unsubscribed once the hook settles", async () => {
    const calls: HookCall[] = [];
    const gate = deferred();
    const handler = fixture(calls, () => gate.promise);
    try {
      const response = await handler(
        modernRequest("subscriptions/listen", {
          notifications: { resourceSubscriptions: ["memo://a"] },
        }, { id: "L3", headers: { "x-user": "alice" } }),
      );
      const reader = response.body!.getReader();
      await until(() => calls.length === 1, "the hook is called");
      await reader.cancel();
      assert.equal(calls[0].ctx.signal.aborted, true, "the hook is told the stream ended");
      assert.equal((await handler.stats()).openStreams, 0);
      gate.resolve();
      await until(() => calls.some((c) => c.hook === "unsubscribe"), "the late unsubscribe");
    } finally {
      await handler.close();
    }
  });
});
