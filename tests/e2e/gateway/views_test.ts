/**
 * Gateway views end to end: an SDK and a tether upstream behind one
 * gateway, two endpoints (handlers) with different views, official SDK
 * clients over HTTP (2025) and tether's testing client in both eras. Each
 * principal sees its own tools, prompts and resources; a hidden entry is
 * answered exactly as a name never defined on every list, call, get, read,
 * subscription and completion; a denied one is refused (-32602,
 * `data.reason: "denied"`) and never listed; renamed entries are listed and
 * used by the new name only; the endpoints share the caps; a reread after
 * `list_changed` keeps the views.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, McpClientError, type TestClient } from "../../../src/testing/mod.ts";
import type { GatewayView } from "../../../src/gateway/mod.ts";
import { rawInitialize, textOf, waitFor } from "../interop/helpers.ts";
import { startViews, type ViewsFixture } from "./views_fixture.ts";

/** The first endpoint's view: alice and bob see different parts; carol is denied `up_whoami`. */
const FIRST: GatewayView = {
  upstreams: { tt: { deny: ["secret"] } },
  principals: {
    alice: {
      upstreams: { up: { include: ["whoami", "echo", "greet", "travel", "motd", "city"] } },
      tools: {
        up_echo: {
          name: "say",
          title: "Say",
          description: "Says it back",
          annotations: { readOnlyHint: true },
        },
      },
      prompts: { up_travel: { name: "trip", description: "A trip" } },
      resources: { "memo://motd": { title: "Motto", description: "Words to live by" } },
    },
    bob: {
      upstreams: {
        up: { exclude: ["echo", "greet", "travel", "motd", "city"] },
        tt: { include: ["add"] },
      },
    },
  },
  policy: (principal, _upstream, entry) =>
    principal.id === "carol" && entry.name === "whoami" ? "deny" : "allow",
};

/** The second endpoint: everything of `up`, nothing of `tt`. */
const SECOND: GatewayView = { upstreams: { tt: { include: [] } } };

const as = (user: string) => ({ headers: { authorization: `Bearer down-${user}` } });
const names = (list: { name?: unknown }[]) => list.map((entry) => String(entry.name)).sort();

/** The JSON-RPC error `promise` rejects with. */
async function errorOf(
  promise: Promise<unknown>,
): Promise<{ code: number; message: string; data?: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof McpClientError && error.error !== undefined) {
      return error.error as { code: number; message: string; data?: unknown };
    }
    const sdk = error as { code?: number; message: string; data?: unknown };
    if (typeof sdk.code === "number") {
      return {
        code: sdk.code,
        message: sdk.message.replace(/^MCP error -?\d+: /, ""),
        data: sdk.data,
      };
    }
    throw error;
  }
  assert.fail("expected an error");
}

/** The error of `method` with `params` (the testing client's request). */
const refusalOf = (client: TestClient, method: string, params: Record<string, unknown>) =>
  errorOf(client.request(method, params));

async function withViews(run: (fixture: ViewsFixture) => Promise<void>): Promise<void> {
  const fixture = await startViews(FIRST, SECOND);
  try {
    await run(fixture);
  } finally {
    await fixture.close();
  }
}

describe("gateway views", () => {
  it("two principals see different tools, prompts and resources (SDK clients)", async () => {
    await withViews(async ({ first }) => {
      const alice = await first.connect("alice");
      const bob = await first.connect("bob");
      const aliceTools = (await alice.client.listTools()).tools;
      assert.deepEqual(names(aliceTools), ["say", "tt_add", "up_whoami"]);
      assert.deepEqual(
        names((await bob.client.listTools()).tools),
        [
          "tt_add",
          "up_ask",
          "up_brew",
          "up_forecast",
          "up_increment",
          "up_long",
          "up_roots",
          "up_sample",
          "up_slow",
          "up_whoami",
        ],
      );
      assert.deepEqual(names((await alice.client.listPrompts()).prompts), [
        "trip",
        "tt_plan",
        "up_greet",
      ]);
      assert.deepEqual(names((await bob.client.listPrompts()).prompts), []);
      const aliceResources = (await alice.client.listResources()).resources;
      assert.deepEqual(aliceResources.map((r) => r.uri).sort(), ["memo://motd", "notes://readme"]);
      assert.deepEqual((await bob.client.listResources()).resources, []);
      assert.deepEqual(
        (await alice.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)
          .sort(),
        ["notes://{id}", "weather://{city}"],
      );
      assert.deepEqual((await bob.client.listResourceTemplates()).resourceTemplates, []);
      const motd = aliceResources.find((r) => r.uri === "memo://motd")!;
      assert.equal(motd.title, "Motto");
      assert.equal(motd.description, "Words to live by");
      assert.equal(motd.name, "up_motd");
    });
  });

  it("a hidden tool, prompt, resource, subscription and completion are answered as unknown", async () => {
    await withViews(async ({ first, upstream }) => {
      const bob = await first.connect("bob");
      const never = await errorOf(bob.client.callTool({ name: "up_never", arguments: {} }));
      const hidden = await errorOf(
        bob.client.callTool({ name: "up_echo", arguments: { text: "x" } }),
      );
      assert.equal(hidden.code, never.code);
      assert.equal(hidden.message, never.message.replace("up_never", "up_echo"));
      assert.equal(hidden.code, -32602);

      const neverPrompt = await errorOf(bob.client.getPrompt({ name: "up_nothing" }));
      const hiddenPrompt = await errorOf(
        bob.client.getPrompt({ name: "up_greet", arguments: { name: "x" } }),
      );
      assert.equal(hiddenPrompt.code, neverPrompt.code);
      assert.equal(hiddenPrompt.message, neverPrompt.message.replace("up_nothing", "up_greet"));

      const neverRead = await errorOf(bob.client.readResource({ uri: "memo://nothing" }));
      const hiddenRead = await errorOf(bob.client.readResource({ uri: "memo://motd" }));
      assert.equal(hiddenRead.code, -32002);
      assert.equal(hiddenRead.message, neverRead.message);
      const hiddenTemplateRead = await errorOf(bob.client.readResource({ uri: "weather://Paris" }));
      assert.equal(hiddenTemplateRead.code, -32002);

      const neverSubscribe = await errorOf(bob.client.subscribeResource({ uri: "memo://nothing" }));
      const hiddenSubscribe = await errorOf(bob.client.subscribeResource({ uri: "memo://motd" }));
      assert.equal(hiddenSubscribe.code, neverSubscribe.code);
      assert.equal(hiddenSubscribe.message, neverSubscribe.message);
      const subscribed = [...upstream.record.subscriptions.values()].flatMap((set) => [...set]);
      assert.deepEqual(subscribed, [], "the upstream was never asked");

      const neverComplete = await errorOf(bob.client.complete({
        ref: { type: "ref/prompt", name: "up_nothing" },
        argument: { name: "to", value: "L" },
      }));
      const hiddenComplete = await errorOf(bob.client.complete({
        ref: { type: "ref/prompt", name: "up_travel" },
        argument: { name: "to", value: "L" },
      }));
      assert.equal(hiddenComplete.code, neverComplete.code);
      assert.equal(
        hiddenComplete.message,
        neverComplete.message.replace("up_nothing", "up_travel"),
      );
      const neverTemplate = await errorOf(bob.client.complete({
        ref: { type: "ref/resource", uri: "nothing://{x}" },
        argument: { name: "x", value: "" },
      }));
      const hiddenTemplate = await errorOf(bob.client.complete({
        ref: { type: "ref/resource", uri: "weather://{city}" },
        argument: { name: "city", value: "P" },
      }));
      assert.deepEqual(hiddenTemplate, neverTemplate);

      // Positive control: alice sees what bob does not, through the same endpoint.
      const alice = await first.connect("alice");
      const completed = await alice.client.complete({
        ref: { type: "ref/resource", uri: "weather://{city}" },
        argument: { name: "city", value: "P" },
      });
      assert.deepEqual(completed.completion.values, ["Paris", "Prague", "Porto"]);
      await alice.client.subscribeResource({ uri: "memo://motd" });
      await waitFor(
        () => [...upstream.record.subscriptions.values()].some((set) => set.has("memo://motd")),
        "alice's subscription reaches the upstream",
      );
    });
  });

  it("a denied entry is refused with -32602 and reason denied, and never listed", async () => {
    await withViews(async ({ first }) => {
      const alice = await first.connect("alice");
      const denied = await errorOf(alice.client.callTool({ name: "tt_secret", arguments: {} }));
      assert.equal(denied.code, -32602);
      assert.equal(denied.message, "Tool not permitted: tt_secret");
      assert.deepEqual(denied.data, { reason: "denied" });
      const carol = await first.connect("carol");
      const tools = names((await carol.client.listTools()).tools);
      assert.ok(!tools.includes("up_whoami") && !tools.includes("tt_secret"), String(tools));
      assert.ok(tools.includes("up_echo"), "the policy denies only whoami");
      const policyDenied = await errorOf(
        carol.client.callTool({ name: "up_whoami", arguments: {} }),
      );
      assert.deepEqual(policyDenied.data, { reason: "denied" });
      assert.equal(
        textOf(await carol.client.callTool({ name: "up_echo", arguments: { text: "hi" } })),
        "hi",
      );
    });
  });

  it("renamed and described entries are listed and used by the new name only", async () => {
    await withViews(async ({ first }) => {
      const alice = await first.connect("alice");
      const say = (await alice.client.listTools()).tools.find((tool) => tool.name === "say")!;
      assert.equal(say.title, "Say");
      assert.equal(say.description, "Says it back");
      assert.deepEqual(say.annotations, { readOnlyHint: true });
      assert.equal(
        textOf(await alice.client.callTool({ name: "say", arguments: { text: "hey" } })),
        "hey",
      );
      const old = await errorOf(
        alice.client.callTool({ name: "up_echo", arguments: { text: "x" } }),
      );
      assert.equal(old.message, "Unknown tool: up_echo");

      const trip = (await alice.client.listPrompts()).prompts.find((p) => p.name === "trip")!;
      assert.equal(trip.description, "A trip");
      const got = await alice.client.getPrompt({ name: "trip", arguments: { to: "Lisbon" } });
      assert.deepEqual(got.messages[0].content, { type: "text", text: "Go to Lisbon" });
      assert.equal(
        (await errorOf(alice.client.getPrompt({ name: "up_travel", arguments: { to: "x" } }))).code,
        -32602,
      );
      const completed = await alice.client.complete({
        ref: { type: "ref/prompt", name: "trip" },
        argument: { name: "to", value: "L" },
      });
      assert.deepEqual(completed.completion.values, ["Lisbon", "London"]);
      const oldRef = await errorOf(alice.client.complete({
        ref: { type: "ref/prompt", name: "up_travel" },
        argument: { name: "to", value: "L" },
      }));
      assert.equal(oldRef.message, "Unknown prompt: up_travel");

      // Bob, on the same endpoint, has no renames.
      const bob = await first.connect("bob");
      assert.equal(textOf(await bob.client.callTool({ name: "tt_add", arguments: {} })), "sum");
      assert.equal(
        (await errorOf(bob.client.callTool({ name: "say", arguments: {} }))).code,
        -32602,
      );
    });
  });

  for (const era of ["2025", "2026"] as const) {
    it(`the ${era} era: lists, calls, reads and completions through the view`, async () => {
      await withViews(async ({ first, second }) => {
        const alice = await connect(first.handler, { era, ...as("alice") });
        const bob = await connect(first.handler, { era, ...as("bob") });
        try {
          assert.deepEqual(names((await alice.listTools()).tools), ["say", "tt_add", "up_whoami"]);
          assert.equal(textOf({ ...(await alice.callTool("say", { text: "yo" })).result }), "yo");
          const hidden = await errorOf(bob.callTool("up_echo", { text: "x" }));
          assert.deepEqual([hidden.code, hidden.message], [-32602, "Unknown tool: up_echo"]);
          const denied = await errorOf(alice.callTool("tt_secret"));
          assert.deepEqual(denied.data, { reason: "denied" });
          const read = await alice.request<{ contents: { text: string }[] }>("resources/read", {
            uri: "notes://12",
          });
          assert.equal(read.result.contents[0].text, "note notes://12");
          // Each era answers an unknown URI in its own way (-32002; -32602 in 2026-07-28).
          const never = await refusalOf(bob, "resources/read", { uri: "nothing://12" });
          const hiddenRead = await refusalOf(bob, "resources/read", { uri: "notes://12" });
          assert.deepEqual([hiddenRead.code, hiddenRead.message], [never.code, never.message]);
          assert.equal(never.code, era === "2025" ? -32002 : -32602);
          const completed = await alice.request<{ completion: { values: string[] } }>(
            "completion/complete",
            {
              ref: { type: "ref/resource", uri: "notes://{id}" },
              argument: { name: "id", value: "1" },
            },
          );
          assert.deepEqual(completed.result.completion.values, ["1", "12"]);
          const hiddenComplete = await refusalOf(bob, "completion/complete", {
            ref: { type: "ref/resource", uri: "notes://{id}" },
            argument: { name: "id", value: "1" },
          });
          assert.equal(hiddenComplete.message, "Unknown resource reference");
          const prompts = await alice.request<{ prompts: Record<string, unknown>[] }>(
            "prompts/list",
          );
          assert.deepEqual(names(prompts.result.prompts), ["trip", "tt_plan", "up_greet"]);
        } finally {
          await alice.close();
          await bob.close();
        }
        // The second endpoint's view: no tt entries for anyone.
        const carol = await connect(second.handler, { era, ...as("carol") });
        try {
          const tools = names((await carol.listTools()).tools);
          assert.ok(tools.includes("up_echo") && !tools.some((name) => name.startsWith("tt_")));
          assert.equal((await errorOf(carol.callTool("tt_add"))).message, "Unknown tool: tt_add");
        } finally {
          await carol.close();
        }
      });
    });
  }

  it("two endpoints share the caps: maxSessionsPerPrincipal counts across both", async () => {
    const fixture = await startViews(FIRST, SECOND, { maxSessionsPerPrincipal: 1 });
    try {
      const alice = await fixture.first.connect("alice");
      assert.ok(textOf(await alice.client.callTool({ name: "up_whoami", arguments: {} })) !== "");
      await assert.rejects(
        rawInitialize(fixture.second.url, { headers: { authorization: "Bearer down-alice" } }),
        /initialize failed: 429/,
        "her session on the first endpoint holds her share",
      );
      const bob = await fixture.second.connect("bob");
      assert.ok(textOf(await bob.client.callTool({ name: "up_whoami", arguments: {} })) !== "");
      assert.equal(fixture.gateway.stats().upstreamSessions, 2);
    } finally {
      await fixture.close();
    }
  });

  it("a list_changed reread keeps the views applied on both endpoints", async () => {
    await withViews(async ({ first, second, upstream }) => {
      const alice = await first.connect("alice");
      const bob = await first.connect("bob");
      const carol = await second.connect("carol");
      upstream.addTool("later");
      await waitFor(
        async () => names((await bob.client.listTools()).tools).includes("up_later"),
        "bob sees the new tool",
      );
      await waitFor(
        async () => names((await carol.client.listTools()).tools).includes("up_later"),
        "the second endpoint serves it too",
      );
      assert.deepEqual(
        names((await alice.client.listTools()).tools),
        ["say", "tt_add", "up_whoami"],
        "alice's include list still hides it, her rename still holds",
      );
      assert.equal(
        textOf(await alice.client.callTool({ name: "say", arguments: { text: "again" } })),
        "again",
      );
      assert.equal(
        (await errorOf(alice.client.callTool({ name: "up_later", arguments: {} }))).code,
        -32602,
      );
      assert.ok(
        !names((await carol.client.listTools()).tools).some((name) => name.startsWith("tt_")),
      );
    });
  });
});
