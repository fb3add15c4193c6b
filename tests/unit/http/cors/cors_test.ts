/**
 * The `cors` option, in process: preflights (methods, the MCP request
 * headers echoed, max age), the grant and the exposed headers on every
 * answer (successes, SSE streams, refusals, authenticate's 401, the 503 of
 * unreachable storage, a closed handler), agreement with the Origin guard
 * (an allowed origin passes it, any other is 403 with no grant, a
 * preflight included), credentials, and the option's checks.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthenticationError, defineTool } from "../../../../mod.ts";
import { MemorySessionStore } from "../../../../src/storage/mod.ts";
import { Faults, faulty } from "../../../faulty_storage.ts";
import {
  assertHttpError,
  bodilessRequest,
  initialize,
  initializeMessage,
  makeHandler,
  messagesOf,
  postRequest,
  readSseUntil,
} from "../../../helpers.ts";
import { modernRequest } from "../../../support/modern_helpers.ts";
import {
  assertGranted,
  assertNotGranted,
  headerList,
  PAGE,
  preflightRequest,
  STRANGER,
} from "../../../support/cors_helpers.ts";

const SDK_HEADERS = "content-type, mcp-protocol-version, mcp-session-id, authorization";

describe("cors: preflight", () => {
  it("an allowed origin's preflight is 204 with the methods, the requested MCP headers, max age and the grant", async () => {
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE] } } });
    const requested =
      "content-type, mcp-protocol-version, mcp-session-id, authorization, accept, mcp-method, " +
      "mcp-name, mcp-param-city, last-event-id, dpop";
    const response = await handler(preflightRequest(PAGE, { headers: requested }));
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    assert.deepEqual(
      headerList(response.headers.get("access-control-allow-methods")).sort(),
      ["delete", "get", "options", "post"],
    );
    assert.deepEqual(
      headerList(response.headers.get("access-control-allow-headers")),
      headerList(requested),
    );
    assert.equal(response.headers.get("access-control-max-age"), "600");
    assertGranted(response, PAGE);
    await handler.close();
  });

  it("echoes only the requested headers it allows: an unknown one is left out", async () => {
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE] } } });
    const response = await handler(
      preflightRequest(PAGE, { headers: "content-type,x-unknown,mcp-param-,MCP-Param-Units" }),
    );
    assert.equal(response.status, 204);
    assert.deepEqual(headerList(response.headers.get("access-control-allow-headers")), [
      "content-type",
      "mcp-param-units",
    ]);
    await handler.close();
  });

  it("allows requireHeader's header and the option's own allowHeaders", async () => {
    const handler = makeHandler({
      tools: [],
      security: {
        requireHeader: "X-MCP-Client",
        cors: { origins: [PAGE], allowHeaders: ["X-Api-Key"] },
      },
    });
    const response = await handler(
      preflightRequest(PAGE, { headers: "x-mcp-client, x-api-key, content-type" }),
    );
    // A preflight never carries the required header itself: it is answered before that guard.
    assert.equal(response.status, 204);
    assert.deepEqual(headerList(response.headers.get("access-control-allow-headers")), [
      "x-mcp-client",
      "x-api-key",
      "content-type",
    ]);
    await handler.close();
  });

  it("a disallowed origin's preflight is refused 403 by the Origin guard, with no grant", async () => {
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE] } } });
    const response = await handler(preflightRequest(STRANGER, { headers: SDK_HEADERS }));
    await assertHttpError(response.clone(), 403, { message: /Origin not allowed/ });
    assertNotGranted(response);
    assert.ok(headerList(response.headers.get("vary")).includes("origin"));
    await handler.close();
  });

  it("a preflight with an allowed origin but a Host outside allowedHosts is 403 with no grant", async () => {
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE] } } });
    const response = await handler(preflightRequest(PAGE, { host: "attacker.example" }));
    await assertHttpError(response.clone(), 403, { message: /Host not allowed/ });
    assertNotGranted(response);
    await handler.close();
  });

  it("without the cors option a preflight is 405 and nothing is granted (today's behaviour)", async () => {
    const handler = makeHandler({ tools: [], security: { allowedOrigins: [PAGE] } });
    const response = await handler(preflightRequest(PAGE, { headers: SDK_HEADERS }));
    await assertHttpError(response.clone(), 405);
    assertNotGranted(response);
    assert.equal(response.headers.get("vary"), null);
    await handler.close();
  });

  it("an OPTIONS that is not a preflight is still 405, with the grant", async () => {
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE] } } });
    const response = await handler(bodilessRequest("OPTIONS", { headers: { origin: PAGE } }));
    await assertHttpError(response.clone(), 405);
    assertGranted(response, PAGE);
    await handler.close();
  });

  it("maxAgeSeconds sets Access-Control-Max-Age (0 included)", async () => {
    for (const maxAgeSeconds of [0, 7200]) {
      const handler = makeHandler({
        tools: [],
        security: { cors: { origins: [PAGE], maxAgeSeconds } },
      });
      const response = await handler(preflightRequest(PAGE));
      assert.equal(response.headers.get("access-control-max-age"), String(maxAgeSeconds));
      await handler.close();
    }
  });
});

describe("cors: every answer carries the grant", () => {
  const progressTool = defineTool({
    name: "count",
    description: "reports progress twice",
    handler: async (_input, ctx) => {
      await ctx.progress(1, 2);
      await ctx.progress(2, 2);
      return "counted";
    },
  });

  it("initialize: 200 with Mcp-Session-Id readable by the page", async () => {
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE] } } });
    const response = await handler(
      postRequest(initializeMessage(), { headers: { origin: PAGE } }),
    );
    assert.equal(response.status, 200);
    assert.ok(response.headers.get("mcp-session-id"));
    assertGranted(response, PAGE);
    await response.body?.cancel();
    await handler.close();
  });

  it("an SSE answer with progress, and the GET listening stream", async () => {
    const handler = makeHandler({ tools: [progressTool], security: { cors: { origins: [PAGE] } } });
    const session = await initialize(handler, { headers: { origin: PAGE } });
    const call = await handler(postRequest({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "count", arguments: {}, _meta: { progressToken: "p" } },
    }, {
      sessionId: session.id,
      protocolVersion: session.protocolVersion,
      headers: session.headers,
    }));
    assert.equal(call.headers.get("content-type"), "text/event-stream");
    assertGranted(call, PAGE);
    const { events } = await readSseUntil(
      call.body!.getReader(),
      (all) => messagesOf(all).some((m) => m.id === 2),
      5_000,
    );
    const messages = messagesOf(events);
    assert.equal(messages.find((m) => m.id === 2)?.result?.content?.[0]?.text, "counted");
    assert.equal(messages.filter((m) => m.method === "notifications/progress").length, 2);
    const listening = await handler(bodilessRequest("GET", {
      sessionId: session.id,
      protocolVersion: session.protocolVersion,
      headers: session.headers,
    }));
    assert.equal(listening.status, 200);
    assertGranted(listening, PAGE);
    await listening.body?.cancel();
    await handler.close();
  });

  it("a 2026-07-28 request, and a DELETE", async () => {
    const handler = makeHandler({ tools: [progressTool], security: { cors: { origins: [PAGE] } } });
    const modern = await handler(modernRequest("tools/list", {}, { headers: { origin: PAGE } }));
    assert.equal(modern.status, 200);
    assertGranted(modern, PAGE);
    await modern.body?.cancel();
    const session = await initialize(handler, { headers: { origin: PAGE } });
    const ended = await handler(bodilessRequest("DELETE", {
      sessionId: session.id,
      protocolVersion: session.protocolVersion,
      headers: session.headers,
    }));
    assert.ok(ended.status === 200 || ended.status === 204, `DELETE answered ${ended.status}`);
    assertGranted(ended, PAGE);
    await handler.close();
  });

  it("refusals: bad JSON (400), an unknown session (404), a wrong path (404)", async () => {
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE] } } });
    const badJson = await handler(postRequest("{", { headers: { origin: PAGE } }));
    assertGranted(badJson, PAGE);
    await assertHttpError(badJson, 400);
    const unknown = await handler(postRequest(
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { sessionId: "no-such-session", protocolVersion: "2025-11-25", headers: { origin: PAGE } },
    ));
    assertGranted(unknown, PAGE);
    await assertHttpError(unknown, 404, { id: 1 });
    const elsewhere = await handler(
      postRequest(initializeMessage(), {
        url: "http://127.0.0.1:8787/other",
        headers: { origin: PAGE },
      }),
    );
    assertGranted(elsewhere, PAGE);
    await assertHttpError(elsewhere, 404);
    await handler.close();
  });

  it("authenticate's 401 exposes WWW-Authenticate to the page; a Response of its own is granted too", async () => {
    let own = false;
    const handler = makeHandler({
      tools: [],
      security: {
        cors: { origins: [PAGE] },
      },
      auth: {
        authenticate: () => {
          if (own) {
            // Response.redirect's headers are immutable: the grant must still get onto it.
            throw Object.assign(new Error("go log in"), {
              response: Response.redirect("https://login.example/", 302),
            });
          }
          throw new AuthenticationError("Unauthorized", {
            wwwAuthenticate: 'Bearer resource_metadata="https://mcp.example/.well-known/x"',
          });
        },
      },
    });
    const refused = await handler(postRequest(initializeMessage(), { headers: { origin: PAGE } }));
    assertGranted(refused, PAGE);
    assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer resource_metadata=/);
    await assertHttpError(refused, 401);
    own = true;
    const redirected = await handler(
      postRequest(initializeMessage(), { headers: { origin: PAGE } }),
    );
    assert.equal(redirected.status, 302);
    assert.equal(redirected.headers.get("location"), "https://login.example/");
    assertGranted(redirected, PAGE);
    await handler.close();
  });

  it("the rate limit's 429 exposes Retry-After", async () => {
    const handler = makeHandler({
      tools: [],
      security: {
        cors: { origins: [PAGE] },
      },
      limits: {
        rateLimit: { take: () => ({ ok: false, retryAfterSeconds: 7 }) },
      },
    });
    const response = await handler(postRequest(initializeMessage(), { headers: { origin: PAGE } }));
    assert.equal(response.headers.get("retry-after"), "7");
    assertGranted(response, PAGE);
    await assertHttpError(response, 429);
    await handler.close();
  });

  it("the 503 of unreachable storage (the handler's catch) and the 503 of a closed handler", async () => {
    const faults = new Faults();
    const handler = makeHandler({
      tools: [],
      security: {
        cors: { origins: [PAGE] },
      },
      sessions: { store: faulty(new MemorySessionStore(), faults) },
    });
    faults.set("create", "reject");
    const down = await handler(postRequest(initializeMessage(), { headers: { origin: PAGE } }));
    assertGranted(down, PAGE);
    await assertHttpError(down, 503);
    await handler.close();
    const closed = await handler(postRequest(initializeMessage(), { headers: { origin: PAGE } }));
    assertGranted(closed, PAGE);
    await assertHttpError(closed, 503);
  });

  it("an answer to a request without Origin carries only Vary: Origin", async () => {
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE] } } });
    const response = await handler(postRequest(initializeMessage()));
    assert.equal(response.status, 200);
    assertNotGranted(response);
    assert.deepEqual(headerList(response.headers.get("vary")), ["origin"]);
    await response.body?.cancel();
    await handler.close();
  });
});

describe("cors: one decision with the Origin guard", () => {
  it("an origin cors allows passes the guard (without cors the same request is 403)", async () => {
    const plain = makeHandler({ tools: [] });
    const refused = await plain(postRequest(initializeMessage(), { headers: { origin: PAGE } }));
    await assertHttpError(refused, 403, { message: /Origin not allowed/ });
    await plain.close();
    const handler = makeHandler({ tools: [], security: { cors: { origins: [PAGE + "/"] } } });
    const response = await handler(postRequest(initializeMessage(), { headers: { origin: PAGE } }));
    assert.equal(response.status, 200);
    await response.body?.cancel();
    await handler.close();
  });

  it("any other origin is refused 403 with no grant, and its request never runs", async () => {
    let ran = 0;
    const handler = makeHandler({
      tools: [],
      security: {
        cors: { origins: [PAGE] },
      },
      auth: {
        authenticate: () => {
          ran++;
          return undefined;
        },
      },
    });
    for (const origin of [STRANGER, "http://127.0.0.1:5174", "null", "not a url"]) {
      const response = await handler(postRequest(initializeMessage(), { headers: { origin } }));
      assertNotGranted(response);
      await assertHttpError(response, 403, { message: /Origin not allowed/ });
    }
    assert.equal(ran, 0);
    await handler.close();
  });

  it("allowOrigin decides unlisted origins for both; one that throws refuses and reports", async () => {
    const errors: unknown[] = [];
    const handler = makeHandler({
      tools: [],
      observe: {
        onError: (error) => errors.push(error),
      },
      security: {
        cors: {
          allowOrigin: (origin) => {
            if (origin === "https://boom.example") throw new Error("predicate failed");
            return origin.endsWith(".apps.example");
          },
        },
      },
    });
    const origin = "https://team.apps.example";
    const preflight = await handler(preflightRequest(origin, { headers: SDK_HEADERS }));
    assert.equal(preflight.status, 204);
    assertGranted(preflight, origin);
    const response = await handler(postRequest(initializeMessage(), { headers: { origin } }));
    assert.equal(response.status, 200);
    assertGranted(response, origin);
    await response.body?.cancel();
    for (const refusedOrigin of ["https://apps.example.evil", "https://boom.example"]) {
      const refused = await handler(
        postRequest(initializeMessage(), { headers: { origin: refusedOrigin } }),
      );
      assertNotGranted(refused);
      await assertHttpError(refused, 403);
    }
    assert.ok(errors.length > 0, "the throwing predicate is reported");
    assert.ok(errors.every((error) => (error as Error).message === "predicate failed"));
    await handler.close();
  });

  it("allowedOrigins and the server's own host are granted too; a wildcard grants every origin", async () => {
    const handler = makeHandler({
      tools: [],
      security: {
        allowedOrigins: ["https://admin.example"],
        cors: { origins: [PAGE] },
      },
    });
    for (const origin of ["https://admin.example", "http://127.0.0.1:8787"]) {
      const response = await handler(postRequest(initializeMessage(), { headers: { origin } }));
      assert.equal(response.status, 200);
      assertGranted(response, origin);
      await response.body?.cancel();
    }
    await handler.close();
    const open = makeHandler({ tools: [], security: { cors: { origins: ["*"] } } });
    const response = await open(
      postRequest(initializeMessage(), { headers: { origin: STRANGER } }),
    );
    assert.equal(response.status, 200);
    assertGranted(response, STRANGER);
    await response.body?.cancel();
    await open.close();
  });
});

describe("cors: credentials", () => {
  it("credentials: true sends Access-Control-Allow-Credentials on preflights and answers", async () => {
    const handler = makeHandler({
      tools: [],
      security: { cors: { origins: [PAGE], credentials: true } },
    });
    const preflight = await handler(preflightRequest(PAGE, { headers: SDK_HEADERS }));
    assert.equal(preflight.status, 204);
    assertGranted(preflight, PAGE, true);
    const response = await handler(postRequest(initializeMessage(), { headers: { origin: PAGE } }));
    assertGranted(response, PAGE, true);
    await response.body?.cancel();
    const refused = await handler(postRequest("{", { headers: { origin: PAGE } }));
    assertGranted(refused, PAGE, true);
    await refused.body?.cancel();
    await handler.close();
  });

  it("with credentials, the server's own host is granted only on its own scheme (or https), never another", async () => {
    const handler = makeHandler({
      tools: [],
      security: { cors: { origins: [PAGE], credentials: true } },
    });
    const send = (url: string, origin: string) =>
      handler(postRequest(initializeMessage(), { url, headers: { origin } }));
    // Positive controls: the own origin of a plain-http request, and an https page in front (a TLS proxy).
    for (const origin of ["http://127.0.0.1:8787", "https://127.0.0.1:8787"]) {
      const response = await send("http://127.0.0.1:8787/mcp", origin);
      assert.equal(response.status, 200, origin);
      assertGranted(response, origin, true);
      await response.body?.cancel();
    }
    const refusedOrigins: [string, string][] = [
      ["http://127.0.0.1:8787/mcp", "chrome-extension://127.0.0.1:8787"],
      ["http://127.0.0.1:8787/mcp", "ws://127.0.0.1:8787"],
      ["http://127.0.0.1:8787/mcp", "ftp://127.0.0.1:8787"],
      // A plain-http page is not the own origin of an https request: a network attacker writes into it.
      ["https://127.0.0.1:8787/mcp", "http://127.0.0.1:8787"],
    ];
    for (const [url, origin] of refusedOrigins) {
      const response = await send(url, origin);
      await assertHttpError(response, 403);
      assertNotGranted(response);
    }
    await handler.close();
  });

  it("a listed origin matches by scheme, host and port, however the list writes it", async () => {
    const handler = makeHandler({
      tools: [],
      security: {
        allowedOrigins: ["https://Admin.example:443/"],
        cors: { origins: ["http://app.example:80"], credentials: true },
      },
    });
    const send = (origin: string) =>
      handler(postRequest(initializeMessage(), { headers: { origin } }));
    for (const origin of ["https://admin.example", "http://app.example"]) {
      const response = await send(origin);
      assert.equal(response.status, 200, origin);
      assertGranted(response, origin, true);
      await response.body?.cancel();
    }
    for (
      const origin of [
        "http://admin.example",
        "https://admin.example:8443",
        "https://app.example",
        "http://app.example:8080",
      ]
    ) {
      const response = await send(origin);
      await assertHttpError(response, 403);
      assertNotGranted(response);
    }
    await handler.close();
  });

  it("credentials with any origin is refused at startup", () => {
    assert.throws(
      () => makeHandler({ tools: [], security: { cors: { origins: ["*"], credentials: true } } }),
      /credentials cannot be used with any origin/,
    );
    assert.throws(
      () =>
        makeHandler({
          tools: [],
          security: { allowedOrigins: ["*"], cors: { credentials: true } },
        }),
      /credentials cannot be used with any origin/,
    );
  });
});

describe("cors: option checks", () => {
  const bad: [string, unknown, RegExp][] = [
    ["not an object", "yes", /cors must be an object/],
    ["origins not an array", { origins: PAGE }, /cors\.origins must be an array/],
    ["an origin with a path", { origins: ["https://app.example/mcp"] }, /cors\.origins\[0\]/],
    ["an origin with a query", { origins: [PAGE, "https://app.example?x"] }, /cors\.origins\[1\]/],
    ["not a URL", { origins: ["app.example"] }, /cors\.origins\[0\]/],
    ["an origin that is not a string", { origins: [42] }, /cors\.origins\[0\]/],
    ["allowOrigin not a function", { allowOrigin: true }, /cors\.allowOrigin must be a function/],
    ["credentials not a boolean", { credentials: "yes" }, /cors\.credentials must be a boolean/],
    ["a negative max age", { maxAgeSeconds: -1 }, /cors\.maxAgeSeconds/],
    ["a fractional max age", { maxAgeSeconds: 1.5 }, /cors\.maxAgeSeconds/],
    ["an infinite max age", { maxAgeSeconds: Infinity }, /cors\.maxAgeSeconds/],
    ["a header name with a space", { allowHeaders: ["x api key"] }, /cors\.allowHeaders/],
  ];
  for (const [what, cors, message] of bad) {
    it(`refuses ${what}`, () => {
      // deno-lint-ignore no-explicit-any
      assert.throws(() => makeHandler({ tools: [], security: { cors: cors as any } }), message);
    });
  }

  it("normalises origins as browsers send them (case, default port, trailing slash)", async () => {
    const handler = makeHandler({
      tools: [],
      security: {
        cors: { origins: ["HTTPS://App.Example:443/", "chrome-extension://AbCdEf"] },
      },
    });
    for (const origin of ["https://app.example", "chrome-extension://abcdef"]) {
      const response = await handler(preflightRequest(origin));
      assert.equal(response.status, 204, origin);
      assertGranted(response, origin);
    }
    await handler.close();
  });
});
