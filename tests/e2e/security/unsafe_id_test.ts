/**
 * JSON-RPC ids that JavaScript numbers cannot hold exactly (integers beyond
 * ±(2^53 − 1)) are refused with -32600 and id null, in both eras, in a batch
 * too: the server never answers with an id other than the one it was sent.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assertHttpError,
  initialize,
  initializeMessage,
  makeHandler,
  postRequest,
  readAnswer,
} from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";

const TOO_BIG = "9007199254740993"; // 2^53 + 1: JSON.parse gives 9007199254740992

/** `body` with the placeholder id replaced by a literal the JSON encoder could not write. */
function withLiteralId(body: unknown, literal: string): string {
  return JSON.stringify(body).replace('"__ID__"', literal);
}

describe("ids beyond the safe integer range", () => {
  for (const literal of [TOO_BIG, `-${TOO_BIG}`, "1e300"]) {
    it(`id ${literal} is refused with -32600 and id null (2025 and 2026-07-28)`, async () => {
      const handler = makeHandler();
      try {
        const session = await initialize(handler);
        const legacy = await handler(postRequest(
          withLiteralId({ jsonrpc: "2.0", id: "__ID__", method: "ping" }, literal),
          { sessionId: session.id, protocolVersion: session.protocolVersion },
        ));
        await assertHttpError(legacy, 400, { code: -32600, id: null, message: /id/ });

        const modern = modernRequest("tools/list", {}, { id: "__ID__" });
        const rewritten = new Request(modern.url, {
          method: "POST",
          headers: modern.headers,
          body: (await modern.text()).replace('"__ID__"', literal),
        });
        await assertHttpError(await handler(rewritten), 400, { code: -32600, id: null });
      } finally {
        await handler.close();
      }
    });
  }

  it("an initialize or a batch member with such an id is refused too; safe ids are echoed exactly", async () => {
    const handler = makeHandler();
    try {
      const refused = await handler(
        postRequest(withLiteralId(initializeMessage(undefined, {}, "__ID__"), TOO_BIG)),
      );
      await assertHttpError(refused, 400, { code: -32600, id: null });

      const session = await initialize(handler, { protocolVersion: "2025-03-26" });
      const batch = await handler(postRequest(
        `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":${TOO_BIG},"method":"ping"}]`,
        { sessionId: session.id, protocolVersion: session.protocolVersion },
      ));
      await assertHttpError(batch, 400, { code: -32600, id: null });

      const largest = await readAnswer(
        await handler(postRequest(
          `{"jsonrpc":"2.0","id":9007199254740991,"method":"ping"}`,
          { sessionId: session.id, protocolVersion: session.protocolVersion },
        )),
      );
      assert.equal(largest.message.id, Number.MAX_SAFE_INTEGER);
    } finally {
      await handler.close();
    }
  });

  it("an invalid message with such an id is answered with id null, never a rounded one", async () => {
    const handler = makeHandler();
    try {
      const response = await handler(postRequest(`{"jsonrpc":"1.0","id":${TOO_BIG}}`));
      await assertHttpError(response, 400, { code: -32600, id: null });
    } finally {
      await handler.close();
    }
  });
});
