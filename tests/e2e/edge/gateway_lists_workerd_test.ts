/**
 * The gateway's lists and relay bounds on workerd, over HTTP upstreams:
 * tests/e2e/edge/gateway_lists_worker.ts (a tether gateway in a Durable
 * Object beside a local tool and resource, served by
 * scripts/workerd_fixture.sh) in front of hostile upstreams the test serves
 * on loopback. A reread that would take the local tool's name or the local
 * resource's URI scheme is refused whole, twice, and the local entries keep
 * answering; a swap to 2,000 tools is one `tools/list_changed` per
 * listening session; a call that floods progress, logs and elicitations
 * gets at most the per-call bounds (300 progress notifications and 300
 * logs against bounds of 50: fewer than the Node test's 1,000 each, as
 * workerd relays them more slowly). The same on Node, Deno and Bun:
 * tests/e2e/gateway/lists_collisions_test.ts, lists_notifications_test.ts,
 * relay_bounds_test.ts.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connectClient, type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import {
  changeUntilHeard,
  type Heard,
  type HostileUpstream,
  listening,
  localsAnswer,
  startHostileUpstream,
} from "../gateway/lists_hostile_upstream.ts";
import { assertFloodCapped } from "../gateway/relay_flood.ts";
import { type RelayUpstream, startRelayUpstream } from "../gateway/relay_upstream.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

/** The lists Worker in front of `url`, its fragment naming the upstream. */
const startGateway = (url: string): Promise<WorkerdFixture> =>
  startWorkerdFixture("durable-object", {
    WORKER_ENTRY: "tests/e2e/edge/gateway_lists_worker.ts",
    WORKER_CONDITIONS: "workerd,worker,browser",
    ALLOW_LOOPBACK: "1",
    UPSTREAM_URL: url,
  });

/** What the gateway's `onError` was told so far. */
async function errorsOf(fixture: WorkerdFixture): Promise<string[]> {
  return await (await fetch(fixture.url.replace(/\/mcp$/, "/__errors"))).json();
}

/** Ends each session with DELETE first (workerd drains a session left without one slowly). */
async function closeAll(connections: SdkConnection[]): Promise<void> {
  for (const connection of connections) {
    await connection.transport.terminateSession().catch(() => {});
    await connection.close().catch(() => {});
  }
}

describe("workerd: a gateway's lists against a hostile upstream", { skip: workerdSkip }, () => {
  let upstream: HostileUpstream;
  let fixture: WorkerdFixture;
  const connections: SdkConnection[] = [];
  before(async () => {
    upstream = await startHostileUpstream({ tools: ["hello"], resources: ["evil://r"] });
    fixture = await startGateway(`${upstream.url}#evil`);
  });
  after(async () => {
    await closeAll(connections);
    await fixture?.stop();
    await upstream?.close();
  });

  const toolNames = async (connection: SdkConnection) =>
    (await connection.client.listTools()).tools.map((tool) => tool.name).sort();
  const resourceUris = async (connection: SdkConnection) =>
    (await connection.client.listResources()).resources.map((r) => r.uri).sort();

  it("rereads that collide with the local tool or resource are refused whole; the locals answer", async () => {
    const connection = await connectClient(fixture.url);
    connections.push(connection);
    assert.deepEqual(await toolNames(connection), ["evil_hello", "evil_secret"]);
    for (const round of [1, 2]) {
      const before = (await errorsOf(fixture)).length;
      const refused = async (pattern: RegExp, what: string) =>
        await waitFor(
          async () => (await errorsOf(fixture)).slice(before).some((error) => pattern.test(error)),
          `${what}\n${fixture.output()}`,
          30_000,
        );
      upstream.setTools(["hello", "secret", `other${round}`]);
      await refused(/offers tool evil_secret, a tool of the handler/, `reread ${round} refused`);
      upstream.setResources(["evil://r", "local://secret", `local://other${round}`]);
      await refused(/offers resource local:\/\/secret, in the URI/, `reread ${round} refused`);
      assert.deepEqual(await toolNames(connection), ["evil_hello", "evil_secret"], "nothing moved");
      assert.deepEqual(await resourceUris(connection), ["evil://r", "local://secret"]);
      await localsAnswer(connection);
      assert.equal(
        textOf(await connection.client.callTool({ name: "evil_hello", arguments: {} })),
        "upstream hello got {}",
        "the upstream's old entries still answer",
      );
    }
  });

  it("a swap to 2,000 tools: one tools/list_changed per listening session", async () => {
    const sessions: Heard[] = [];
    for (let i = 0; i < 2; i++) {
      const { heard, connection } = await listening((options) =>
        connectClient(fixture.url, options)
      );
      connections.push(connection);
      sessions.push(heard);
    }
    await changeUntilHeard(
      (round) => upstream.setTools(["hello", `warm${round}`]),
      () => sessions.every((heard) => heard.tools >= 1),
      "the warm-up heard",
    );
    upstream.setResources(["evil://flush"]);
    await waitFor(() => sessions.every((heard) => heard.resources >= 1), "the flush heard", 30_000);
    for (const heard of sessions) Object.assign(heard, { tools: 0, prompts: 0, resources: 0 });

    upstream.setTools(Array.from({ length: 2_000 }, (_, index) => `tool${index}`));
    await waitFor(() => sessions.every((heard) => heard.tools >= 1), "the swap heard", 60_000);
    upstream.setResources(["evil://sentinel"]);
    await waitFor(
      () => sessions.every((heard) => heard.resources >= 1),
      "the sentinel heard",
      60_000,
    );
    assert.deepEqual(sessions.map((heard) => heard.tools), [1, 1]);
    assert.deepEqual(sessions.map((heard) => heard.resources), [1, 1]);
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await connections[0].client.listTools({ cursor });
      names.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    assert.ok(names.includes("evil_tool1999"), `${names.length} tools listed`);
  });
});

describe("workerd: a gateway's relay bounds against a flooding upstream", {
  skip: workerdSkip,
}, () => {
  let upstream: RelayUpstream;
  let fixture: WorkerdFixture;
  before(async () => {
    upstream = await startRelayUpstream();
    fixture = await startGateway(`${upstream.url}/mcp#up`);
  });
  after(async () => {
    await fixture?.stop();
    await upstream?.close();
  });

  it("a flood of progress, logs and elicitations in one call is capped, the excess counted", async () => {
    await assertFloodCapped(upstream, (request) => fetch(request), {
      count: 300,
      url: fixture.url,
      headers: { authorization: "Bearer down-alice" },
      dropped: async () =>
        (await (await fetch(fixture.url.replace(/\/mcp$/, "/__stats"))).json()).relaysDropped,
    });
  });
});
