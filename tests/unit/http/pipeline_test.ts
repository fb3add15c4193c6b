/**
 * The request pipeline in process: every transport guard, its status and its
 * JSON-RPC error body, and the order in which the guards run
 * (health → path → Host/Origin → method → Accept → Content-Type → body size →
 * JSON (depth) → envelope → MCP-Protocol-Version → authenticate → session).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AuthenticationError } from "../../../mod.ts";
import {
  ACCEPT_BOTH,
  assertHttpError,
  bodilessRequest,
  ENDPOINT,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  rpc,
} from "../../helpers.ts";

const PING = { jsonrpc: "2.0", id: 1, method: "ping" };

describe("health path", () => {
  it("answers 200 {status: ok} without calling authenticate, even when it would throw", async () => {
    let authCalls = 0;
    const handler = makeHandler({
      http: {
        healthPath: "/healthz",
      },
      auth: {
        authenticate: () => {
          authCalls++;
          throw new Error("auth backend down");
        },
      },
    });
    try {
      const response = await handler(
        new Request("http://127.0.0.1:8787/healthz", { headers: { host: "evil.example.com" } }),
      );
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: "ok" });
      assert.equal(authCalls, 0);
    } finally {
      await handler.close();
    }
  });

  it("is off by default: /healthz is just a wrong path (404)", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(await handler(new Request("http://127.0.0.1:8787/healthz")), 404);
    } finally {
      await handler.close();
    }
  });
});

describe("path guard", () => {
  it("wrong path answers 404 with a JSON-RPC error body", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(PING, { url: "http://127.0.0.1:8787/other" }));
      await assertHttpError(response, 404, { code: -32600 });
    } finally {
      await handler.close();
    }
  });

  it("a query string does not change the path", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(initializeMessage(), { url: `${ENDPOINT}?x=1` }));
      assert.equal(response.status, 200);
    } finally {
      await handler.close();
    }
  });

  it("path: null serves every path", async () => {
    const handler = makeHandler({ http: { path: null } });
    try {
      const response = await handler(
        postRequest(initializeMessage(), { url: "http://127.0.0.1:8787/any/where" }),
      );
      assert.equal(response.status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("Host guard", () => {
  it("a foreign Host answers 403", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(initializeMessage(), {
        headers: { host: "evil.example.com", origin: "http://evil.example.com" },
      }));
      await assertHttpError(response, 403, { message: /Host/ });
    } finally {
      await handler.close();
    }
  });

  it("a foreign Host with the loopback name as a prefix is still refused", async () => {
    const handler = makeHandler();
    try {
      for (
        const host of [
          "localhost.evil.example.com",
          "127.0.0.1.evil.example.com",
          "evil.example.com:8787",
        ]
      ) {
        const response = await handler(postRequest(initializeMessage(), { headers: { host } }));
        await assertHttpError(response, 403);
      }
    } finally {
      await handler.close();
    }
  });

  it("loopback names are allowed with any port", async () => {
    const handler = makeHandler();
    try {
      for (
        const host of [
          "localhost",
          "localhost:3000",
          "127.0.0.1",
          "127.0.0.1:8787",
          "[::1]",
          "[::1]:9999",
          "LOCALHOST:1",
        ]
      ) {
        const response = await handler(postRequest(initializeMessage(), { headers: { host } }));
        assert.equal(response.status, 200, `Host ${host} should be allowed`);
      }
    } finally {
      await handler.close();
    }
  });

  it("allowedHosts replaces the loopback default; name and name:port entries both work", async () => {
    const handler = makeHandler({
      security: { allowedHosts: ["mcp.example.com", "api.example.com:8443"] },
    });
    try {
      const ok = async (host: string) =>
        (await handler(postRequest(initializeMessage(), { headers: { host } }))).status;
      assert.equal(await ok("mcp.example.com"), 200);
      assert.equal(await ok("mcp.example.com:443"), 200);
      assert.equal(await ok("api.example.com:8443"), 200);
      assert.equal(await ok("api.example.com:9000"), 403);
      assert.equal(await ok("localhost"), 403);
    } finally {
      await handler.close();
    }
  });

  it('allowedHosts ["*"] accepts any Host', async () => {
    const handler = makeHandler({ security: { allowedHosts: ["*"] } });
    try {
      const response = await handler(
        postRequest(initializeMessage(), { headers: { host: "anything.example.org" } }),
      );
      assert.equal(response.status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("Origin guard", () => {
  it("a foreign Origin answers 403", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(initializeMessage(), { headers: { origin: "https://evil.example.com" } }),
      );
      await assertHttpError(response, 403, { message: /Origin/ });
    } finally {
      await handler.close();
    }
  });

  it("an Origin naming the server's own host is allowed", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(initializeMessage(), {
        headers: { host: "127.0.0.1:8787", origin: "http://127.0.0.1:8787" },
      }));
      assert.equal(response.status, 200);
    } finally {
      await handler.close();
    }
  });

  it("an Origin on another port of the same host is refused", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(initializeMessage(), {
        headers: { host: "localhost:8787", origin: "http://localhost:5173" },
      }));
      await assertHttpError(response, 403);
    } finally {
      await handler.close();
    }
  });

  it("a malformed Origin is refused", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(initializeMessage(), { headers: { origin: "null" } }),
      );
      await assertHttpError(response, 403);
    } finally {
      await handler.close();
    }
  });

  it("allowedOrigins admits the listed origins (trailing slash and case ignored) and nothing else", async () => {
    const handler = makeHandler({ security: { allowedOrigins: ["https://App.example.com/"] } });
    try {
      const send = async (origin: string) =>
        (await handler(postRequest(initializeMessage(), { headers: { origin } }))).status;
      assert.equal(await send("https://app.example.com"), 200);
      assert.equal(await send("http://app.example.com"), 403);
      assert.equal(await send("https://other.example.com"), 403);
    } finally {
      await handler.close();
    }
  });

  it('with allowedHosts ["*"], a same-origin browser request passes and a cross-origin one gets 403', async () => {
    const handler = makeHandler({ security: { allowedHosts: ["*"] } });
    try {
      const same = await handler(postRequest(initializeMessage(), {
        headers: { host: "mcp.example.com", origin: "https://mcp.example.com" },
      }));
      assert.equal(same.status, 200);
      const cross = await handler(postRequest(initializeMessage(), {
        headers: { host: "mcp.example.com", origin: "https://evil.example.com" },
      }));
      await assertHttpError(cross, 403);
    } finally {
      await handler.close();
    }
  });

  it("no Origin header (native clients) passes", async () => {
    const handler = makeHandler();
    try {
      assert.equal((await handler(postRequest(initializeMessage()))).status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("method guard", () => {
  it("PUT answers 405 with an Allow header", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(new Request(ENDPOINT, { method: "PUT", body: "{}" }));
      assert.equal(response.headers.get("allow"), "GET, POST, DELETE");
      await assertHttpError(response, 405);
    } finally {
      await handler.close();
    }
  });

  it("GET answers 405 without GET in Allow when the listening stream is off", async () => {
    const handler = makeHandler({ streams: { listeningStream: false } });
    try {
      const response = await handler(
        new Request(ENDPOINT, { headers: { accept: "text/event-stream" } }),
      );
      const allow = response.headers.get("allow") ?? "";
      assert.ok(!allow.includes("GET"), `Allow should not list GET: ${allow}`);
      await assertHttpError(response, 405);
    } finally {
      await handler.close();
    }
  });
});

describe("Accept guard", () => {
  it("POST without Accept answers 406", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(
        await handler(postRequest(initializeMessage(), { headers: { accept: undefined } })),
        406,
      );
    } finally {
      await handler.close();
    }
  });

  it("POST accepting only application/json answers 406 in strict mode", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(initializeMessage(), { headers: { accept: "application/json" } }),
      );
      await assertHttpError(response, 406);
    } finally {
      await handler.close();
    }
  });

  it("wildcards satisfy the Accept check", async () => {
    const handler = makeHandler();
    try {
      assert.equal(
        (await handler(postRequest(initializeMessage(), { headers: { accept: "*/*" } }))).status,
        200,
      );
      assert.equal(
        (await handler(
          postRequest(initializeMessage(), { headers: { accept: "application/*, text/*;q=0.5" } }),
        )).status,
        200,
      );
    } finally {
      await handler.close();
    }
  });

  it("strictAccept: false lets a missing Accept through", async () => {
    const handler = makeHandler({ http: { strictAccept: false } });
    try {
      const response = await handler(
        postRequest(initializeMessage(), { headers: { accept: undefined } }),
      );
      assert.equal(response.status, 200);
    } finally {
      await handler.close();
    }
  });

  it("strictAccept: false still refuses an Accept of only text/html with 406", async () => {
    const handler = makeHandler({ http: { strictAccept: false } });
    try {
      const response = await handler(
        postRequest(initializeMessage(), { headers: { accept: "text/html" } }),
      );
      await assertHttpError(response, 406);
    } finally {
      await handler.close();
    }
  });

  it("GET without text/event-stream in Accept answers 406", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      const response = await handler(
        new Request(ENDPOINT, {
          headers: { accept: "application/json", "mcp-session-id": session.id },
        }),
      );
      await assertHttpError(response, 406);
    } finally {
      await handler.close();
    }
  });
});

describe("Content-Type guard", () => {
  it("a non-JSON Content-Type answers 415", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(initializeMessage(), { headers: { "content-type": "text/plain" } }),
      );
      await assertHttpError(response, 415);
    } finally {
      await handler.close();
    }
  });

  it("a missing Content-Type answers 415", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        new Request(ENDPOINT, {
          method: "POST",
          headers: { accept: ACCEPT_BOTH },
          body: new TextEncoder().encode(JSON.stringify(initializeMessage())),
        }),
      );
      await assertHttpError(response, 415);
    } finally {
      await handler.close();
    }
  });

  it("application/json with parameters is accepted", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(initializeMessage(), {
        headers: { "content-type": "Application/JSON; charset=utf-8" },
      }));
      assert.equal(response.status, 200);
    } finally {
      await handler.close();
    }
  });
});

/** A body stream producing `chunkSize`-byte chunks on demand, up to `maxChunks`; counts what was pulled. */
function countingStream(chunkSize: number, maxChunks: number) {
  const counter = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= maxChunks) {
        controller.close();
        return;
      }
      counter.pulled++;
      controller.enqueue(new Uint8Array(chunkSize).fill(0x20));
    },
    cancel() {
      counter.cancelled = true;
    },
  });
  return { stream, counter };
}

function streamingPost(body: ReadableStream<Uint8Array>): Request {
  return new Request(ENDPOINT, {
    method: "POST",
    headers: { accept: ACCEPT_BOTH, "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);
}

describe("body size guard", () => {
  it("a declared Content-Length over the limit answers 413", async () => {
    const handler = makeHandler({ http: { maxBodyBytes: 1024 } });
    try {
      const body = JSON.stringify({ ...PING, params: { pad: "x".repeat(2000) } });
      const response = await handler(postRequest(body));
      await assertHttpError(response, 413);
    } finally {
      await handler.close();
    }
  });

  it("a body exactly at the limit is read", async () => {
    const body = JSON.stringify(initializeMessage());
    const handler = makeHandler({
      http: { maxBodyBytes: new TextEncoder().encode(body).byteLength },
    });
    try {
      assert.equal((await handler(postRequest(body))).status, 200);
    } finally {
      await handler.close();
    }
  });

  it("a chunked body without Content-Length that exceeds the limit answers 413", async () => {
    const handler = makeHandler({ http: { maxBodyBytes: 4096 } });
    try {
      const { stream } = countingStream(1024, 8);
      const request = streamingPost(stream);
      assert.equal(request.headers.get("content-length"), null);
      await assertHttpError(await handler(request), 413);
    } finally {
      await handler.close();
    }
  });

  it("reading an oversized stream stops early and cancels it", async () => {
    const handler = makeHandler({ http: { maxBodyBytes: 4096 } });
    try {
      const { stream, counter } = countingStream(1024, 100_000);
      await assertHttpError(await handler(streamingPost(stream)), 413);
      // 4 KiB limit, 1 KiB chunks: the 5th chunk crosses it; allow a little read-ahead.
      assert.ok(counter.pulled <= 8, `pulled ${counter.pulled} chunks of a 100,000-chunk stream`);
      assert.equal(counter.cancelled, true, "the body stream must be cancelled");
    } finally {
      await handler.close();
    }
  });

  it("a small chunked body within the limit is accepted", async () => {
    const handler = makeHandler({ http: { maxBodyBytes: 4096 } });
    try {
      const bytes = new TextEncoder().encode(JSON.stringify(initializeMessage()));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 10));
          controller.enqueue(bytes.slice(10));
          controller.close();
        },
      });
      assert.equal((await handler(streamingPost(stream))).status, 200);
    } finally {
      await handler.close();
    }
  });

  it("a body that is not valid UTF-8 answers 400 -32700", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        new Request(ENDPOINT, {
          method: "POST",
          headers: { accept: ACCEPT_BOTH, "content-type": "application/json" },
          body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
        }),
      );
      await assertHttpError(response, 400, { code: -32700 });
    } finally {
      await handler.close();
    }
  });
});

describe("JSON guard", () => {
  it("invalid JSON answers 400 -32700", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(await handler(postRequest('{"jsonrpc":"2.0",')), 400, {
        code: -32700,
        id: null,
      });
    } finally {
      await handler.close();
    }
  });

  it("an empty body answers 400 -32700", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(await handler(postRequest("")), 400, { code: -32700 });
    } finally {
      await handler.close();
    }
  });

  it("JSON nested 100 deep answers 400 -32700 when the limit is 64", async () => {
    const handler = makeHandler({ http: { maxJsonDepth: 64 } });
    try {
      const deep = "[".repeat(100) + "]".repeat(100);
      const body = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"x":${deep}}}`;
      await assertHttpError(await handler(postRequest(body)), 400, {
        code: -32700,
        message: /deep/,
      });
    } finally {
      await handler.close();
    }
  });

  it("JSON nested 10 deep is accepted", async () => {
    const handler = makeHandler({ http: { maxJsonDepth: 64 } });
    try {
      const message = initializeMessage();
      const deep = JSON.parse("[".repeat(10) + "]".repeat(10));
      const body = JSON.stringify({
        ...message,
        params: { ...message.params, _meta: { x: deep } },
      });
      assert.equal((await handler(postRequest(body))).status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("envelope guard", () => {
  it('{"jsonrpc":"1.0"} answers 400 -32600', async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(await handler(postRequest({ jsonrpc: "1.0" })), 400, {
        code: -32600,
        id: null,
      });
    } finally {
      await handler.close();
    }
  });

  it("the id of a bad envelope is echoed when it is usable", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest({ jsonrpc: "1.0", id: 7, method: "ping" }));
      await assertHttpError(response, 400, { code: -32600, id: 7 });
    } finally {
      await handler.close();
    }
  });

  it("a bare number answers 400 -32600", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(await handler(postRequest("42")), 400, { code: -32600 });
    } finally {
      await handler.close();
    }
  });

  it("an empty batch answers 400 -32600", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(await handler(postRequest("[]")), 400, { code: -32600 });
    } finally {
      await handler.close();
    }
  });

  it("a batch with one invalid member answers 400 -32600", async () => {
    const handler = makeHandler();
    try {
      await assertHttpError(
        await handler(postRequest([PING, { jsonrpc: "2.0", id: null, method: "ping" }])),
        400,
        {
          code: -32600,
        },
      );
    } finally {
      await handler.close();
    }
  });
});

describe("MCP-Protocol-Version guard", () => {
  it("an unsupported version answers 400", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      const response = await handler(
        postRequest(PING, { sessionId: session.id, protocolVersion: "1999-01-01" }),
      );
      // The error echoes the request's id: the body had a valid one.
      await assertHttpError(response, 400, { message: /MCP-Protocol-Version/, id: PING.id });
    } finally {
      await handler.close();
    }
  });

  it("GET and DELETE with an unsupported version answer 400, and the DELETE does not end the session", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler);
      const get = await handler(
        bodilessRequest("GET", { sessionId: session.id, protocolVersion: "1999-01-01" }),
      );
      if (get.status !== 400) await get.body?.cancel(); // an SSE stream would never end
      await assertHttpError(get, 400, { message: /MCP-Protocol-Version/ });
      const del = await handler(
        bodilessRequest("DELETE", { sessionId: session.id, protocolVersion: "1999-01-01" }),
      );
      await assertHttpError(del, 400, { message: /MCP-Protocol-Version/ });
      assert.equal((await rpc(handler, session, "ping")).status, 200);
      const ok = await handler(
        bodilessRequest("DELETE", {
          sessionId: session.id,
          protocolVersion: session.protocolVersion,
        }),
      );
      assert.equal(ok.status, 204);
    } finally {
      await handler.close();
    }
  });

  it("an absent header is accepted", async () => {
    const handler = makeHandler();
    try {
      const session = await initialize(handler, { protocolVersion: "2025-06-18" });
      const response = await handler(postRequest(PING, { sessionId: session.id }));
      assert.equal(response.status, 200);
      assert.deepEqual((await response.json()).result, {});
    } finally {
      await handler.close();
    }
  });

  it("is not required on initialize", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(initializeMessage("2025-06-18")));
      assert.equal(response.status, 200);
      assert.equal((await response.json()).result.protocolVersion, "2025-06-18");
    } finally {
      await handler.close();
    }
  });
});

describe("authenticate", () => {
  it("AuthenticationError answers 401 with WWW-Authenticate", async () => {
    const handler = makeHandler({
      auth: {
        authenticate: () => {
          throw new AuthenticationError("Invalid token", {
            wwwAuthenticate:
              'Bearer resource_metadata="https://auth.example.com/.well-known/oauth-protected-resource"',
          });
        },
      },
    });
    try {
      const response = await handler(postRequest(initializeMessage()));
      assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer resource_metadata=/);
      await assertHttpError(response, 401);
    } finally {
      await handler.close();
    }
  });

  it("AuthenticationError with status 403 answers 403", async () => {
    const handler = makeHandler({
      auth: {
        authenticate: () => {
          throw new AuthenticationError("insufficient scope", {
            status: 403,
            wwwAuthenticate: 'Bearer error="insufficient_scope"',
          });
        },
      },
    });
    try {
      const response = await handler(postRequest(initializeMessage()));
      assert.equal(response.headers.get("www-authenticate"), 'Bearer error="insufficient_scope"');
      await assertHttpError(response, 403);
    } finally {
      await handler.close();
    }
  });

  it("returning undefined makes the caller anonymous", async () => {
    let seen: unknown;
    const handler = makeHandler({
      auth: {
        authenticate: () => undefined,
      },
      tools: [{ name: "whoami", handler: (_input, ctx) => ctx.principal.id }],
    });
    try {
      const session = await initialize(handler);
      const outcome = await rpc(handler, session, "tools/call", { name: "whoami" });
      seen = outcome.message.result.content[0].text;
      assert.equal(seen, "anonymous");
    } finally {
      await handler.close();
    }
  });

  it("a plain error answers 500 without leaking its message, and reaches onError", async () => {
    const errors: unknown[] = [];
    const handler = makeHandler({
      observe: {
        onError: (error) => errors.push(error),
      },
      auth: {
        authenticate: () => {
          throw new Error("db password is hunter2");
        },
      },
    });
    try {
      const response = await handler(postRequest(initializeMessage()));
      const text = await response.clone().text();
      assert.ok(!text.includes("hunter2"), `the body leaks the error: ${text}`);
      await assertHttpError(response, 500, { code: -32603 });
      assert.equal(errors.length, 1);
      assert.match(String((errors[0] as Error).message), /hunter2/);
    } finally {
      await handler.close();
    }
  });

  it("a principal without a string id answers 500", async () => {
    const handler = makeHandler({ auth: { authenticate: () => ({ id: "" }) } });
    try {
      await assertHttpError(await handler(postRequest(initializeMessage())), 500);
    } finally {
      await handler.close();
    }
  });

  it("guards GET and DELETE too", async () => {
    let refuse = false;
    const handler = makeHandler({
      auth: {
        authenticate: () => {
          if (refuse) throw new AuthenticationError();
          return { id: "alice" };
        },
      },
    });
    try {
      const session = await initialize(handler);
      refuse = true;
      const get = await handler(
        new Request(ENDPOINT, {
          headers: { accept: "text/event-stream", "mcp-session-id": session.id },
        }),
      );
      await assertHttpError(get, 401);
      const del = await handler(
        new Request(ENDPOINT, { method: "DELETE", headers: { "mcp-session-id": session.id } }),
      );
      await assertHttpError(del, 401);
      refuse = false;
      // The refused DELETE did not end the session.
      assert.equal((await rpc(handler, session, "ping")).status, 200);
    } finally {
      await handler.close();
    }
  });
});

describe("guard order", () => {
  it("a request failing both Host and Content-Type gets the Host error", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(PING, {
        headers: { host: "evil.example.com", "content-type": "text/plain" },
      }));
      await assertHttpError(response, 403);
    } finally {
      await handler.close();
    }
  });

  it("wrong path beats a bad Host", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(PING, {
          url: "http://127.0.0.1:8787/nope",
          headers: { host: "evil.example.com" },
        }),
      );
      await assertHttpError(response, 404);
    } finally {
      await handler.close();
    }
  });

  it("bad Origin beats a bad method", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        new Request(ENDPOINT, { method: "PUT", headers: { origin: "https://evil.example.com" } }),
      );
      await assertHttpError(response, 403);
    } finally {
      await handler.close();
    }
  });

  it("Accept is checked before Content-Type", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(
        postRequest(PING, { headers: { accept: "text/html", "content-type": "text/plain" } }),
      );
      await assertHttpError(response, 406);
    } finally {
      await handler.close();
    }
  });

  it("Content-Type is checked before the body is read (an oversized body with a bad type gets 415)", async () => {
    const handler = makeHandler({ http: { maxBodyBytes: 16 } });
    try {
      const response = await handler(
        postRequest("x".repeat(100), { headers: { "content-type": "text/plain" } }),
      );
      await assertHttpError(response, 415);
    } finally {
      await handler.close();
    }
  });

  it("body size is checked before JSON (an oversized invalid body gets 413)", async () => {
    const handler = makeHandler({ http: { maxBodyBytes: 16 } });
    try {
      await assertHttpError(await handler(postRequest("{".repeat(100))), 413);
    } finally {
      await handler.close();
    }
  });

  it("bad JSON with bad auth gets the JSON error: parsing comes before authentication", async () => {
    let authCalls = 0;
    const handler = makeHandler({
      auth: {
        authenticate: () => {
          authCalls++;
          throw new AuthenticationError();
        },
      },
    });
    try {
      await assertHttpError(await handler(postRequest("{not json")), 400, { code: -32700 });
      assert.equal(authCalls, 0);
    } finally {
      await handler.close();
    }
  });

  it("a bad envelope with bad auth gets the envelope error", async () => {
    const handler = makeHandler({
      auth: {
        authenticate: () => {
          throw new AuthenticationError();
        },
      },
    });
    try {
      await assertHttpError(await handler(postRequest({ jsonrpc: "1.0" })), 400, { code: -32600 });
    } finally {
      await handler.close();
    }
  });

  it("a bad protocol version with bad auth gets the 400", async () => {
    const handler = makeHandler({
      auth: {
        authenticate: () => {
          throw new AuthenticationError();
        },
      },
    });
    try {
      await assertHttpError(
        await handler(postRequest(PING, { protocolVersion: "1999-01-01" })),
        400,
        { id: PING.id },
      );
    } finally {
      await handler.close();
    }
  });

  it("authentication comes before the session check (bad auth and no session id gets 401)", async () => {
    const handler = makeHandler({
      auth: {
        authenticate: () => {
          throw new AuthenticationError();
        },
      },
    });
    try {
      await assertHttpError(await handler(postRequest(PING)), 401);
    } finally {
      await handler.close();
    }
  });
});
