/**
 * The era a gateway speaks to an upstream of both eras follows its caller's
 * (issue 80): examples/gateway.ts with its default `UPSTREAM_PROTOCOL`
 * ("auto") in front of examples/everything.ts, over HTTP and (UPSTREAM_STDIO=1)
 * as a stdio subprocess, both run as processes. A 2025 session gets a 2025
 * upstream session of its own: the fixture's `increment`, which keeps its
 * counter in the upstream session, counts 1, 2, 3… for each downstream
 * session apart. A 2026-07-28 request reaches the upstream in 2026-07-28,
 * where `increment` has no session to count in.
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { connect } from "../../../src/testing/mod.ts";
import { connectClient, type SdkConnection, textOf } from "../interop/helpers.ts";
import { BINARIES, type Example, startExample, stopExamples } from "../examples/example_process.ts";

const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/mcp/;

/** examples/gateway.ts with `env` (no `UPSTREAM_PROTOCOL`: the default). */
function startGateway(env: Record<string, string>): Promise<Example> {
  return startExample(BINARIES.node24, ["examples/gateway.ts"], URL_PATTERN, env);
}

/** What `increment` answered `client`, `times` times in a row. */
async function increments(client: SdkConnection, tool: string, times: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < times; i++) {
    const result = await client.client.callTool({ name: tool, arguments: {} });
    answers.push(result.isError === true ? `error: ${textOf(result)}` : textOf(result));
  }
  return answers;
}

/** Two 2025 sessions count apart; a 2026-07-28 request is answered as one without a session. */
async function assertErasKept(gateway: Example, prefix: string): Promise<void> {
  const increment = `${prefix}_increment`;
  const a = await connectClient(gateway.url);
  const b = await connectClient(gateway.url);
  try {
    assert.deepEqual(await increments(a, increment, 3), ["1", "2", "3"], gateway.output());
    assert.deepEqual(await increments(b, increment, 2), ["1", "2"], gateway.output());
    assert.deepEqual(await increments(a, increment, 1), ["4"], gateway.output());
  } finally {
    await a.close();
    await b.close();
  }
  const modern = await connect((request) => fetch(request), { era: "2026", url: gateway.url });
  try {
    const simple = await modern.callTool(`${prefix}_test_simple_text`);
    assert.equal(
      textOf(simple.result as never),
      "This is a simple text response for testing.",
      JSON.stringify(simple.result),
    );
    // Only a request without a session (2026-07-28) gets this answer from the upstream.
    const { result } = await modern.callTool(increment);
    assert.equal((result as { isError?: boolean }).isError, true, JSON.stringify(result));
    assert.match(textOf(result as never), /connect with a 2025 revision/);
  } finally {
    await modern.close();
  }
}

describe('examples/gateway.ts ("auto") in front of examples/everything.ts', () => {
  afterEach(async () => {
    await stopExamples();
  });

  it("over HTTP: each 2025 session counts its own increments; 2026-07-28 stays 2026-07-28", async () => {
    const upstream = await startExample(
      BINARIES.node24,
      ["examples/everything.ts"],
      URL_PATTERN,
    );
    const gateway = await startGateway({ UPSTREAM_URL: upstream.url });
    await assertErasKept(gateway, "upstream");
  });

  it("over stdio: each 2025 session counts its own increments; 2026-07-28 stays 2026-07-28", async () => {
    const gateway = await startGateway({ UPSTREAM_STDIO: "1" });
    await assertErasKept(gateway, "everything");
  });
});
