/**
 * Tests of the Skills extension (SEP-2640) in both eras through the
 * in-process client: the declaration, skills/list (pages, digests, cache
 * fields), skills/get, resources/directory/read, resources/list and
 * resources/read of skill files, skills hidden by scopes, bad params.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Principal } from "../../../../mod.ts";
import { connect, McpClientError, type TestEra } from "../../../../src/testing/mod.ts";
import { type SkillDefinition, skillsExtension } from "../../../../src/extensions/skills/mod.ts";
import { makeHandler } from "../../../helpers.ts";

const ERAS: readonly TestEra[] = ["2025", "2026"];

const REVIEW_MD =
  "---\nname: code-review\ndescription: Reviews a change\n---\nUse the checklist.\n";
const SKILLS: SkillDefinition[] = [
  {
    files: {
      "SKILL.md": REVIEW_MD,
      "references/checklist.md": "- tests\n",
      "scripts/logo.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff]),
    },
  },
  {
    path: "acme/release-notes",
    files: { "SKILL.md": "---\nname: release-notes\ndescription: Writes notes\n---\n" },
  },
  {
    scopes: ["skills:admin"],
    files: { "SKILL.md": "---\nname: secret-ops\ndescription: Admin only\n---\n" },
  },
];

/** A handler whose caller holds the scopes named in the `x-scopes` header. */
function handlerFor(options: { pageSize?: number } = {}) {
  return makeHandler({
    auth: {
      authenticate: (request): Principal => ({
        id: "user",
        scopes: (request.headers.get("x-scopes") ?? "").split(" ").filter(Boolean),
      }),
    },
    extensions: [skillsExtension({ skills: SKILLS, ...options })],
  });
}

async function sha256(text: string | Uint8Array): Promise<string> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

async function rejectsWith(promise: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof McpClientError, String(error));
    assert.equal(error.error?.code, code);
    return true;
  });
}

for (const era of ERAS) {
  describe(`skills extension (${era})`, () => {
    it("declares the extension with directoryRead, and the resources capability", async () => {
      const handler = handlerFor();
      const client = await connect(handler, { era });
      try {
        const capabilities = era === "2025"
          ? client.initializeResult!.capabilities as Record<string, Record<string, unknown>>
          : (await client.request("server/discover")).result.capabilities as Record<
            string,
            Record<string, unknown>
          >;
        assert.deepEqual(capabilities.extensions["io.modelcontextprotocol/skills"], {
          directoryRead: true,
        });
        assert.ok(capabilities.resources !== undefined);
      } finally {
        await client.close();
        await handler.close();
      }
    });

    it("lists entries with frontmatter, complete resources (digest, size) and cache fields", async () => {
      const handler = handlerFor();
      const client = await connect(handler, { era });
      try {
        const { result } = await client.request("skills/list", {});
        const skills = result.skills as Record<string, unknown>[];
        assert.deepEqual(skills.map((s) => s.uri), [
          "skill://code-review/SKILL.md",
          "skill://acme/release-notes/SKILL.md",
        ]);
        assert.deepEqual(skills[0].frontmatter, {
          name: "code-review",
          description: "Reviews a change",
        });
        assert.deepEqual(skills[0].resources, [
          {
            uri: "skill://code-review/SKILL.md",
            digest: await sha256(REVIEW_MD),
            size: new TextEncoder().encode(REVIEW_MD).byteLength,
          },
          {
            uri: "skill://code-review/references/checklist.md",
            digest: await sha256("- tests\n"),
            size: 8,
          },
          {
            uri: "skill://code-review/scripts/logo.png",
            digest: await sha256(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff])),
            size: 5,
          },
        ]);
        assert.equal(result.nextCursor, undefined);
        if (era === "2026") {
          assert.equal(result.ttlMs, 0);
          assert.equal(result.cacheScope, "private");
        } else {
          assert.equal(result.ttlMs, undefined);
        }
      } finally {
        await client.close();
        await handler.close();
      }
    });

    it("pages skills/list without splitting an entry, and refuses a foreign cursor", async () => {
      const handler = handlerFor({ pageSize: 1 });
      const client = await connect(handler, { era });
      try {
        const first = (await client.request("skills/list", {})).result;
        assert.equal((first.skills as unknown[]).length, 1);
        assert.equal(typeof first.nextCursor, "string");
        const second = (await client.request("skills/list", { cursor: first.nextCursor })).result;
        assert.deepEqual((second.skills as { uri: string }[]).map((s) => s.uri), [
          "skill://acme/release-notes/SKILL.md",
        ]);
        assert.equal(second.nextCursor, undefined);
        await rejectsWith(client.request("skills/list", { cursor: "bm9wZTox" }), -32602);
      } finally {
        await client.close();
        await handler.close();
      }
    });

    it("gets one entry, and answers -32602 for an unknown or malformed uri", async () => {
      const handler = handlerFor();
      const client = await connect(handler, { era });
      try {
        const { result } = await client.request("skills/get", {
          uri: "skill://acme/release-notes/SKILL.md",
        });
        const skill = result.skill as Record<string, unknown>;
        assert.equal(skill.uri, "skill://acme/release-notes/SKILL.md");
        assert.equal((skill.resources as unknown[]).length, 1);
        assert.equal(result.nextCursor, undefined);
        await rejectsWith(client.request("skills/get", { uri: "skill://nope/SKILL.md" }), -32602);
        await rejectsWith(client.request("skills/get", { uri: 42 }), -32602);
        await rejectsWith(client.request("skills/get", {}), -32602);
      } finally {
        await client.close();
        await handler.close();
      }
    });

    it("reads a folder's direct children, sub-folders as inode/directory; -32602 otherwise", async () => {
      const handler = handlerFor();
      const client = await connect(handler, { era });
      try {
        const { result } = await client.request("resources/directory/read", {
          uri: "skill://code-review",
        });
        assert.deepEqual(result.resources, [
          {
            uri: "skill://code-review/SKILL.md",
            name: "SKILL.md",
            mimeType: "text/markdown",
            size: new TextEncoder().encode(REVIEW_MD).byteLength,
          },
          {
            uri: "skill://code-review/references",
            name: "references",
            mimeType: "inode/directory",
          },
          { uri: "skill://code-review/scripts", name: "scripts", mimeType: "inode/directory" },
        ]);
        const sub = await client.request("resources/directory/read", {
          uri: "skill://code-review/scripts",
        });
        assert.deepEqual((sub.result.resources as { uri: string }[]).map((r) => r.uri), [
          "skill://code-review/scripts/logo.png",
        ]);
        await rejectsWith(
          client.request("resources/directory/read", { uri: "skill://code-review/SKILL.md" }),
          -32602,
        );
        await rejectsWith(client.request("resources/directory/read", { uri: ["x"] }), -32602);
      } finally {
        await client.close();
        await handler.close();
      }
    });

    it("lists each SKILL.md in resources/list and reads files as text or blob", async () => {
      const handler = handlerFor();
      const client = await connect(handler, { era });
      try {
        const listed = (await client.request("resources/list", {})).result.resources as Record<
          string,
          unknown
        >[];
        const review = listed.find((r) => r.uri === "skill://code-review/SKILL.md");
        assert.equal(review?.name, "code-review");
        assert.equal(review?.description, "Reviews a change");
        assert.equal(review?.mimeType, "text/markdown");
        assert.ok(!listed.some((r) => r.uri === "skill://secret-ops/SKILL.md"));
        const text = await client.request("resources/read", {
          uri: "skill://code-review/SKILL.md",
        });
        assert.deepEqual(text.result.contents, [
          { uri: "skill://code-review/SKILL.md", mimeType: "text/markdown", text: REVIEW_MD },
        ]);
        const blob = await client.request("resources/read", {
          uri: "skill://code-review/scripts/logo.png",
        });
        assert.deepEqual(blob.result.contents, [
          { uri: "skill://code-review/scripts/logo.png", mimeType: "image/png", blob: "iVBOR/8=" },
        ]);
        await rejectsWith(
          client.request("resources/read", { uri: "skill://code-review/nope.md" }),
          era === "2025" ? -32002 : -32602,
        );
      } finally {
        await client.close();
        await handler.close();
      }
    });

    it("hides a skill from a caller without its scopes, and shows it to one with them", async () => {
      const handler = handlerFor();
      const plain = await connect(handler, { era });
      const admin = await connect(handler, { era, headers: { "x-scopes": "skills:admin" } });
      try {
        const uri = "skill://secret-ops/SKILL.md";
        const seen = (await plain.request("skills/list", {})).result.skills as { uri: string }[];
        assert.ok(!seen.some((s) => s.uri === uri));
        await rejectsWith(plain.request("skills/get", { uri }), -32602);
        await rejectsWith(
          plain.request("resources/directory/read", { uri: "skill://secret-ops" }),
          -32602,
        );
        await rejectsWith(
          plain.request("resources/read", { uri }),
          era === "2025" ? -32002 : -32602,
        );
        const all = (await admin.request("skills/list", {})).result.skills as { uri: string }[];
        assert.ok(all.some((s) => s.uri === uri));
        assert.equal((await admin.request("skills/get", { uri })).result.skill !== undefined, true);
        const read = await admin.request("resources/read", { uri });
        assert.equal((read.result.contents as { text: string }[])[0].text.includes("Admin"), true);
      } finally {
        await plain.close();
        await admin.close();
        await handler.close();
      }
    });
  });
}
