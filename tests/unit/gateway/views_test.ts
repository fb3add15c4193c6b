/**
 * The gateway's views from plain objects (src/gateway/catalog/views.ts), without
 * sockets: definitions read from a stand-in discovery client, then judged
 * for several principals. Filters layer (endpoint, then principal), a
 * principal's overrides win field by field, anonymous callers get the
 * endpoint's rules, the policy decides last and a policy that throws or
 * answers nonsense hides; bad rules throw naming where.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UpstreamCalls } from "../../../src/gateway/catalog/catalog.ts";
import { type ListSource, readCatalog } from "../../../src/gateway/catalog/read_catalog.ts";
import {
  compileView,
  type GatewayView,
  type ViewEntry,
} from "../../../src/gateway/catalog/views.ts";
import { ANONYMOUS_PRINCIPAL } from "../../../src/protocol/context/principal.ts";

/** A discovery session's list answers: two tools, a prompt, a resource and a template. */
const pages: Record<string, Record<string, unknown>> = {
  "tools/list": {
    tools: [
      { name: "read", inputSchema: { type: "object" } },
      { name: "delete", description: "Deletes", inputSchema: { type: "object" } },
    ],
  },
  "prompts/list": { prompts: [{ name: "plan" }] },
  "resources/list": { resources: [{ uri: "files://readme", name: "readme" }] },
  "resources/templates/list": {
    resourceTemplates: [{ uriTemplate: "files://{path}", name: "file" }],
  },
};
const client: ListSource = {
  serverCapabilities: { tools: {}, prompts: {}, resources: {} },
  page: (method) => Promise.resolve(pages[method]),
};

const calls = {} as UpstreamCalls; // never called: nothing here runs an entry

async function catalog() {
  const read = await readCatalog("files", client, {
    namespace: (upstream, name) => `${upstream}_${name}`,
    calls,
    tasks: false,
  });
  const tool = (name: string) => read.tools!.find((t) => t.name === name)!;
  return {
    read: tool("files_read"),
    delete: tool("files_delete"),
    plan: read.prompts![0],
    readme: read.resources![0],
    file: read.resourceTemplates![0],
  };
}

const alice = { id: "alice" };
const bob = { id: "bob" };

describe("gateway views (plain objects)", () => {
  it("filters layer: the endpoint's, then the principal's; hide wins over deny", async () => {
    const entries = await catalog();
    const view = compileView({
      upstreams: { files: { deny: ["delete"] } },
      principals: { alice: { upstreams: { files: { include: ["read", "readme", "plan"] } } } },
    }, () => {});
    const verdicts = (principal: { id: string }) => {
      const seen = view(principal)!;
      return [
        seen.verdict("tool", entries.read),
        seen.verdict("tool", entries.delete),
        seen.verdict("prompt", entries.plan),
        seen.verdict("resource", entries.readme),
        seen.verdict("resourceTemplate", entries.file),
      ];
    };
    assert.deepEqual(verdicts(alice), ["allow", "hide", "allow", "allow", "hide"]);
    assert.deepEqual(verdicts(bob), ["allow", "deny", "allow", "allow", "allow"]);
  });

  it("patterns match names, URIs and URI templates; * is any run", async () => {
    const entries = await catalog();
    const view = compileView({ upstreams: { files: { exclude: ["files://*", "de*"] } } }, () => {});
    const seen = view(alice)!;
    assert.equal(seen.verdict("tool", entries.read), "allow");
    assert.equal(seen.verdict("tool", entries.delete), "hide");
    assert.equal(seen.verdict("resource", entries.readme), "hide");
    assert.equal(seen.verdict("resourceTemplate", entries.file), "hide");
    const literal = compileView({ upstreams: { files: { exclude: ["re.d"] } } }, () => {});
    assert.equal(literal(alice)!.verdict("tool", entries.read), "allow", "a dot is a dot");
  });

  it("a principal's overrides win field by field; anonymous callers get the endpoint's", async () => {
    const entries = await catalog();
    const view = compileView({
      tools: { files_read: { name: "read", description: "Reads" } },
      principals: {
        alice: { tools: { files_read: { description: "Reads for Alice" } } },
        anonymous: { tools: { files_read: { name: "anon_read" } } },
      },
    }, () => {});
    assert.deepEqual(view(alice)!.override!("tool", entries.read), {
      name: "read",
      description: "Reads for Alice",
    });
    assert.deepEqual(view(bob)!.override!("tool", entries.read), {
      name: "read",
      description: "Reads",
    });
    assert.deepEqual(view(ANONYMOUS_PRINCIPAL)!.override!("tool", entries.read), {
      name: "read",
      description: "Reads",
    });
    assert.equal(view(bob)!.override, view({ id: "carol" })!.override, "one function, one index");
  });

  it("the policy decides last; a throw or an unknown answer hides, reported", async () => {
    const entries = await catalog();
    const errors: unknown[] = [];
    const asked: [string, string, ViewEntry][] = [];
    const view = compileView({
      upstreams: { files: { deny: ["delete"] } },
      policy: (principal, upstream, entry) => {
        asked.push([principal.id, upstream, entry]);
        if (principal.id === "bob") throw new Error("policy store down");
        return principal.id === "carol" ? "maybe" as never : "allow";
      },
    }, (error) => errors.push(error));
    assert.equal(view(alice)!.verdict("tool", entries.read), "allow");
    assert.deepEqual(asked, [["alice", "files", {
      kind: "tool",
      name: "read",
      served: "files_read",
    }]]);
    assert.equal(
      view(alice)!.verdict("tool", entries.delete),
      "deny",
      "the rules' deny is not asked",
    );
    assert.equal(asked.length, 1);
    assert.equal(view(bob)!.verdict("tool", entries.read), "hide");
    assert.equal(errors.length, 1);
    assert.equal(view({ id: "carol" })!.verdict("tool", entries.read), "hide");
    view(alice)!.verdict("resourceTemplate", entries.file);
    assert.equal(asked.at(-1)![2].uri, "files://{path}");
  });

  it("the handler's own entries are served as defined", () => {
    const view = compileView({ upstreams: { files: { include: [] } } }, () => {});
    const own = { name: "local", handler: () => "" };
    assert.equal(view(alice)!.verdict("tool", own), "allow");
    assert.equal(view(alice)!.override, undefined, "no overrides: no index");
  });

  it("bad rules throw at once, naming where", () => {
    const bad: [GatewayView, RegExp][] = [
      [{ upstreams: { files: { include: "read" as never } } }, /view\.upstreams\.files\.include/],
      [{ upstreams: { files: { exclude: [1 as never] } } }, /view\.upstreams\.files\.exclude/],
      [
        { tools: { files_read: { label: "x" } as never } },
        /view\.tools\.files_read: unknown field "label"/,
      ],
      [{ tools: { files_read: { name: "" } } }, /view\.tools\.files_read\.name is empty/],
      [
        { principals: { bob: { prompts: { p: { title: 3 as never } } } } },
        /view\.principals\.bob\.prompts\.p\.title/,
      ],
    ];
    for (const [view, message] of bad) {
      assert.throws(() => compileView(view, () => {}), (error: Error) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        return true;
      });
    }
  });
});
