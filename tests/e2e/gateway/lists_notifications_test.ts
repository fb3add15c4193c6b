/**
 * One change, one notification: an upstream that swaps its list for 20,000
 * tools gives each listening downstream session exactly one
 * `tools/list_changed`, and changes a handler makes to its registries in
 * one turn are announced once per list. A later change of another list is
 * the sentinel: notifications of one stream arrive in order, so once it is
 * in, nothing else from the first change is still on its way.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { definePrompt, defineResource, defineTool } from "../../../mod.ts";
import { waitFor, withServer } from "../interop/helpers.ts";
import {
  changeUntilHeard,
  listening,
  startHostileUpstream,
  startListsGateway,
} from "./lists_hostile_upstream.ts";

describe("gateway lists: one change, one list_changed", () => {
  it("an upstream's swap to 20,000 tools: one tools/list_changed per listening session", async () => {
    const upstream = await startHostileUpstream({ tools: ["first"], resources: ["up://a"] });
    const gw = await startListsGateway({ up: upstream });
    try {
      const sessions = [
        (await listening((options) => gw.connect(options))).heard,
        (await listening((options) => gw.connect(options))).heard,
      ];
      // Both listen streams are open once a change has reached them; a change of another
      // list then flushes what is on its way, and the count starts from zero.
      await changeUntilHeard(
        (round) => upstream.setTools(["first", `warm${round}`]),
        () => sessions.every((heard) => heard.tools >= 1),
        "the warm-up heard",
      );
      upstream.setResources(["up://flush"]);
      await waitFor(() => sessions.every((heard) => heard.resources >= 1), "the flush heard");
      for (const heard of sessions) Object.assign(heard, { tools: 0, prompts: 0, resources: 0 });

      const many = Array.from({ length: 20_000 }, (_, index) => `tool${index}`);
      upstream.setTools(many);
      await waitFor(
        () => gw.handler.tools.list().length === 20_000,
        "the 20,000 tools served",
        60_000,
      );
      upstream.setResources(["up://sentinel"]);
      await waitFor(
        () => sessions.every((heard) => heard.resources >= 1),
        "the sentinel heard",
        60_000,
      );
      assert.deepEqual(sessions.map((heard) => heard.tools), [1, 1]);
      assert.deepEqual(sessions.map((heard) => heard.resources), [1, 1]);
      // A reread whose request met a reset connection (a loaded host) is told and tried again:
      // the one notification above is what it pins.
      const failed = /^Gateway: rereading the lists of upstream "up" failed; /;
      assert.deepEqual(gw.errors.filter((error) => !failed.test(error.message)), []);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  it("a handler's own changes in one turn: one list_changed per list", async () => {
    await withServer({ tools: [], prompts: [], resources: [] }, async (server) => {
      const { heard } = await listening((options) => server.connect(options));
      // The client opens its listen stream after `initialize`: change until it hears, then
      // flush what is on its way with a change of another list, and count from zero.
      const warm: string[] = [];
      await changeUntilHeard(
        (round) => {
          warm.push(`warm${round}`);
          server.handler.tools.add(defineTool({ name: `warm${round}`, handler: () => "warm" }));
        },
        () => heard.tools > 0,
        "the warm-up heard",
      );
      server.handler.prompts.add(definePrompt({ name: "flush", handler: () => "flush" }));
      await waitFor(() => heard.prompts === 1, "the flush heard");
      Object.assign(heard, { tools: 0, prompts: 0, resources: 0 });

      for (const name of warm) server.handler.tools.remove(name);
      for (const name of ["a", "b", "c"]) {
        server.handler.tools.add(defineTool({ name, handler: () => name }));
      }
      server.handler.prompts.add(definePrompt({ name: "p", handler: () => "p" }));
      server.handler.prompts.add(definePrompt({ name: "q", handler: () => "q" }));
      await waitFor(() => heard.prompts >= 1, "the prompts change heard");
      server.handler.resources.add(
        defineResource({ uri: "docs://sentinel", name: "sentinel", read: () => "s" }),
      );
      await waitFor(() => heard.resources >= 1, "the sentinel heard");
      assert.deepEqual(heard, { tools: 1, prompts: 1, resources: 1 });
    });
  });
});
