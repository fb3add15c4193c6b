/**
 * A `rateLimit` limiter that throws or rejects (its store is down, a bug)
 * fails closed in a defined way: 503 + Retry-After with a JSON-RPC error
 * body, the error to `onError` and a `refusal` event at step `rate-limit`;
 * the request goes no further (authenticate is never asked).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { McpEvent } from "../../../mod.ts";
import { assertHttpError, initializeMessage, makeHandler, postRequest } from "../../helpers.ts";

describe("rateLimit: a failing limiter", () => {
  for (
    const [label, take] of [
      ["throws", () => {
        throw new Error("limiter store unreachable");
      }],
      ["rejects", () => Promise.reject(new Error("limiter store unreachable"))],
    ] as const
  ) {
    it(`that ${label} answers 503 + Retry-After, reports the error, and never reaches authenticate`, async () => {
      const errors: unknown[] = [];
      const events: McpEvent[] = [];
      let authenticated = 0;
      const handler = makeHandler({
        limits: {
          rateLimit: { take },
        },
        observe: {
          onError: (error) => errors.push(error),
          onEvent: (event) => events.push(event),
        },
        auth: {
          authenticate: () => {
            authenticated++;
            return undefined;
          },
        },
      });
      try {
        const response = await handler(postRequest(initializeMessage()));
        assert.equal(response.headers.get("retry-after"), "1");
        await assertHttpError(response, 503, {
          code: -32603,
          message: /rate limiter failed/,
        });
        assert.equal(authenticated, 0, "authenticate is not asked");
        assert.deepEqual(errors.map(String), ["Error: limiter store unreachable"]);
        const refusal = events.find((event) => event.type === "refusal");
        assert.ok(refusal !== undefined && refusal.type === "refusal");
        assert.equal(refusal.step, "rate-limit");
        assert.equal(refusal.status, 503);
        assert.equal((await handler.stats()).refusalsByStep["rate-limit"], 1);
      } finally {
        await handler.close();
      }
    });
  }
});
