/**
 * The gateway in front of stdio upstreams that serve 2026-07-28 (tether's
 * `serveStdio`: stdio_modern_server.ts and examples/stdio.ts, run on the
 * test's runtime), official SDK clients downstream over HTTP (v1 at
 * 2025-11-25, v2 pinned to 2026-07-28): spoken to in 2026-07-28 (the
 * process never sees `initialize`), it runs one process per principal shared
 * by that principal's requests, relays progress and `input_required`
 * rounds both ways, cancels the upstream tool when the caller drops the
 * call, fans the listen stream's list changes in, closes idle processes and
 * keeps the process caps; an SDK 1.x stdio server (2025 only) falls back;
 * with `"auto"`, a 2025 session in front of a server of both eras
 * (examples/stdio.ts) gets a 2025 process of its own, its session state too.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import { alive } from "./runtime_command.ts";
import { startStdioModernRig, type StdioModernRig } from "./stdio_modern_rig.ts";

const EXAMPLE = fileURLToPath(new URL("../../../examples/stdio.ts", import.meta.url));
const SDK_SERVER = fileURLToPath(new URL("./stdio_bounded_server.ts", import.meta.url));

/** The methods the process that answers `client` was sent. */
async function methodsOf(rig: StdioModernRig, client: SdkConnection): Promise<string[]> {
  return JSON.parse(await rig.text(client, "up_methods"));
}

/**
 * The requests `client`'s process was sent were 2026-07-28 ones: no
 * `initialize`, no upstream session held by the gateway.
 */
async function assertModern(rig: StdioModernRig, client: SdkConnection): Promise<void> {
  const methods = await methodsOf(rig, client);
  assert.ok(!methods.includes("initialize"), String(methods));
  assert.equal(rig.gateway.stats().upstreamSessions, 0, "no 2025 upstream session");
}

/** `steps` called by `client` with `tag`: its answer and the progress messages it saw. */
async function steps(client: SdkConnection, tag: string, n: number) {
  const seen: string[] = [];
  const result = await client.client.callTool(
    { name: "up_steps", arguments: { n, tag } },
    undefined,
    { onprogress: (event) => void seen.push(`${event.progress}:${event.message}`) },
  );
  return { text: textOf(result), seen };
}

describe("gateway in front of a 2026-07-28 stdio upstream", () => {
  let rig: StdioModernRig;
  before(async () => {
    rig = await startStdioModernRig();
  });
  after(async () => {
    await rig?.close();
  });

  it("negotiates 2026-07-28: lists and calls in requests of their own, never initialize", async () => {
    assert.ok(rig.handler.tools.list().some((tool) => tool.name === "up_steps"));
    const old = await rig.legacy("alice");
    const listed = await old.client.listTools();
    assert.ok(listed.tools.some((tool) => tool.name === "up_ask"));
    assert.equal(await rig.text(old, "up_token"), "up-alice", "the caller's credentials");
    const methods = await methodsOf(rig, old);
    assert.ok(methods.includes("tools/call"), String(methods));
    assert.ok(!methods.includes("initialize"), String(methods));
    assert.equal(rig.gateway.stats().upstreamSessions, 0, "no 2025 session held");
    const modern = await rig.modern("alice");
    assert.equal(await rig.text(modern, "up_token"), "up-alice");
    assert.equal(await rig.pid(modern), await rig.pid(old), "one process for alice, both eras");
  });

  it("relays progress to the caller", async () => {
    const old = await rig.legacy("alice");
    const { text, seen } = await steps(old, "p", 3);
    assert.equal(text, "p");
    assert.deepEqual(seen, ["1:p", "2:p", "3:p"]);
    await assertModern(rig, old);
  });

  it("an input_required round reaches a 2025 session as a request, and a 2026 client as a round", async () => {
    const old = await rig.legacy("alice", "Ada");
    assert.equal(await rig.text(old, "up_ask"), "accept:Ada-name");
    await assertModern(rig, old);
    const modern = await rig.modern("bob", "Bo");
    assert.equal(await rig.text(modern, "up_ask"), "accept:Bo-name");
  });

  it("a call the caller drops cancels the upstream tool (its signal fires)", async () => {
    const old = await rig.legacy("carol");
    const before = Number(await rig.text(old, "up_aborted"));
    const controller = new AbortController();
    const call = old.client.callTool({ name: "up_slow", arguments: {} }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort(),
    });
    await assert.rejects(call);
    await waitFor(
      async () => Number(await rig.text(old, "up_aborted")) === before + 1,
      "the upstream tool's signal fired",
    );
    await assertModern(rig, old);
  });

  it("two principals get two processes; concurrent calls' answers and progress never cross", async () => {
    const [a1, a2, b1] = [
      await rig.legacy("dora"),
      await rig.legacy("dora"),
      await rig.legacy("eve"),
    ];
    const [doraPid, doraAgain, evePid] = [await rig.pid(a1), await rig.pid(a2), await rig.pid(b1)];
    assert.equal(doraPid, doraAgain, "one process for one principal's sessions");
    assert.notEqual(doraPid, evePid, "a process per principal");
    assert.equal(await rig.text(b1, "up_token"), "up-eve");
    const runs = await Promise.all([
      steps(a1, "dora-1", 8),
      steps(a2, "dora-2", 8),
      steps(b1, "eve-1", 8),
      steps(a1, "dora-3", 8),
    ]);
    for (const [index, tag] of ["dora-1", "dora-2", "eve-1", "dora-3"].entries()) {
      assert.equal(runs[index].text, tag);
      assert.deepEqual(runs[index].seen, [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${n}:${tag}`));
    }
  });

  it("a log message reaches the one call asking; with two calls in flight it is dropped, counted", async () => {
    const logs: unknown[] = [];
    const old = await rig.legacy("fred");
    old.client.setNotificationHandler(
      LoggingMessageNotificationSchema,
      (notification) => void logs.push(notification.params.data),
    );
    await old.client.setLoggingLevel("info");
    assert.equal(await rig.text(old, "up_log"), "ok");
    await waitFor(() => logs.length === 1, "the log message relayed");
    assert.deepEqual(logs, ["logged"]);
    const dropped = rig.gateway.stats().relaysDropped;
    const controller = new AbortController();
    let running = false;
    const slow = old.client.callTool({ name: "up_slow", arguments: {} }, undefined, {
      signal: controller.signal,
      onprogress: () => void (running = true),
    });
    slow.catch(() => {});
    // The slow call is in flight (its progress came); then one log, two askers: whose is it?
    await waitFor(() => running, "the slow call runs");
    assert.equal(await rig.text(old, "up_log"), "ok");
    assert.equal(rig.gateway.stats().relaysDropped, dropped + 1, "dropped and counted");
    assert.deepEqual(logs, ["logged"], "delivered to no one");
    controller.abort();
    await assert.rejects(slow);
    await assertModern(rig, old);
  });

  it("a process that dies mid-call fails the call; the next call opens a new one", async () => {
    const old = await rig.legacy("gus");
    const first = await rig.pid(old);
    const died = await old.client.callTool({ name: "up_die", arguments: {} });
    assert.equal(died.isError, true, JSON.stringify(died));
    assert.equal(textOf(died), 'Upstream "up" is unavailable');
    await waitFor(() => !alive(first), "the process is gone");
    const second = await rig.pid(old);
    assert.notEqual(second, first);
    await assertModern(rig, old);
  });

  it("a list change on the discovery process's listen stream reaches the downstream lists", async () => {
    const old = await rig.legacy("alice");
    rig.change();
    await waitFor(
      () => rig.handler.tools.list().some((tool) => tool.name === "up_added"),
      "the gateway lists up_added",
    );
    const listed = await old.client.listTools();
    assert.ok(listed.tools.some((tool) => tool.name === "up_added"));
    await assertModern(rig, old);
  });
});

describe("gateway: 2026-07-28 stdio processes, closed when idle and capped", () => {
  it("an idle process is ended after stdioIdleCloseMs; the next call opens a new one", async () => {
    const rig = await startStdioModernRig({ stdioIdleCloseMs: 300 });
    try {
      const old = await rig.legacy("alice");
      const first = await rig.pid(old);
      assert.equal(rig.gateway.stats().upstreamProcesses, 1);
      await waitFor(
        () => !alive(first) && rig.gateway.stats().upstreamProcesses === 0,
        "the idle process ended",
      );
      const second = await rig.pid(old);
      assert.notEqual(second, first, "a new process");
      assert.equal(rig.gateway.stats().upstreamProcesses, 1);
      await assertModern(rig, old);
    } finally {
      await rig.close();
    }
  });

  it("caps processes in all; anonymous callers share one process", async () => {
    const rig = await startStdioModernRig({ maxProcesses: 2 });
    try {
      const [anon1, anon2] = [await rig.legacy(), await rig.modern()];
      assert.equal(await rig.pid(anon1), await rig.pid(anon2), "one anonymous process");
      assert.equal(await rig.text(anon1, "up_token"), "up-anonymous");
      const alice = await rig.legacy("alice");
      await rig.pid(alice);
      assert.equal(rig.gateway.stats().upstreamProcesses, 2);
      const bob = await rig.legacy("bob");
      const refused = await bob.client.callTool({ name: "up_pid", arguments: {} });
      assert.equal(refused.isError, true, JSON.stringify(refused));
      assert.match(
        textOf(refused),
        /The gateway runs its limit of 2 upstream processes; retry after 5s/,
      );
    } finally {
      await rig.close();
    }
  });

  it("caps one principal's processes across stdio upstreams", async () => {
    const rig = await startStdioModernRig({ maxProcessesPerPrincipal: 1 }, {}, ["a", "b"]);
    try {
      const alice = await rig.legacy("alice");
      await rig.pid(alice, "a_pid");
      const refused = await alice.client.callTool({ name: "b_pid", arguments: {} });
      assert.equal(refused.isError, true, JSON.stringify(refused));
      assert.match(textOf(refused), /Too many upstream processes for this caller \(limit 1\)/);
      const bob = await rig.legacy("bob");
      await rig.pid(bob, "b_pid");
      assert.equal(rig.gateway.stats().upstreamSessions, 0, "no 2025 upstream session");
    } finally {
      await rig.close();
    }
  });
});

describe("gateway: the revision a stdio upstream is spoken to in", () => {
  it('examples/stdio.ts with "auto": a 2025 session gets a 2025 process of its own, its session state its own; 2026-07-28 stays 2026-07-28', async () => {
    const rig = await startStdioModernRig({}, {}, ["everything"], EXAMPLE);
    try {
      const old = await rig.legacy("alice");
      const tools = await old.client.listTools();
      assert.ok(tools.tools.some((tool) => tool.name === "everything_test_simple_text"));
      const simple = await rig.text(old, "everything_test_simple_text");
      assert.equal(simple, "This is a simple text response for testing.");
      const progress: number[] = [];
      const stepped = await old.client.callTool(
        { name: "everything_test_tool_with_progress", arguments: {} },
        undefined,
        { onprogress: (event) => void progress.push(event.progress) },
      );
      assert.equal(textOf(stepped), "Tool with progress executed successfully");
      assert.ok(progress.length > 0, "progress crosses the gateway");
      assert.equal(rig.gateway.stats().upstreamSessions, 1, "alice's session's own");
      // The upstream keeps the counter in its session: each downstream session counts its own.
      const other = await rig.legacy("alice");
      const counts: string[] = [];
      for (const client of [old, old, other, old, other]) {
        counts.push(await rig.text(client, "everything_increment"));
      }
      assert.deepEqual(counts, ["1", "2", "1", "3", "2"]);
      assert.equal(rig.gateway.stats().upstreamSessions, 2);
      // A 2026-07-28 request goes in 2026-07-28: the counter needs a session there.
      const modern = await rig.modern("bob");
      assert.equal(await rig.text(modern, "everything_test_simple_text"), simple);
      await assert.rejects(rig.text(modern, "everything_increment"), /2025 revision/);
      assert.equal(rig.gateway.stats().upstreamSessions, 2, "no session for it");
    } finally {
      await rig.close();
    }
  });

  it('protocol "auto" falls back to 2025 sessions with an SDK 1.x stdio server', async () => {
    const rig = await startStdioModernRig({}, {}, ["local"], SDK_SERVER);
    try {
      assert.deepEqual(rig.gateway.stats().unavailable, []);
      const old = await rig.legacy("alice");
      await rig.pid(old, "local_pid");
      assert.equal(rig.gateway.stats().upstreamSessions, 1, "a 2025 session");
      const modern = await rig.modern("bob");
      await rig.pid(modern, "local_pid");
      assert.equal(rig.gateway.stats().upstreamSessions, 2);
    } finally {
      await rig.close();
    }
  });

  it("a request over the upstream's maxMessageBytes is refused as the upstream being unavailable", async () => {
    const rig = await startStdioModernRig({}, { maxMessageBytes: 16_384 });
    try {
      const old = await rig.legacy("alice");
      const refused = await old.client.callTool({
        name: "up_steps",
        arguments: { n: 1, tag: "x".repeat(20_000) },
      });
      assert.equal(refused.isError, true, JSON.stringify(refused));
      assert.equal(textOf(refused), 'Upstream "up" is unavailable');
      assert.equal(await rig.text(old, "up_steps", { n: 1, tag: "small" }), "small");
    } finally {
      await rig.close();
    }
  });

  it('protocol "2025" never asks; "2026-07-28" never falls back', async () => {
    const pinned = await startStdioModernRig({}, { protocol: "2025" });
    try {
      const old = await pinned.legacy("alice");
      const methods = await methodsOf(pinned, old);
      assert.equal(methods[0], "initialize", String(methods));
      assert.ok(!methods.includes("server/discover"), String(methods));
      assert.equal(pinned.gateway.stats().upstreamSessions, 1);
    } finally {
      await pinned.close();
    }
    const forced = await startStdioModernRig({}, { protocol: "2026-07-28" }, ["local"], SDK_SERVER);
    try {
      assert.deepEqual(forced.gateway.stats().unavailable, ["local"]);
    } finally {
      await forced.close();
    }
  });
});
