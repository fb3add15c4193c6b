/**
 * Finding 9 of the hostile-input review: an SSE response that does not start
 * with a priming event (the listening stream of 2025-03-26 and 2025-06-18
 * sessions, a silent call answered as SSE) had no bytes until its first event,
 * and Bun sends no response headers before the first body chunk: the client
 * waited for the first heartbeat. Every SSE body now starts with bytes at
 * once. Checked in process (the first chunk is there before any event) and on
 * a real server of the runtime running the test (headers arrive long before
 * the heartbeat).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool } from "../../../mod.ts";
import {
  bodilessRequest,
  deferred,
  initialize,
  makeHandler,
  parseSse,
  postRequest,
  readTextUntil,
} from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";
import { withServer, withTimeout } from "../interop/helpers.ts";

/** Long enough that a response waiting for the first heartbeat fails the deadline below. */
const HEARTBEAT_MS = 60_000;
/** A generous bound for headers that are sent at once. */
const HEADERS_DEADLINE_MS = 3_000;

/** A tool that stays silent until the test lets it finish. */
function silentTool(release: Promise<void>) {
  return defineTool({
    name: "silent",
    description: "waits for the test",
    handler: async () => (await release, "done"),
  });
}

async function rawInitialize(url: string, protocolVersion: string): Promise<string> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion,
        capabilities: {},
        clientInfo: { name: "sse-headers", version: "0" },
      },
    }),
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  return response.headers.get("mcp-session-id")!;
}

describe("SSE bodies start with bytes at once (in process)", () => {
  for (const protocolVersion of ["2025-03-26", "2025-06-18"]) {
    it(`the listening stream of a ${protocolVersion} session has a first chunk before any event`, async () => {
      const handler = makeHandler({ streams: { heartbeatMs: HEARTBEAT_MS } });
      try {
        const session = await initialize(handler, { protocolVersion });
        const response = await handler(
          bodilessRequest("GET", { sessionId: session.id, protocolVersion }),
        );
        assert.equal(response.status, 200);
        const reader = response.body!.getReader();
        const { text } = await readTextUntil(
          reader,
          (text) => text.includes("\n\n"),
          HEADERS_DEADLINE_MS,
        );
        await reader.cancel();
        assert.match(
          text,
          /^: [^\n]*\n\n$/,
          `the body starts with a comment, got ${JSON.stringify(text)}`,
        );
        assert.deepEqual(
          parseSse(text).map((event) => event.data),
          [undefined],
          "a comment carries no event",
        );
      } finally {
        await handler.close();
      }
    });
  }

  it("a silent call answered as SSE on a 2025-06-18 session has a first chunk before its result", async () => {
    const release = deferred();
    const handler = makeHandler({
      streams: {
        heartbeatMs: HEARTBEAT_MS,
        responseMode: "sse",
      },
      tools: [silentTool(release.promise)],
    });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-06-18" });
      const response = await handler(postRequest(
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "silent" } },
        { sessionId: session.id, protocolVersion: "2025-06-18" },
      ));
      const reader = response.body!.getReader();
      const first = await readTextUntil(
        reader,
        (text) => text.includes("\n\n"),
        HEADERS_DEADLINE_MS,
      );
      assert.match(first.text, /^: [^\n]*\n\n$/);
      release.resolve();
      const rest = await readTextUntil(reader, () => false, HEADERS_DEADLINE_MS);
      assert.equal(rest.ended, true);
      const messages = parseSse(first.text + rest.text).filter((event) => event.data !== undefined)
        .map((event) => JSON.parse(event.data!));
      assert.deepEqual(
        messages.map((message) => message.result?.content[0].text),
        ["done"],
        "the result follows, with its event id",
      );
    } finally {
      release.resolve();
      await handler.close();
    }
  });

  it("a 2025-11-25 stream still starts with its priming event, not a comment", async () => {
    const handler = makeHandler({ streams: { heartbeatMs: HEARTBEAT_MS } });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-11-25" });
      const response = await handler(
        bodilessRequest("GET", { sessionId: session.id, protocolVersion: "2025-11-25" }),
      );
      const reader = response.body!.getReader();
      const { text } = await readTextUntil(
        reader,
        (text) => text.includes("\n\n"),
        HEADERS_DEADLINE_MS,
      );
      await reader.cancel();
      assert.match(text, /^id: /, `the priming event comes first, got ${JSON.stringify(text)}`);
    } finally {
      await handler.close();
    }
  });
});

describe("SSE response headers arrive at once (real server)", () => {
  for (const protocolVersion of ["2025-03-26", "2025-06-18"]) {
    it(`GET listening stream of a ${protocolVersion} session: headers before the first heartbeat`, async () => {
      await withServer({ streams: { heartbeatMs: HEARTBEAT_MS } }, async ({ url }) => {
        const sessionId = await rawInitialize(url, protocolVersion);
        const controller = new AbortController();
        try {
          const response = await withTimeout(
            fetch(url, {
              headers: {
                accept: "text/event-stream",
                "mcp-session-id": sessionId,
                "mcp-protocol-version": protocolVersion,
              },
              signal: controller.signal,
            }),
            HEADERS_DEADLINE_MS,
            `no response headers within ${HEADERS_DEADLINE_MS} ms`,
          );
          assert.equal(response.status, 200);
          assert.equal(response.headers.get("content-type"), "text/event-stream");
        } finally {
          controller.abort();
        }
      });
    });
  }

  it("a silent call answered as SSE (2025-06-18): headers before the result", async () => {
    const release = deferred();
    await withServer({
      streams: {
        heartbeatMs: HEARTBEAT_MS,
        responseMode: "sse",
      },
      tools: [silentTool(release.promise)],
    }, async ({ url }) => {
      const sessionId = await rawInitialize(url, "2025-06-18");
      try {
        const response = await withTimeout(
          fetch(url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
              "mcp-session-id": sessionId,
              "mcp-protocol-version": "2025-06-18",
            },
            body: JSON.stringify({
              jsonrpc: "2.0",
              id: 1,
              method: "tools/call",
              params: { name: "silent" },
            }),
          }),
          HEADERS_DEADLINE_MS,
          `no response headers within ${HEADERS_DEADLINE_MS} ms`,
        );
        assert.equal(response.headers.get("content-type"), "text/event-stream");
        release.resolve();
        assert.match(
          await withTimeout(response.text(), HEADERS_DEADLINE_MS, "the body did not end"),
          /"done"/,
        );
      } finally {
        release.resolve();
      }
    });
  });

  it("a silent 2026-07-28 call answered as SSE: headers before the result", async () => {
    const release = deferred();
    await withServer({
      streams: {
        heartbeatMs: HEARTBEAT_MS,
        responseMode: "sse",
      },
      tools: [silentTool(release.promise)],
    }, async ({ url }) => {
      try {
        const template = modernRequest("tools/call", { name: "silent" });
        const response = await withTimeout(
          fetch(url, { method: "POST", headers: template.headers, body: await template.text() }),
          HEADERS_DEADLINE_MS,
          `no response headers within ${HEADERS_DEADLINE_MS} ms`,
        );
        assert.equal(response.headers.get("content-type"), "text/event-stream");
        release.resolve();
        assert.match(
          await withTimeout(response.text(), HEADERS_DEADLINE_MS, "the body did not end"),
          /"done"/,
        );
      } finally {
        release.resolve();
      }
    });
  });
});
