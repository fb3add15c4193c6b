/**
 * The "Skills" example of docs/extensions.md (once the README's): the guide
 * shows exactly the code of examples/skills.ts (its `readme` region,
 * imported from `@tether/mcp`), and that server, with a folder of skills, serves what the section says to the
 * official SDK client over HTTP: the declaration, skills/list, skills/get,
 * resources/directory/read, and every file through resources/read.
 */

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { createSkillsHandler } from "../../../examples/skills.ts";
import { serveHandler } from "../../../examples/serve.ts";
import { connectClient } from "../interop/helpers.ts";
import { sectionOf, tsBlocks } from "./docs_text.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("docs/extensions.md: Skills example", () => {
  it("the guide shows the example's code", () => {
    const text = readFileSync(join(ROOT, "examples/skills.ts"), "utf8");
    const region = text.split("// #region readme\n")[1].split("// #endregion readme")[0]
      .replaceAll('"../mod.ts"', '"@tether/mcp"')
      .replaceAll('"../src/extensions/skills/mod.ts"', '"@tether/mcp/skills"')
      .replaceAll(
        '"../src/extensions/skills/skill_directory.ts"',
        '"@tether/mcp/skills/directory"',
      );
    const [block] = tsBlocks(sectionOf("docs/extensions.md", "## Skills"));
    assert.equal(block, region);
  });

  it("serves skills from code and from a folder to the SDK client", async () => {
    const folder = await mkdtemp(join(tmpdir(), "tether-readme-skills-"));
    await mkdir(join(folder, "style", "examples"), { recursive: true });
    await writeFile(
      join(folder, "style", "SKILL.md"),
      "---\nname: style\ndescription: House style\n---\nBe brief.\n",
    );
    await writeFile(join(folder, "style", "examples", "good.md"), "Short.\n");
    const handler = await createSkillsHandler(folder);
    const running = await serveHandler(handler, 0);
    const connection = await connectClient(`${running.url}/mcp`);
    try {
      const { client } = connection;
      const declared = client.getServerCapabilities()?.extensions as Record<string, unknown>;
      assert.deepEqual(declared["io.modelcontextprotocol/skills"], { directoryRead: true });
      const listed = await client.request(
        { method: "skills/list", params: {} },
        z.object({ skills: z.array(z.object({ uri: z.string() }).passthrough()) }).passthrough(),
      );
      assert.deepEqual(listed.skills.map((skill) => skill.uri), [
        "skill://refunds/SKILL.md",
        "skill://style/SKILL.md",
      ]);
      const got = await client.request(
        { method: "skills/get", params: { uri: "skill://style/SKILL.md" } },
        z.object({ skill: z.object({ resources: z.array(z.object({ uri: z.string() })) }) })
          .passthrough(),
      );
      assert.deepEqual(got.skill.resources.map((r) => r.uri), [
        "skill://style/SKILL.md",
        "skill://style/examples/good.md",
      ]);
      const folderRead = await client.request(
        { method: "resources/directory/read", params: { uri: "skill://refunds" } },
        z.object({ resources: z.array(z.object({ uri: z.string(), mimeType: z.string() })) })
          .passthrough(),
      );
      assert.deepEqual(folderRead.resources.map((r) => [r.uri, r.mimeType]), [
        ["skill://refunds/SKILL.md", "text/markdown"],
        ["skill://refunds/forms", "inode/directory"],
      ]);
      const form = await client.readResource({ uri: "skill://refunds/forms/refund.txt" });
      assert.deepEqual(form.contents, [{
        uri: "skill://refunds/forms/refund.txt",
        mimeType: "text/plain",
        text: "Order:\nAmount:\nReason:\n",
      }]);
      const resources = await client.listResources();
      assert.deepEqual(resources.resources.map((r) => r.name).sort(), ["refunds", "style"]);
      await assert.rejects(
        client.request(
          { method: "skills/get", params: { uri: "skill://nope/SKILL.md" } },
          z.object({}).passthrough(),
        ),
        (error: { code?: number }) => error.code === -32602,
      );
    } finally {
      await connection.close();
      await running.close();
      await handler.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
