/**
 * URL-mode elicitation in both eras: a thrown `UrlElicitationRequiredError`
 * is the `-32042` error with its URLs for a 2025-11-25 session (never an
 * `isError` result), and an `input_required` round of URL-mode
 * `elicitation/create` requests for 2026-07-28 (keyed by elicitationId, which
 * that revision no longer sends), retried until the tool is satisfied;
 * `ctx.elicitationComplete(id)` sends `notifications/elicitation/complete`
 * only where that notification exists (2025-11-25).
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  defineResource,
  defineTool,
  ErrorCode,
  supportsUrlElicitation,
  UrlElicitationRequiredError,
} from "../../../../mod.ts";
import { initialize, makeHandler, rpc } from "../../../helpers.ts";
import { modernRpc } from "../../../support/modern_helpers.ts";

const STEP = {
  elicitationId: "link-7",
  url: "https://mcp.example.com/link?e=link-7",
  message: "Link your account first.",
};
const URL_CAPS = { elicitation: { form: {}, url: {} } };

/** A tool that needs STEP done; `linked.done = true` stands for the user finishing it. */
function linkedTools(linked: { done: boolean }) {
  return [
    defineTool({
      name: "files",
      handler: () => {
        if (!linked.done) throw new UrlElicitationRequiredError(STEP);
        return "report.pdf";
      },
    }),
    defineTool({
      name: "finish",
      handler: async (_input, ctx) => {
        await ctx.elicitationComplete(STEP.elicitationId);
        return "finished";
      },
    }),
  ];
}

describe("UrlElicitationRequiredError, 2025-11-25 session", () => {
  it("a tool that throws it answers -32042 with the elicitations, not an isError result", async () => {
    const handler = makeHandler({ tools: linkedTools({ done: false }) });
    try {
      const session = await initialize(handler, { capabilities: URL_CAPS });
      const { message } = await rpc(handler, session, "tools/call", { name: "files" });
      assert.equal(message.result, undefined);
      assert.equal(message.error.code, -32042);
      assert.equal(message.error.code, ErrorCode.UrlElicitationRequired);
      assert.deepEqual(message.error.data, { elicitations: [{ mode: "url", ...STEP }] });
    } finally {
      await handler.close();
    }
  });

  it("a resource reader that throws it answers -32042 too", async () => {
    const handler = makeHandler({
      resources: [defineResource({
        uri: "files://secret",
        name: "secret",
        read: () => {
          throw new UrlElicitationRequiredError([STEP, { ...STEP, elicitationId: "pay-1" }]);
        },
      })],
    });
    try {
      const session = await initialize(handler, { capabilities: URL_CAPS });
      const { message } = await rpc(handler, session, "resources/read", { uri: "files://secret" });
      assert.equal(message.error.code, -32042);
      assert.deepEqual(
        message.error.data.elicitations.map((e: { elicitationId: string }) => e.elicitationId),
        ["link-7", "pay-1"],
      );
    } finally {
      await handler.close();
    }
  });

  it("elicitationComplete sends notifications/elicitation/complete on the call's stream", async () => {
    const handler = makeHandler({ tools: linkedTools({ done: true }) });
    try {
      const session = await initialize(handler, { capabilities: URL_CAPS });
      const outcome = await rpc(handler, session, "tools/call", { name: "finish" });
      assert.deepEqual(outcome.messages[0], {
        jsonrpc: "2.0",
        method: "notifications/elicitation/complete",
        params: { elicitationId: "link-7" },
      });
      assert.deepEqual(outcome.message.result.content, [{ type: "text", text: "finished" }]);
    } finally {
      await handler.close();
    }
  });

  it("elicitationComplete sends nothing to a 2025-06-18 session (no such notification there)", async () => {
    const handler = makeHandler({ tools: linkedTools({ done: true }) });
    try {
      const session = await initialize(handler, { protocolVersion: "2025-06-18" });
      const outcome = await rpc(handler, session, "tools/call", { name: "finish" });
      assert.equal(outcome.messages.length, 1);
      assert.deepEqual(outcome.message.result.content, [{ type: "text", text: "finished" }]);
    } finally {
      await handler.close();
    }
  });

  it("ctx.elicit in URL mode is refused when the client declared form mode only", async () => {
    const handler = makeHandler({
      tools: [defineTool({
        name: "ask",
        handler: async (_input, ctx) => {
          const answer = await ctx.elicit({ mode: "url", ...STEP });
          return answer.action;
        },
      })],
    });
    try {
      const session = await initialize(handler, { capabilities: { elicitation: { form: {} } } });
      const { message } = await rpc(handler, session, "tools/call", { name: "ask" });
      assert.equal(message.result.isError, true);
      assert.match(message.result.content[0].text, /elicitation\.url/);
    } finally {
      await handler.close();
    }
  });
});

describe("the capability check of server→client requests, one for both eras", () => {
  it("a 2025-11-25 session refuses sampling with tools to a client without sampling.tools", async () => {
    const handler = makeHandler({
      tools: [defineTool({
        name: "agent",
        handler: async (_input, ctx) => {
          await ctx.sample({ messages: [], maxTokens: 1, tools: [{ name: "t" }] });
          return "sampled";
        },
      })],
    });
    try {
      const session = await initialize(handler, { capabilities: { sampling: {} } });
      const { message } = await rpc(handler, session, "tools/call", { name: "agent" });
      assert.equal(message.result.isError, true);
      assert.match(message.result.content[0].text, /sampling\.tools/);
    } finally {
      await handler.close();
    }
  });
});

describe("UrlElicitationRequiredError, 2026-07-28", () => {
  it("answers input_required with URL-mode elicitation/create keyed by elicitationId; the retry completes once the step is done", async () => {
    const linked = { done: false };
    const handler = makeHandler({ tools: linkedTools(linked) });
    try {
      const first = await modernRpc(handler, "tools/call", { name: "files", arguments: {} }, {
        capabilities: URL_CAPS,
      });
      const result = first.message.result;
      assert.equal(result.resultType, "input_required");
      assert.deepEqual(result.inputRequests, {
        "link-7": {
          method: "elicitation/create",
          params: { mode: "url", url: STEP.url, message: STEP.message },
        },
      });
      // The user accepted but has not finished: the tool asks again.
      const again = await modernRpc(handler, "tools/call", {
        name: "files",
        arguments: {},
        inputResponses: { "link-7": { action: "accept" } },
        requestState: result.requestState,
      }, { capabilities: URL_CAPS });
      assert.equal(again.message.result.resultType, "input_required");
      linked.done = true;
      const done = await modernRpc(handler, "tools/call", {
        name: "files",
        arguments: {},
        inputResponses: { "link-7": { action: "accept" } },
        requestState: again.message.result.requestState,
      }, { capabilities: URL_CAPS });
      assert.equal(done.message.result.resultType, "complete");
      assert.deepEqual(done.message.result.content, [{ type: "text", text: "report.pdf" }]);
    } finally {
      await handler.close();
    }
  });

  it("a declined step ends the request with -32003 naming it, rather than asking forever", async () => {
    const handler = makeHandler({ tools: linkedTools({ done: false }) });
    try {
      const first = await modernRpc(handler, "tools/call", { name: "files", arguments: {} }, {
        capabilities: URL_CAPS,
      });
      const declined = await modernRpc(handler, "tools/call", {
        name: "files",
        arguments: {},
        inputResponses: { "link-7": { action: "decline" } },
        requestState: first.message.result.requestState,
      }, { capabilities: URL_CAPS });
      assert.equal(declined.message.error.code, ErrorCode.RequestFailed);
      assert.deepEqual(declined.message.error.data, { elicitationIds: ["link-7"] });
    } finally {
      await handler.close();
    }
  });

  it("a client without elicitation.url gets -32021 naming it", async () => {
    const handler = makeHandler({ tools: linkedTools({ done: false }) });
    try {
      const outcome = await modernRpc(handler, "tools/call", { name: "files", arguments: {} }, {
        capabilities: { elicitation: { form: {} } },
      });
      assert.equal(outcome.message.error.code, ErrorCode.MissingRequiredClientCapability);
      assert.deepEqual(outcome.message.error.data.requiredCapabilities, {
        elicitation: { url: {} },
      });
    } finally {
      await handler.close();
    }
  });

  it("elicitationComplete sends nothing (the notification was removed in 2026-07-28)", async () => {
    const handler = makeHandler({ tools: linkedTools({ done: true }) });
    try {
      const outcome = await modernRpc(handler, "tools/call", { name: "finish", arguments: {} }, {
        capabilities: URL_CAPS,
      });
      assert.equal(outcome.messages.length, 1);
      assert.deepEqual(outcome.message.result.content, [{ type: "text", text: "finished" }]);
    } finally {
      await handler.close();
    }
  });
});

describe("UrlElicitationRequiredError, its checks", () => {
  it("refuses a missing id, a missing message, a non-web URL and an empty list", () => {
    assert.throws(
      () => new UrlElicitationRequiredError({ ...STEP, elicitationId: "" }),
      /elicitationId/,
    );
    assert.throws(
      () => new UrlElicitationRequiredError({ ...STEP, message: undefined as never }),
      /message/,
    );
    assert.throws(
      () => new UrlElicitationRequiredError({ ...STEP, url: "javascript:alert(1)" }),
      /https: or http:/,
    );
    assert.throws(() => new UrlElicitationRequiredError([]), /at least one/);
  });

  it("supportsUrlElicitation reads elicitation.url", () => {
    assert.equal(supportsUrlElicitation(URL_CAPS), true);
    assert.equal(supportsUrlElicitation({ elicitation: {} }), false);
    assert.equal(supportsUrlElicitation({}), false);
  });
});
