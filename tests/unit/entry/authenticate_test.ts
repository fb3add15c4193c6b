/**
 * The entry's authentication step (src/auth/authenticate.ts), without a
 * handler: the principal, the refusals (an AuthenticationError, a response
 * of one's own, a bad principal), and the share claim that only requests
 * starting work make.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Authentication, Refused } from "../../../src/auth/authenticate.ts";
import { Events } from "../../../src/observe/events.ts";
import { AuthenticationError } from "../../../src/auth/authentication_error.ts";
import { ConcurrencyLimit } from "../../../src/limits/concurrency_limit.ts";
import { isRefusal } from "../../../src/http/refusal.ts";
import {
  ANONYMOUS_PRINCIPAL,
  type Principal,
} from "../../../src/protocol/context/request_context.ts";

function step(
  authenticate:
    | ((request: Request) => Principal | undefined | Promise<Principal | undefined>)
    | undefined,
  concurrency?: ConcurrencyLimit,
) {
  const errors: unknown[] = [];
  const events = new Events(undefined, (error) => errors.push(error));
  const onError = (error: unknown) => errors.push(error);
  return {
    auth: new Authentication({ authenticate, concurrency, events, onError }),
    errors,
    events,
  };
}

const request = () => new Request("http://127.0.0.1/mcp", { method: "POST" });

describe("Authentication", () => {
  it("without an authenticate option, every caller is anonymous and nothing is required", async () => {
    const { auth } = step(undefined);
    assert.equal(auth.required, false);
    assert.equal(
      await auth.authenticate(request(), true, { replayClaim: undefined }),
      ANONYMOUS_PRINCIPAL,
    );
  });

  it("returns the option's principal; undefined means anonymous", async () => {
    assert.deepEqual(
      await step(() => ({ id: "alice" })).auth.authenticate(request(), false, {
        replayClaim: undefined,
      }),
      {
        id: "alice",
      },
    );
    assert.equal(
      await step(() => undefined).auth.authenticate(request(), false, { replayClaim: undefined }),
      ANONYMOUS_PRINCIPAL,
    );
  });

  it("an AuthenticationError refuses with its own response, counted at the authenticate step", async () => {
    const { auth, events } = step(() => {
      throw new AuthenticationError("no token");
    });
    const result = await auth.authenticate(request(), true, { replayClaim: undefined });
    assert.ok(result instanceof Refused);
    assert.ok(result.answer instanceof Response);
    assert.equal(result.answer.status, 401);
    assert.equal(events.counters.refusalsByStep.authenticate, 1);
  });

  it("a thrown error carrying a Response refuses with that response", async () => {
    const own = new Response("go away", { status: 403 });
    const result = await step(() => {
      throw { response: own };
    }).auth.authenticate(request(), false, { replayClaim: undefined });
    assert.ok(result instanceof Refused);
    assert.equal(result.answer, own);
  });

  it("a principal without a string id is a 500, reported to onError", async () => {
    const { auth, errors } = step(() => ({ id: 7 }) as unknown as Principal);
    const result = await auth.authenticate(request(), false, { replayClaim: undefined });
    assert.ok(result instanceof Refused);
    assert.equal((result.answer as Response).status, 500);
    assert.equal(errors.length, 1);
  });

  it("a request that starts work claims its principal's share; over it, a 429 refusal", async () => {
    const concurrency = new ConcurrencyLimit(4, 1);
    const { auth } = step(() => ({ id: "alice" }), concurrency);
    const first = request();
    concurrency.enter();
    assert.deepEqual(await auth.authenticate(first, true, { replayClaim: undefined }), {
      id: "alice",
    });
    concurrency.enter();
    const second = await auth.authenticate(request(), true, { replayClaim: undefined });
    assert.ok(second instanceof Refused);
    assert.ok(isRefusal(second.answer));
    assert.equal(second.answer.status, 429);
    assert.equal(second.answer.step, "principal-share");
    // A reply or a cancellation claims nothing: it must reach its work.
    assert.deepEqual(await auth.authenticate(request(), false, { replayClaim: undefined }), {
      id: "alice",
    });
    concurrency.leave(first);
    assert.deepEqual(await auth.authenticate(request(), true, { replayClaim: undefined }), {
      id: "alice",
    });
  });
});
