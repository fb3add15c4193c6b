/**
 * Request ids are bounded wherever they enter, not only on requests: the
 * `requestId` of `notifications/cancelled` (both eras) and the id of a
 * client's reply are held to `maxIdBytes` at the front door, and an
 * oversized one is refused before anything reaches the bus (a 4 MB
 * `requestId` once became a 4 MB entry in the shared bus stream).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ACCEPT_BOTH,
  assertHttpError,
  ENDPOINT,
  initialize,
  makeHandler,
  notify,
  postRequest,
} from "../../helpers.ts";
import { MODERN } from "../../support/modern_helpers.ts";
import { RecordingBus } from "../../support/recording_bus.ts";

const LONG = "x".repeat(4 * 1024);

function modernCancel(requestId: unknown): Request {
  return new Request(ENDPOINT, {
    method: "POST",
    headers: {
      accept: ACCEPT_BOTH,
      "content-type": "application/json",
      "mcp-protocol-version": MODERN,
      "mcp-method": "notifications/cancelled",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: {
        requestId,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": MODERN,
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    }),
  });
}

describe("request ids are bounded wherever they enter", () => {
  it("2025: notifications/cancelled with an oversized requestId → 400 -32602, nothing on the bus", async () => {
    const bus = new RecordingBus();
    const handler = makeHandler({ bus });
    try {
      const session = await initialize(handler);
      await assertHttpError(
        await notify(handler, session, "notifications/cancelled", { requestId: LONG }),
        400,
        { code: -32602, id: null, message: /requestId longer than 256 bytes/ },
      );
      assert.deepEqual(bus.types().filter((type) => type === "cancel"), []);
      // Positive control: a cancellation of a request not running here is forwarded.
      const control = await notify(handler, session, "notifications/cancelled", { requestId: 9 });
      assert.equal(control.status, 202);
      assert.deepEqual(bus.types().filter((type) => type === "cancel"), ["cancel"]);
    } finally {
      await handler.close();
    }
  });

  it("2026-07-28: notifications/cancelled with an oversized requestId → 400 -32602, nothing on the bus", async () => {
    const bus = new RecordingBus();
    const handler = makeHandler({ bus });
    try {
      await assertHttpError(await handler(modernCancel(LONG)), 400, {
        code: -32602,
        id: null,
        message: /requestId longer than 256 bytes/,
      });
      assert.deepEqual(bus.published, []);
      assert.equal((await handler(modernCancel("m-1"))).status, 202, "positive control");
      assert.deepEqual(bus.types(), ["stateless-cancel"]);
    } finally {
      await handler.close();
    }
  });

  it("a client reply with an oversized id → 400 -32600, nothing on the bus", async () => {
    const bus = new RecordingBus();
    const handler = makeHandler({ bus });
    try {
      const session = await initialize(handler);
      await assertHttpError(
        await handler(postRequest(
          { jsonrpc: "2.0", id: LONG, result: {} },
          { sessionId: session.id, protocolVersion: session.protocolVersion },
        )),
        400,
        { code: -32600, id: null, message: /id longer than 256 bytes/ },
      );
      assert.deepEqual(bus.published, []);
    } finally {
      await handler.close();
    }
  });

  it("the bound is maxIdBytes, counted in UTF-8 bytes", async () => {
    const bus = new RecordingBus();
    const handler = makeHandler({ bus, http: { maxIdBytes: 8 } });
    try {
      const session = await initialize(handler);
      const fits = await notify(handler, session, "notifications/cancelled", {
        requestId: "é".repeat(4),
      });
      assert.equal(fits.status, 202, "8 bytes fit");
      await assertHttpError(
        await notify(handler, session, "notifications/cancelled", { requestId: "é".repeat(5) }),
        400,
        { code: -32602, message: /longer than 8 bytes/ },
      );
    } finally {
      await handler.close();
    }
  });
});
