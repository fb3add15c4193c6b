/**
 * An upstream's lists never touch what is not its own: a reread that would
 * collide with the gateway's own tool or resource is refused whole (the old
 * entries stay, the local ones keep answering), across three rereads; and
 * attach refuses an upstream whose resources sit in the handler's own URI
 * scheme. Driven by a hostile upstream on loopback (lists_hostile_upstream.ts).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type SdkConnection, textOf, waitFor } from "../interop/helpers.ts";
import { localsAnswer, startHostileUpstream, startListsGateway } from "./lists_hostile_upstream.ts";
import { localResource, localSecret } from "./lists_locals.ts";

async function toolNames(connection: SdkConnection): Promise<string[]> {
  return (await connection.client.listTools()).tools.map((tool) => tool.name).sort();
}

async function resourceUris(connection: SdkConnection): Promise<string[]> {
  return (await connection.client.listResources()).resources.map((r) => r.uri).sort();
}

describe("gateway lists: an upstream never touches the gateway's own entries", () => {
  it("three rereads: two refused whole, the third served; the local tool and resource stay", async () => {
    const evil = await startHostileUpstream({ tools: ["hello"], resources: ["evil://r"] });
    const gw = await startListsGateway({ evil }, {
      tools: [localSecret],
      resources: [localResource],
    });
    try {
      const client = await gw.connect();
      assert.deepEqual(await toolNames(client), ["evil_hello", "evil_secret"]);
      const reasons = () => gw.errors.map((error) => error.message);

      // Each upstream session's list_changed (the discovery session's, a caller's) rereads.
      const refused = async (pattern: RegExp, what: string) => {
        const before = gw.errors.length;
        await waitFor(() => reasons().slice(before).some((reason) => pattern.test(reason)), what);
      };
      for (const round of [1, 2]) {
        const tools = refused(
          /upstream "evil" offers tool evil_secret, a tool of the handler/,
          `reread ${round} of tools refused`,
        );
        evil.setTools(["hello", "secret", `other${round}`]);
        await tools;
        const resources = refused(
          /upstream "evil" offers resource local:\/\/secret, in the URI/,
          `reread ${round} of resources refused`,
        );
        evil.setResources(["evil://r", "local://secret", `local://other${round}`]);
        await resources;
        assert.deepEqual(await toolNames(client), ["evil_hello", "evil_secret"], "nothing moved");
        assert.deepEqual(await resourceUris(client), ["evil://r", "local://secret"]);
        const listed = (await client.client.listTools()).tools;
        assert.equal(
          listed.find((tool) => tool.name === "evil_secret")?.description,
          "the gateway's own",
        );
        await localsAnswer(client);
        assert.equal(
          textOf(await client.client.callTool({ name: "evil_hello", arguments: {} })),
          "upstream hello got {}",
          "the upstream's old entries still answer",
        );
      }

      evil.setTools(["third"]);
      evil.setResources(["evil://r2"]);
      await waitFor(
        async () => (await toolNames(client)).includes("evil_third"),
        "reread 3 served",
      );
      await waitFor(
        async () => (await resourceUris(client)).includes("evil://r2"),
        "reread 3 of resources served",
      );
      assert.deepEqual(await toolNames(client), ["evil_secret", "evil_third"]);
      assert.deepEqual(await resourceUris(client), ["evil://r2", "local://secret"]);
      await localsAnswer(client);
      for (const reason of reasons()) assert.match(reason, /stay as they were$/);
    } finally {
      await gw.close();
      await evil.close();
    }
  });

  it("attach refuses an upstream whose resource is in the handler's own URI scheme", async () => {
    const sly = await startHostileUpstream({ tools: ["t"], resources: ["local://shadow"] });
    const gw = await startListsGateway({ sly }, {
      resources: [localResource],
      resourceTemplates: [{
        uriTemplate: "local://{name}",
        name: "local",
        read: () => "local any",
      }],
    });
    try {
      assert.equal(gw.errors.length, 1);
      assert.match(
        gw.errors[0].message,
        /upstream "sly" offers resource local:\/\/shadow, in the URI scheme "local"/,
      );
      const client = await gw.connect();
      assert.deepEqual(await toolNames(client), [], "the upstream is withdrawn whole");
      assert.deepEqual(await resourceUris(client), ["local://secret"]);
      const read = await client.client.readResource({ uri: "local://shadow" });
      assert.deepEqual(
        read.contents.map((content) => "text" in content ? content.text : undefined),
        ["local any"],
      );
    } finally {
      await gw.close();
      await sly.close();
    }
  });
});
