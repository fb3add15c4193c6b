/**
 * How a 2026-07-28 server answers requestState trouble: a state that does
 * not open is a `request-state-refused` event with a one-word reason (no
 * error object, no stack trace in the error log, so a client cannot fill it),
 * and a state that would grow past `requestState.maxBytes` (or arrives over
 * it) is a client error, -32602, that names the limit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineTool, type McpEvent } from "../../../mod.ts";
import { makeHandler } from "../../helpers.ts";
import { modernRpc } from "../../support/modern_helpers.ts";

const CAPS = { elicitation: {} };

/** A tool that asks twice: the first answer is carried in the state of the second round. */
const twoRounds = defineTool({
  name: "two_rounds",
  handler: async (_input, ctx) => {
    const first = await ctx.elicit({
      message: "First?",
      requestedSchema: { type: "object", properties: { note: { type: "string" } } },
    }, { key: "step1" });
    const second = await ctx.elicit({
      message: "Second?",
      requestedSchema: { type: "object", properties: {} },
    }, { key: "step2" });
    return `${first.action}/${second.action}`;
  },
});

describe("requestState failures", () => {
  it("a state that does not open is an event with its reason, never an error with a stack", async () => {
    const errors: unknown[] = [];
    const events: McpEvent[] = [];
    const handler = makeHandler({
      tools: [twoRounds],
      observe: {
        onError: (error) => errors.push(error),
        onEvent: (event) => events.push(event),
      },
    });
    try {
      const state = (await modernRpc(handler, "tools/call", { name: "two_rounds", arguments: {} }, {
        capabilities: CAPS,
      })).message.result.requestState as string;
      for (const bad of [`${state}-TAMPERED`, "v1.nope", 42]) {
        const outcome = await modernRpc(handler, "tools/call", {
          name: "two_rounds",
          arguments: {},
          inputResponses: { step1: { action: "decline" } },
          requestState: bad,
        }, { capabilities: CAPS });
        assert.equal(outcome.message.error?.code, -32602);
        assert.equal(outcome.message.error.message, "Invalid or expired requestState");
      }
      assert.deepEqual(errors, [], "nothing reaches onError");
      const refused = events.filter((event) => event.type === "request-state-refused");
      assert.deepEqual(refused, [
        { type: "request-state-refused", reason: "bad-seal" },
        { type: "request-state-refused", reason: "malformed" },
        { type: "request-state-refused", reason: "malformed" },
      ]);
    } finally {
      await handler.close();
    }
  });

  it("answers that would seal a state over maxBytes are -32602 naming the limit; a smaller one seals", async () => {
    const errors: unknown[] = [];
    const handler = makeHandler({
      tools: [twoRounds],
      observe: {
        onError: (error) => errors.push(error),
      },
      stateless: {
        requestState: { maxBytes: 4096 },
      },
    });
    try {
      const first = await modernRpc(handler, "tools/call", { name: "two_rounds", arguments: {} }, {
        capabilities: CAPS,
      });
      const requestState = first.message.result.requestState;
      const answer = (note: string) => ({
        name: "two_rounds",
        arguments: {},
        inputResponses: { step1: { action: "accept", content: { note } } },
        requestState,
      });
      const over = await modernRpc(handler, "tools/call", answer("x".repeat(8_000)), {
        capabilities: CAPS,
      });
      assert.equal(over.message.error?.code, -32602, JSON.stringify(over.message));
      assert.match(over.message.error.message, /requestState/);
      assert.match(over.message.error.message, /4096 bytes/);
      assert.deepEqual(errors, [], "a client's big answer is not a server error");
      // Positive control: a small answer gets the next round.
      const small = await modernRpc(handler, "tools/call", answer("short"), { capabilities: CAPS });
      assert.equal(small.message.result.resultType, "input_required");
    } finally {
      await handler.close();
    }
  });

  it("a state that arrives over the default 64 KiB is -32602 naming the limit", async () => {
    const handler = makeHandler({ tools: [twoRounds] });
    try {
      const outcome = await modernRpc(handler, "tools/call", {
        name: "two_rounds",
        arguments: {},
        inputResponses: { step1: { action: "decline" } },
        requestState: `v1.${"A".repeat(70 * 1024)}`,
      }, { capabilities: CAPS });
      assert.equal(outcome.message.error?.code, -32602);
      assert.match(outcome.message.error.message, /65536 bytes/);
    } finally {
      await handler.close();
    }
  });
});
