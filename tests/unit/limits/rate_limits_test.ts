/**
 * The `rateLimits` option through the handler, both eras: a budget per
 * principal (after authentication; another principal is not affected), a
 * budget per (principal, tool) at `tools/call` (another tool is not
 * affected), the 429's headers (Retry-After, RateLimit-Policy, RateLimit)
 * and JSON-RPC body, refill by the injected clock, a batch, and a failing
 * store answering 503 (fail closed, reported once per outage).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  defineTool,
  type McpEvent,
  type McpHandler,
  type McpHandlerOptions,
} from "../../../mod.ts";
import type { RateLimitStore } from "../../../src/storage/mod.ts";
import {
  assertHttpError,
  bodilessRequest,
  initialize,
  makeHandler,
  postRequest,
  readAnswer,
  rpc,
  TestClock,
  type TestSession,
} from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";

const runs: string[] = [];
function tool(name: string) {
  return defineTool({
    name,
    description: `The ${name} tool`,
    handler: () => {
      runs.push(name);
      return { content: [{ type: "text" as const, text: name }] };
    },
  });
}

const authenticate = (request: Request) => {
  const user = request.headers.get("x-user");
  return user === null ? undefined : { id: user };
};

function handlerWith(
  rateLimits: NonNullable<McpHandlerOptions["limits"]>["rateLimits"],
  extra: Partial<McpHandlerOptions> = {},
) {
  const clock = new TestClock(1_700_000_000_000);
  const handler = makeHandler({
    tools: [tool("search"), tool("fetch"), tool("ping")],
    now: clock.now,
    ...extra,
    auth: {
      authenticate,
      ...extra?.auth,
    },
    limits: {
      rateLimits,
      ...extra?.limits,
    },
  });
  return { handler, clock };
}

/** A 2026-07-28 tools/call of `name` as `user`. */
function modernCall(handler: McpHandler, user: string, name: string, id: number | string = 1) {
  return handler(
    modernRequest("tools/call", { name, arguments: {} }, { id, headers: { "x-user": user } }),
  );
}

/** A sessionful tools/call of `name` on `session`. */
function legacyCall(handler: McpHandler, session: TestSession, name: string, id = 1) {
  return handler(postRequest(
    { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } },
    { sessionId: session.id, protocolVersion: session.protocolVersion, headers: session.headers },
  ));
}

async function assertLimited(
  response: Response,
  policy: string,
  expected: { id?: number | string | null; retryAfter: string; q: number; w: number },
) {
  assert.equal(response.headers.get("retry-after"), expected.retryAfter);
  assert.equal(
    response.headers.get("ratelimit-policy"),
    `"${policy}";q=${expected.q};w=${expected.w}`,
  );
  assert.equal(response.headers.get("ratelimit"), `"${policy}";r=0;t=${expected.retryAfter}`);
  await assertHttpError(response, 429, {
    code: -32004,
    id: expected.id,
    message: new RegExp(`${policy} rate limit`),
  });
}

describe("rateLimits.perPrincipal", () => {
  it("2026-07-28: one principal's budget spent, another principal is served", async () => {
    const { handler } = handlerWith({ perPrincipal: { limit: 2, windowSeconds: 60 } });
    try {
      const first = await modernCall(handler, "alice", "search");
      assert.equal(first.status, 200);
      assert.equal(first.headers.get("ratelimit-policy"), '"principal";q=2;w=60');
      assert.equal(first.headers.get("ratelimit"), '"principal";r=1;t=30');
      assert.equal(
        (await modernCall(handler, "alice", "fetch")).headers.get("ratelimit"),
        '"principal";r=0;t=60',
      );
      await assertLimited(await modernCall(handler, "alice", "ping", 9), "principal", {
        id: 9,
        retryAfter: "30",
        q: 2,
        w: 60,
      });
      const bob = await readAnswer(await modernCall(handler, "bob", "search"));
      assert.equal(bob.status, 200);
      assert.equal(bob.message.result.content[0].text, "search");
    } finally {
      await handler.close();
    }
  });

  it("sessionful: every request counts (initialize, GET), a refill by the clock serves again", async () => {
    const { handler, clock } = handlerWith({ perPrincipal: { limit: 3, windowSeconds: 30 } });
    try {
      const alice = await initialize(handler, { headers: { "x-user": "alice" } });
      const bob = await initialize(handler, { headers: { "x-user": "bob" } });
      assert.equal((await rpc(handler, alice, "tools/list")).status, 200);
      const listen = await handler(bodilessRequest("GET", {
        sessionId: alice.id,
        protocolVersion: alice.protocolVersion,
        headers: alice.headers,
      }));
      assert.equal(listen.status, 200);
      await listen.body?.cancel();
      await assertLimited(await legacyCall(handler, alice, "search", 5), "principal", {
        id: 5,
        retryAfter: "10",
        q: 3,
        w: 30,
      });
      assert.equal((await legacyCall(handler, bob, "search")).status, 200);
      clock.advance(9_999);
      assert.equal((await legacyCall(handler, alice, "search")).status, 429);
      clock.advance(1);
      assert.equal((await legacyCall(handler, alice, "search")).status, 200);
    } finally {
      await handler.close();
    }
  });

  it("a POST of only notifications spends nothing (it must reach its work)", async () => {
    const { handler } = handlerWith({ perPrincipal: { limit: 1, windowSeconds: 60 } });
    try {
      const alice = await initialize(handler, { headers: { "x-user": "alice" } });
      for (let i = 0; i < 3; i++) {
        const response = await handler(postRequest(
          { jsonrpc: "2.0", method: "notifications/initialized" },
          { sessionId: alice.id, protocolVersion: alice.protocolVersion, headers: alice.headers },
        ));
        assert.equal(response.status, 202);
      }
      assert.equal(
        (await legacyCall(handler, alice, "search")).status,
        429,
        "initialize spent the one unit",
      );
    } finally {
      await handler.close();
    }
  });

  it("without authenticate, every anonymous caller spends one budget; refusals are counted by step", async () => {
    const events: McpEvent[] = [];
    const { handler } = handlerWith({ perPrincipal: { limit: 1, windowSeconds: 60 } }, {
      auth: {
        authenticate: undefined,
      },
      observe: {
        onEvent: (event) => events.push(event),
      },
    });
    try {
      assert.equal((await modernCall(handler, "alice", "search")).status, 200);
      assert.equal((await modernCall(handler, "bob", "search")).status, 429);
      assert.equal((await handler.stats()).refusalsByStep["principal-rate-limit"], 1);
      const refusal = events.find((event) => event.type === "refusal");
      assert.ok(refusal?.type === "refusal" && refusal.step === "principal-rate-limit");
    } finally {
      await handler.close();
    }
  });
});

describe("rateLimits.perTool", () => {
  const perTool = {
    default: { limit: 2, windowSeconds: 60 },
    tools: { fetch: { limit: 1, windowSeconds: 10 }, ping: null },
  };

  it("2026-07-28: one tool's budget spent, another tool and another principal are served", async () => {
    runs.length = 0;
    const { handler, clock } = handlerWith({ perTool });
    try {
      assert.equal((await modernCall(handler, "alice", "fetch")).status, 200);
      await assertLimited(await modernCall(handler, "alice", "fetch", "f2"), "tool", {
        id: "f2",
        retryAfter: "10",
        q: 1,
        w: 10,
      });
      assert.equal((await modernCall(handler, "alice", "search")).status, 200);
      assert.equal((await modernCall(handler, "bob", "fetch")).status, 200);
      for (let i = 0; i < 5; i++) {
        assert.equal((await modernCall(handler, "alice", "ping")).status, 200, "ping is exempt");
      }
      assert.deepEqual(
        runs.filter((name) => name === "fetch"),
        ["fetch", "fetch"],
        "the refused call ran nothing",
      );
      clock.advance(10_000);
      assert.equal((await modernCall(handler, "alice", "fetch")).status, 200);
    } finally {
      await handler.close();
    }
  });

  it("sessionful: the default budget per tool; other methods and unknown tools spend nothing", async () => {
    const { handler } = handlerWith({ perTool });
    try {
      const alice = await initialize(handler, { headers: { "x-user": "alice" } });
      for (let i = 0; i < 5; i++) {
        assert.equal((await rpc(handler, alice, "tools/list")).status, 200);
      }
      const unknown = await readAnswer(await legacyCall(handler, alice, "nope"));
      assert.equal(unknown.status, 200);
      assert.ok(unknown.message.error !== undefined || unknown.message.result?.isError === true);
      assert.equal((await legacyCall(handler, alice, "search")).status, 200);
      assert.equal((await legacyCall(handler, alice, "search")).status, 200);
      await assertLimited(await legacyCall(handler, alice, "search", 3), "tool", {
        id: 3,
        retryAfter: "30",
        q: 2,
        w: 60,
      });
      assert.equal((await legacyCall(handler, alice, "fetch")).status, 200);
    } finally {
      await handler.close();
    }
  });

  it("a batch (2025-03-26) with a call over its budget runs nothing; the error names that call's id", async () => {
    runs.length = 0;
    const { handler } = handlerWith({ perTool });
    try {
      const alice = await initialize(handler, {
        protocolVersion: "2025-03-26",
        headers: { "x-user": "alice" },
      });
      assert.equal((await legacyCall(handler, alice, "fetch")).status, 200);
      runs.length = 0;
      const batch = [
        {
          jsonrpc: "2.0",
          id: "a",
          method: "tools/call",
          params: { name: "search", arguments: {} },
        },
        { jsonrpc: "2.0", id: "b", method: "tools/call", params: { name: "fetch", arguments: {} } },
      ];
      const response = await handler(postRequest(batch, {
        sessionId: alice.id,
        protocolVersion: alice.protocolVersion,
        headers: alice.headers,
      }));
      await assertLimited(response, "tool", { id: "b", retryAfter: "10", q: 1, w: 10 });
      assert.deepEqual(runs, []);
    } finally {
      await handler.close();
    }
  });
});

describe("rateLimits: headers on a served answer", () => {
  it("name both budgets a tools/call spent from; a call without a tool budget names the principal's", async () => {
    const { handler } = handlerWith({
      perPrincipal: { limit: 100, windowSeconds: 60 },
      perTool: { tools: { search: { limit: 5, windowSeconds: 10 } } },
    });
    try {
      const alice = await initialize(handler, { headers: { "x-user": "alice" } });
      const served = await legacyCall(handler, alice, "search");
      assert.equal(served.status, 200);
      assert.equal(
        served.headers.get("ratelimit-policy"),
        '"principal";q=100;w=60, "tool";q=5;w=10',
      );
      assert.equal(served.headers.get("ratelimit"), '"principal";r=98;t=2, "tool";r=4;t=2');
      const other = await legacyCall(handler, alice, "fetch");
      assert.equal(other.headers.get("ratelimit"), '"principal";r=97;t=2');
    } finally {
      await handler.close();
    }
  });

  it("with the cors option, a page can read them (exposed)", async () => {
    const page = "https://app.example";
    const { handler } = handlerWith({ perPrincipal: { limit: 1, windowSeconds: 60 } }, {
      security: {
        cors: { origins: [page] },
      },
    });
    try {
      for (const status of [200, 429]) {
        const response = await handler(
          modernRequest("tools/call", { name: "search", arguments: {} }, {
            headers: { "x-user": "alice", origin: page },
          }),
        );
        assert.equal(response.status, status);
        const exposed = (response.headers.get("access-control-expose-headers") ?? "")
          .toLowerCase().split(",").map((name) => name.trim());
        for (const name of ["ratelimit", "ratelimit-policy", "retry-after"]) {
          assert.ok(exposed.includes(name), `${name} is exposed (got ${exposed.join(", ")})`);
        }
        await response.body?.cancel();
      }
    } finally {
      await handler.close();
    }
  });

  it("without the option, answers carry no rate-limit headers", async () => {
    const { handler } = handlerWith(undefined);
    try {
      const served = await modernCall(handler, "alice", "search");
      assert.equal(served.status, 200);
      assert.equal(served.headers.get("ratelimit"), null);
      assert.equal(served.headers.get("ratelimit-policy"), null);
    } finally {
      await handler.close();
    }
  });
});

describe("rateLimits: a failing store", () => {
  it("answers 503 + Retry-After, runs nothing, reports once per outage", async () => {
    runs.length = 0;
    let down = false;
    const store: RateLimitStore = {
      take: () =>
        down
          ? Promise.reject(new Error("store unreachable"))
          : Promise.resolve({ ok: true, remaining: 9, resetMs: 0, retryAfterMs: 0 }),
    };
    const errors: unknown[] = [];
    const { handler } = handlerWith(
      { perPrincipal: { limit: 10, windowSeconds: 60 }, perTool: perToolDefault(), store },
      { observe: { onError: (error) => errors.push(error) } },
    );
    try {
      assert.equal((await modernCall(handler, "alice", "search")).status, 200);
      down = true;
      for (let i = 0; i < 3; i++) {
        const refused = await modernCall(handler, "alice", "search", 4);
        assert.equal(refused.headers.get("retry-after"), "1");
        await assertHttpError(refused, 503, { code: -32603, id: 4, message: /rate limit store/ });
      }
      assert.deepEqual(runs, ["search"]);
      assert.deepEqual(errors.map(String), ["Error: store unreachable"]);
      down = false;
      assert.equal((await modernCall(handler, "alice", "search")).status, 200);
      down = true;
      assert.equal((await modernCall(handler, "alice", "search")).status, 503);
      assert.equal(errors.length, 2, "a new outage is reported again");
    } finally {
      await handler.close();
    }
  });

  it("a store that throws synchronously fails closed too", async () => {
    const store: RateLimitStore = {
      take: () => {
        throw new Error("bug");
      },
    };
    const { handler } = handlerWith({ perTool: perToolDefault(), store });
    try {
      const refused = await modernCall(handler, "alice", "search");
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "1");
    } finally {
      await handler.close();
    }
  });
});

function perToolDefault() {
  return { default: { limit: 10, windowSeconds: 60 } };
}

describe("rateLimits: option checks", () => {
  for (
    const [label, rateLimits] of [
      ["a limit of 0", { perPrincipal: { limit: 0, windowSeconds: 60 } }],
      ["a fractional window", { perPrincipal: { limit: 1, windowSeconds: 0.5 } }],
      ["more than one unit per millisecond", {
        perTool: { default: { limit: 2_000, windowSeconds: 1 } },
      }],
      ["a bad named tool budget", {
        perTool: { tools: { search: { limit: -1, windowSeconds: 1 } } },
      }],
    ] as const
  ) {
    it(`refuses ${label} at startup`, () => {
      assert.throws(
        () =>
          makeHandler({
            limits: {
              rateLimits: rateLimits as NonNullable<McpHandlerOptions["limits"]>["rateLimits"],
            },
          }),
        RangeError,
      );
    });
  }

  it("refuses a store without take()", () => {
    assert.throws(
      () =>
        makeHandler({
          limits: {
            rateLimits: {
              perPrincipal: { limit: 1, windowSeconds: 1 },
              store: {} as RateLimitStore,
            },
          },
        }),
      TypeError,
    );
  });
});
