/**
 * An upstream that is down at startup does not stop the gateway: it starts
 * with the others, reports the upstream once and in `stats()`, tries it
 * again with backoff, and serves it (one list_changed per list) when it
 * answers; `close()` ends the tries. A reread that fails (its requests
 * refused after the change was announced) keeps the previous lists, is
 * reported once and tried again with the same backoff until it answers.
 * Driven by a hostile upstream that answers 503 until the test lets it in.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sleep, textOf, waitFor } from "../interop/helpers.ts";
import { BINARIES, startExample, stopExamples } from "../examples/example_process.ts";
import {
  changeUntilHeard,
  listening,
  startHostileUpstream,
  startListsGateway,
} from "./lists_hostile_upstream.ts";

describe("gateway lists: an upstream down at startup", () => {
  it("the gateway starts, reports it once, retries, and serves it when it answers", async () => {
    const good = await startHostileUpstream({ tools: ["ping"] });
    const down = await startHostileUpstream({
      tools: ["late"],
      resources: ["down://r"],
      refusing: true,
    });
    let gw: Awaited<ReturnType<typeof startListsGateway>> | undefined;
    try {
      gw = await startListsGateway({ good, down }, {}, { retryMs: 20, maxRetryMs: 80 });
      assert.deepEqual(gw.gateway.stats().unavailable, ["down"]);
      assert.equal(gw.errors.length, 1);
      assert.match(
        gw.errors[0].message,
        /^Gateway: upstream "down" is unavailable; serving the others, trying it again after 20 ms, then doubling up to 80 ms$/,
      );
      const { heard, connection: client } = await listening((options) => gw!.connect(options));
      const names = async () => (await client.client.listTools()).tools.map((t) => t.name);
      assert.deepEqual(await names(), ["good_ping"], "the others are served meanwhile");
      assert.equal(
        textOf(await client.client.callTool({ name: "good_ping", arguments: {} })),
        "upstream ping got {}",
      );
      // Several tries fail (20, 40, 80, 80 ms ...), still reported once.
      await waitFor(() => down.refused >= 4, "retried");
      assert.equal(gw.errors.length, 1);
      // Its listen stream open (a change of the good upstream heard, then flushed), the
      // client hears what the comeback changes.
      await changeUntilHeard(
        (round) => good.setTools(["ping", `warm${round}`]),
        () => heard.tools > 0,
        "the warm-up heard",
      );
      good.setResources(["good://flush"]);
      await waitFor(() => heard.resources > 0, "the flush heard");
      Object.assign(heard, { tools: 0, prompts: 0, resources: 0 });

      down.refusing = false;
      await waitFor(async () => (await names()).includes("down_late"), "served once back");
      assert.deepEqual(gw.gateway.stats().unavailable, []);
      assert.equal(
        textOf(await client.client.callTool({ name: "down_late", arguments: { n: 1 } })),
        'upstream late got {"n":1}',
      );
      const read = await client.client.readResource({ uri: "down://r" });
      assert.deepEqual(
        read.contents.map((content) => "text" in content ? content.text : undefined),
        ["upstream down://r"],
      );
      await waitFor(() => heard.tools === 1 && heard.resources === 1, "one list_changed per list");
      assert.equal(heard.prompts, 0, "the upstream has no prompts: nothing changed there");
      assert.equal(gw.errors.length, 1, gw.errors.map((error) => error.message).join("\n"));
    } finally {
      await gw?.close();
      await good.close();
      await down.close();
    }
  });

  it("close() ends the tries", async () => {
    const down = await startHostileUpstream({ tools: ["late"], refusing: true });
    try {
      const gw = await startListsGateway({ down }, {}, { retryMs: 10, maxRetryMs: 20 });
      try {
        await waitFor(() => down.refused >= 3, "retried");
      } finally {
        await gw.close();
      }
      await sleep(50); // a try already on its way when close() began
      const after = down.refused;
      await sleep(200);
      assert.equal(down.refused, after, "no try after close");
    } finally {
      await down.close();
    }
  });

  it("a reread that fails keeps the previous lists, is reported once and tried again until it answers", async () => {
    const up = await startHostileUpstream({ tools: ["one"] });
    let gw: Awaited<ReturnType<typeof startListsGateway>> | undefined;
    try {
      gw = await startListsGateway({ up }, {}, { retryMs: 20, maxRetryMs: 80 });
      const client = await gw.connect();
      const names = async () => (await client.client.listTools()).tools.map((t) => t.name);
      assert.deepEqual(await names(), ["up_one"]);
      // The change reaches the gateway on its open listen stream; the reread's requests fail
      // (as a reset connection does), then several tries more (20, 40, 80, 80 ms ...).
      up.refusing = true;
      up.setTools(["one", "two"]);
      await waitFor(() => up.refused >= 4, "the reread tried again");
      assert.equal(gw.errors.length, 1, gw.errors.map((error) => error.message).join("\n"));
      assert.match(
        gw.errors[0].message,
        /^Gateway: rereading the lists of upstream "up" failed; serving its previous lists, trying again after 20 ms, then doubling up to 80 ms$/,
      );
      assert.deepEqual(await names(), ["up_one"], "the previous lists are served meanwhile");
      assert.deepEqual(gw.gateway.stats().unavailable, [], "its calls still go to it");

      up.refusing = false;
      await waitFor(async () => (await names()).includes("up_two"), "served once it answers");
      assert.equal(
        textOf(await client.client.callTool({ name: "up_two", arguments: {} })),
        "upstream two got {}",
      );
      const after = up.refused;
      await sleep(300);
      assert.equal(up.refused, after, "no try after the reread that answered");
      assert.equal(gw.errors.length, 1, gw.errors.map((error) => error.message).join("\n"));
    } finally {
      await gw?.close();
      await up.close();
    }
  });

  it("examples/gateway.ts starts, printing one line for the upstream that is down", async () => {
    const down = await startHostileUpstream({ tools: ["increment"], refusing: true });
    try {
      const example = await startExample(
        BINARIES.node24,
        ["examples/gateway.ts"],
        /http:\/\/127\.0\.0\.1:\d+\/mcp/,
        { UPSTREAM_URL: down.url },
      );
      await waitFor(() => /unavailable/.test(example.output()), "the message printed");
      const lines = example.output().trim().split("\n");
      assert.deepEqual(
        lines.filter((line) => !line.startsWith("gateway on ")),
        [
          'Gateway: upstream "upstream" is unavailable; serving the others, trying it again after 1000 ms, then doubling up to 60000 ms',
        ],
        example.output(),
      );
    } finally {
      await stopExamples();
      await down.close();
    }
  });
});
