/**
 * `initialize` bounds the client metadata a session keeps for its life: its
 * `capabilities` and `clientInfo` together over 8 KiB of JSON (in UTF-8
 * bytes, not characters) are refused
 * 400 with -32602 for the request's id, in the sessionful era and in the
 * stateless mode for 2025 clients alike; just under it is served. Both
 * modes measure the metadata as a session would keep it: a `clientInfo`
 * that is not an object is dropped, not measured, and a `capabilities`
 * that is not one is refused as such, however large.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertHttpError, initializeMessage, makeHandler, postRequest } from "../../../helpers.ts";

/** An initialize whose clientInfo carries `count` of `unit` as padding. */
function initializeWith(count: number, unit = "x"): Record<string, unknown> {
  const message = initializeMessage() as { params: Record<string, unknown> };
  message.params.clientInfo = { name: "big", version: "1.0.0", padding: unit.repeat(count) };
  return message;
}

for (const legacy of [true, "stateless"] as const) {
  describe(`initialize client metadata (eras.legacy: ${legacy})`, () => {
    it("over 8 KiB of capabilities and clientInfo is 400 -32602; under it is served", async () => {
      const handler = makeHandler({ eras: { legacy } });
      try {
        const refused = await handler(postRequest(initializeWith(9 * 1024)));
        await assertHttpError(refused, 400, { code: -32602, id: 0, message: /too large/ });
        const served = await handler(postRequest(initializeWith(7 * 1024)));
        assert.equal(served.status, 200);
        await served.body?.cancel();
      } finally {
        await handler.close();
      }
    });

    it("counts UTF-8 bytes: 3,000 three-byte characters are refused, 2,600 served", async () => {
      const handler = makeHandler({ eras: { legacy } });
      try {
        // 3,000 characters of "€" are 9,000 bytes (over 8 KiB) in 3,000 UTF-16 units (under it).
        const refused = await handler(postRequest(initializeWith(3_000, "€")));
        await assertHttpError(refused, 400, { code: -32602, id: 0, message: /too large/ });
        // Four-byte characters (a surrogate pair each): 2,100 of them are 8,400 bytes.
        const astral = await handler(postRequest(initializeWith(2_100, "😀")));
        await assertHttpError(astral, 400, { code: -32602, id: 0, message: /too large/ });
        const served = await handler(postRequest(initializeWith(2_600, "€")));
        assert.equal(served.status, 200, await served.clone().text());
        await served.body?.cancel();
      } finally {
        await handler.close();
      }
    });

    it("measures the metadata as kept: a non-object clientInfo is dropped, a non-object capabilities refused as such", async () => {
      const handler = makeHandler({ eras: { legacy } });
      try {
        const stringInfo = initializeMessage() as { params: Record<string, unknown> };
        stringInfo.params.clientInfo = "x".repeat(9 * 1024);
        const served = await handler(postRequest(stringInfo));
        assert.equal(served.status, 200, await served.clone().text());
        await served.body?.cancel();
        const stringCapabilities = initializeMessage() as { params: Record<string, unknown> };
        stringCapabilities.params.capabilities = "x".repeat(9 * 1024);
        const refused = await handler(postRequest(stringCapabilities));
        await assertHttpError(refused, 400, {
          code: -32602,
          id: 0,
          message: /capabilities object/,
        });
      } finally {
        await handler.close();
      }
    });
  });
}
