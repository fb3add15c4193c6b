/**
 * The front door's table (src/entry/steps.ts) walked end to end: its order,
 * and, for each step that can refuse, a crafted request that passes every
 * step before it and is refused by that one (the refusal counted under the
 * step's name in `stats().refusalsByStep`). A step added to the table
 * without a case here fails the walk.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AuthenticationError, defineTool, type McpHandler } from "../../../mod.ts";
import { MemoryBus } from "../../../src/storage/mod.ts";
import { STEPS } from "../../../src/entry/steps.ts";
import type { RefusalStep } from "../../../src/http/refusal.ts";
import { blockingTool } from "../../blocking_tool.ts";
import { Faults, faulty } from "../../faulty_storage.ts";
import {
  bodilessRequest,
  ENDPOINT,
  initializeMessage,
  makeHandler,
  postRequest,
  within,
} from "../../helpers.ts";
import { modernRequest } from "../../support/modern_helpers.ts";
import { dpopProof, type ProofKey, proofKey } from "../../e2e/oauth/dpop_proofs.ts";

/** One step's refusal: the handler, what runs first, the crafted request, and what it is answered. */
interface Case {
  handler: () => McpHandler;
  /** Runs before the request (another call in flight, a close); returns what undoes it. */
  before?: (handler: McpHandler) => Promise<() => void>;
  request: () => Request;
  status: number;
  step: RefusalStep;
}

const scoped = defineTool({ name: "admin", scopes: ["mcp:admin"], handler: () => "ok" });

/** A request every handler serves: it passes every step unless the case's condition refuses it. */
const discover = () => modernRequest("server/discover");

/** The DPoP case's key and its next proof, made in `before` (signing waits). */
const dpop: { key?: ProofKey; proof: string } = { proof: "" };
/** An initialize POST with the token `bound` and `proof`. */
const dpopRequest = (proof: string) =>
  postRequest(initializeMessage(), { headers: { authorization: "DPoP bound", dpop: proof } });

const CASES: Record<string, Case> = {
  health: {
    handler: () => makeHandler({ http: { healthPath: "/health" } }),
    before: async (handler) => {
      await handler.close();
      return () => {};
    },
    request: () => bodilessRequest("GET", { url: "http://127.0.0.1:8787/health" }),
    status: 503,
    step: "closing",
  },
  path: {
    handler: () => makeHandler(),
    request: () => bodilessRequest("GET", { url: "http://127.0.0.1:8787/other" }),
    status: 404,
    step: "path",
  },
  "host-origin": {
    handler: () => makeHandler(),
    request: () =>
      modernRequest("server/discover", {}, { headers: { origin: "https://evil.example" } }),
    status: 403,
    step: "host-origin",
  },
  closing: {
    handler: () => makeHandler(),
    before: async (handler) => {
      await handler.close();
      return () => {};
    },
    request: discover,
    status: 503,
    step: "closing",
  },
  "require-header": {
    handler: () => makeHandler({ security: { requireHeader: "x-mcp-client" } }),
    request: discover,
    status: 403,
    step: "require-header",
  },
  "rate-limit": {
    handler: () =>
      makeHandler({ limits: { rateLimit: { take: () => ({ ok: false, retryAfterSeconds: 1 }) } } }),
    request: discover,
    status: 429,
    step: "rate-limit",
  },
  bus: {
    handler: () => {
      const faults = new Faults();
      faults.set("subscribe", "reject");
      return makeHandler({ bus: faulty(new MemoryBus(), faults) });
    },
    request: discover,
    status: 503,
    step: "bus",
  },
  "concurrency-limit": {
    handler: () => makeHandler({ tools: [blocked.tool], limits: { maxConcurrentRequests: 1 } }),
    before: async (handler) => {
      const call = handler(modernRequest("tools/call", { name: "block", arguments: {} }));
      await within(blocked.started, 3_000, "the blocking call to start");
      return () => {
        blocked.release();
        void call.then((response) => response.body?.cancel());
      };
    },
    request: discover,
    status: 503,
    step: "concurrency-limit",
  },
  method: {
    handler: () => makeHandler(),
    request: () => new Request(ENDPOINT, { method: "PUT" }),
    status: 405,
    step: "method",
  },
  "post-headers": {
    handler: () => makeHandler(),
    request: () => modernRequest("server/discover", {}, { headers: { accept: "text/html" } }),
    status: 406,
    step: "accept",
  },
  body: {
    handler: () => makeHandler(),
    request: () => postRequest("{not json"),
    status: 400,
    step: "json",
  },
  "starts-work": {
    handler: () => makeHandler({ tools: [drained.tool] }),
    before: async (handler) => {
      const call = handler(modernRequest("tools/call", { name: "block", arguments: {} }));
      await within(drained.started, 3_000, "the blocking call to start");
      const closing = handler.close({ graceMs: 30_000 });
      return () => {
        drained.release();
        void call.then((response) => response.body?.cancel());
        void closing;
      };
    },
    request: discover,
    status: 503,
    step: "closing",
  },
  era: {
    handler: () => makeHandler({ eras: { modern: false } }),
    request: discover,
    status: 404,
    step: "era",
  },
  "legacy-checks": {
    handler: () => makeHandler(),
    request: () =>
      postRequest({ jsonrpc: "2.0", id: 1, method: "tools/list" }, {
        protocolVersion: "1999-01-01",
      }),
    status: 400,
    step: "protocol-version",
  },
  authenticate: {
    handler: () =>
      makeHandler({
        auth: {
          authenticate: () => {
            throw new AuthenticationError("no token");
          },
        },
      }),
    request: discover,
    status: 401,
    step: "authenticate",
  },
  scope: {
    handler: () =>
      makeHandler({ tools: [scoped], auth: { authenticate: () => ({ id: "alice", scopes: [] }) } }),
    request: () => modernRequest("tools/call", { name: "admin", arguments: {} }),
    status: 403,
    step: "scope",
  },
  "rate-limits": {
    handler: () =>
      makeHandler({ limits: { rateLimits: { perPrincipal: { limit: 1, windowSeconds: 60 } } } }),
    before: async (handler) => {
      await (await handler(discover())).text(); // spends the one request of the window
      return () => {};
    },
    request: discover,
    status: 429,
    step: "principal-rate-limit",
  },
  "dpop-replay": {
    handler: () =>
      makeHandler({
        auth: {
          oauth: {
            resource: ENDPOINT,
            authorizationServers: ["https://auth.example.com"],
            verifyAccessToken: (token) =>
              token === "bound"
                ? { id: "alice", scopes: [], claims: { cnf: { jkt: dpop.key!.jkt } } }
                : null,
            dpop: { mode: "required", maxReplayEntriesPerPrincipal: 1 },
          },
        },
      }),
    before: async (handler) => {
      const key = dpop.key = await proofKey();
      const sign = () => dpopProof(key, { htu: ENDPOINT, token: "bound" });
      await (await handler(dpopRequest(await sign()))).text(); // takes the one place of its share
      dpop.proof = await sign();
      return () => {};
    },
    request: () => dpopRequest(dpop.proof),
    status: 429,
    step: "dpop-share",
  },
};

const blocked = blockingTool();
const drained = blockingTool();

describe("the front door's table", () => {
  it("runs its steps in this order", () => {
    assert.deepEqual(STEPS.map((step) => step.name), [
      "preflight",
      "health",
      "metadata",
      "path",
      "host-origin",
      "closing",
      "require-header",
      "rate-limit",
      "bus",
      "concurrency-limit",
      "method",
      "post-headers",
      "body",
      "starts-work",
      "era",
      "legacy-checks",
      "authenticate",
      "scope",
      "rate-limits",
      "dpop-replay",
    ]);
  });

  it("has a crafted request for every step that can refuse, and reports only what it lists", () => {
    const refusing = STEPS.filter((step) => step.reports.length > 0).map((step) => step.name);
    assert.deepEqual(Object.keys(CASES), refusing);
    for (const step of STEPS) {
      const crafted = CASES[step.name];
      if (crafted !== undefined) {
        assert.ok(
          (step.reports as readonly string[]).includes(crafted.step),
          `${step.name} lists ${crafted.step}`,
        );
      }
    }
  });

  for (const [name, crafted] of Object.entries(CASES)) {
    it(`step ${name}: refuses its crafted request (${crafted.status}, ${crafted.step})`, async () => {
      const handler = crafted.handler();
      const undo = await crafted.before?.(handler);
      try {
        const response = await handler(crafted.request());
        await response.body?.cancel();
        assert.equal(response.status, crafted.status);
        const { refusalsByStep } = await handler.stats();
        assert.deepEqual(refusalsByStep, { [crafted.step]: 1 }, "refused by this step only");
      } finally {
        undo?.();
        await handler.close();
      }
    });
  }

  it("lets a request through every step when no condition refuses it (positive control)", async () => {
    const handler = makeHandler({
      tools: [scoped],
      auth: {
        authenticate: () => ({ id: "alice", scopes: ["mcp:admin"] }),
      },
      limits: {
        rateLimits: { perPrincipal: { limit: 5, windowSeconds: 60 } },
        maxConcurrentRequests: 2,
      },
    });
    try {
      for (
        const request of [discover(), modernRequest("tools/call", { name: "admin", arguments: {} })]
      ) {
        const response = await handler(request);
        assert.equal(response.status, 200);
        await response.body?.cancel();
      }
      assert.deepEqual((await handler.stats()).refusalsByStep, {});
    } finally {
      await handler.close();
    }
  });
});
