/**
 * The gateway on workerd in front of a 2026-07-28-only upstream (tether's
 * own handler, tests/e2e/gateway/modern_upstream.ts, on a loopback port):
 * the gateway Worker (gateway_boundaries_worker.ts, in a Durable Object,
 * served by scripts/workerd_fixture.sh) negotiates 2026-07-28 with it, and,
 * once the upstream refused the session's own 2025 upstream session, an
 * official SDK client's call, and an eliciting call's round carried to the
 * client's session, reach it in requests of their own. The same on Node,
 * Deno and Bun: tests/e2e/gateway/modern_upstream_test.ts.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/types.d.ts"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { connectClient, type SdkConnection, textOf, WAIT_MS } from "../interop/helpers.ts";
import { within } from "../../helpers.ts";
import { type ModernUpstream, startModernUpstream } from "../gateway/modern_upstream.ts";
import { startWorkerdFixture, type WorkerdFixture, workerdSkip } from "./workerd_fixture.ts";

describe("workerd: a gateway in front of a 2026-07-28-only upstream", { skip: workerdSkip }, () => {
  let upstream: ModernUpstream;
  let fixture: WorkerdFixture;
  let connection: SdkConnection;
  before(async () => {
    upstream = await startModernUpstream({ legacy: false });
    fixture = await startWorkerdFixture("durable-object", {
      WORKER_ENTRY: "tests/e2e/edge/gateway_boundaries_worker.ts",
      WORKER_CONDITIONS: "workerd,worker,browser",
      ALLOW_LOOPBACK: "1",
      UPSTREAM_URL: `${upstream.url}/mcp#up`,
    });
    connection = await connectClient(fixture.url, {
      token: "down-alice",
      capabilities: { elicitation: {} },
      setup: (client) =>
        client.setRequestHandler(ElicitRequestSchema, () => ({
          action: "accept",
          content: { name: "Ada" },
        })),
    });
  });
  after(async () => {
    await connection?.transport.terminateSession().catch(() => {});
    await connection?.close().catch(() => {});
    await fixture?.stop();
    await upstream?.close();
  });

  it("a call, and an eliciting call's round, reach the upstream in 2026-07-28 requests", async () => {
    const call = (name: string, args: Record<string, unknown> = {}) =>
      within(connection.client.callTool({ name, arguments: args }), WAIT_MS, `the call of ${name}`);
    const echoed = await call("up_echo", { text: "edge" });
    assert.equal(textOf(echoed), "echo:edge", `${JSON.stringify(echoed)}\n${fixture.output()}`);
    const asked = await call("up_ask");
    assert.equal(textOf(asked), "accept:Ada", `${JSON.stringify(asked)}\n${fixture.output()}`);
    const { methods, versions } = upstream.record;
    assert.equal(methods[0], "server/discover", methods.join(", "));
    assert.ok(versions.every((version) => version === "2026-07-28"), versions.join(", "));
    assert.equal(upstream.record.initializes, 1, "the session's own 2025 session, refused once");
    assert.deepEqual(upstream.record.capabilities.at(-1), { elicitation: {} });
    assert.ok(upstream.record.authorizations.every((value) => !value.includes("down-")));
  });
});
