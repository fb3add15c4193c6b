/**
 * The "Tasks" and "Writing an extension" examples of docs/extensions.md
 * (once the README's): the guide shows exactly the code of examples/tasks.ts
 * and examples/extension.ts (their `readme` regions, imported from
 * `@tether/mcp`), and that code does what the sections say, in both eras.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { handler as clockHandler } from "../../../examples/extension.ts";
import { handler as reportHandler } from "../../../examples/tasks.ts";
import { initialize, rpc, within } from "../../helpers.ts";
import { modernNotification, modernRpc } from "../../support/modern_helpers.ts";
import { pollTask, TASK_CLIENT } from "../../support/task_helpers.ts";
import { ROOT, sectionOf, tsBlocks } from "./docs_text.ts";

/** The `readme` region of an example, as a user writes it (importing `@tether/mcp`). */
function regionOf(file: string): string {
  const text = readFileSync(join(ROOT, file), "utf8");
  const start = text.indexOf("// #region readme\n");
  const end = text.indexOf("// #endregion readme");
  assert.ok(start !== -1 && end > start, `${file} has a readme region`);
  return text.slice(start + "// #region readme\n".length, end)
    .replaceAll('"../mod.ts"', '"@tether/mcp"')
    .replaceAll('"../src/extensions/tasks/mod.ts"', '"@tether/mcp/tasks"')
    .replaceAll('"../src/extensions/mod.ts"', '"@tether/mcp/extensions"');
}

/** The first ts block of a section of docs/extensions.md. */
function blockOf(heading: string): string {
  const [block] = tsBlocks(sectionOf("docs/extensions.md", `## ${heading}`));
  assert.ok(block !== undefined, `the ${heading} section shows code`);
  return block;
}

describe("docs/extensions.md: Tasks", () => {
  it("shows the code of examples/tasks.ts", () => {
    assert.equal(blockOf("Tasks"), regionOf("examples/tasks.ts"));
  });

  it("runs the report as a task for a 2026-07-28 client that declared tasks", async () => {
    const { message } = await modernRpc(reportHandler, "tools/call", {
      name: "yearly_report",
      arguments: { year: 2026 },
    }, { capabilities: TASK_CLIENT });
    assert.equal(message.result.resultType, "task");
    assert.equal(message.result.ttlMs, 30 * 60_000);
    assert.equal(message.result.pollIntervalMs, 1_000);
    const done = await pollTask(
      reportHandler,
      message.result.taskId,
      (t) => t.status !== "working",
    );
    assert.equal(done.status, "completed");
    assert.match(done.result.content[0].text, /^Report 2026\n[\s\S]*month 12: ok$/);
  });

  it("cancels it: the task ends cancelled", async () => {
    const { message } = await modernRpc(reportHandler, "tools/call", {
      name: "yearly_report",
      arguments: { year: 2025 },
    }, { capabilities: TASK_CLIENT });
    await modernRpc(reportHandler, "tasks/cancel", { taskId: message.result.taskId }, {
      capabilities: TASK_CLIENT,
    });
    const after = await pollTask(reportHandler, message.result.taskId, () => true);
    assert.equal(after.status, "cancelled");
  });

  it("answers a plain result to a client without tasks, and a task to a 2025 session asking for one", async () => {
    const plain = await modernRpc(reportHandler, "tools/call", {
      name: "yearly_report",
      arguments: { year: 2024 },
    });
    assert.match(plain.message.result.content[0].text, /^Report 2024/);
    const session = await initialize(reportHandler);
    const created = await rpc(reportHandler, session, "tools/call", {
      name: "yearly_report",
      arguments: { year: 2023 },
      task: {},
    });
    const taskId = created.message.result.task.taskId;
    const result = await within(
      rpc(reportHandler, session, "tasks/result", { taskId }),
      5_000,
      "tasks/result",
    );
    assert.match(result.message.result.content[0].text, /^Report 2023/);
  });
});

describe("docs/extensions.md: Writing an extension", () => {
  it("shows the code of examples/extension.ts", () => {
    assert.equal(blockOf("Writing an extension"), regionOf("examples/extension.ts"));
  });

  it("declares the extension, serves its methods, gates the alarm and times every tool call", async () => {
    const session = await initialize(clockHandler);
    assert.deepEqual(session.result.capabilities.extensions, {
      "com.example/clock": { resolution: "ms" },
    });
    const now = await rpc(clockHandler, session, "clock/now");
    assert.ok(!Number.isNaN(Date.parse(now.message.result.now)));
    const gated = await modernRpc(clockHandler, "clock/alarm", { at: "07:00" });
    assert.equal(gated.message.error.code, -32021);
    const declared = await modernRpc(clockHandler, "clock/alarm", { at: "07:00" }, {
      capabilities: { extensions: { "com.example/clock": {} } },
    });
    assert.equal(declared.message.result.set, "07:00");
    const call = await rpc(clockHandler, session, "tools/call", { name: "noon" });
    assert.equal(call.message.result.content[0].text, "12:00");
    assert.equal(typeof call.message.result._meta["com.example/clock"], "number");
    const original = console.log;
    const logged: unknown[][] = [];
    console.log = (...args: unknown[]) => void logged.push(args);
    try {
      const tick = await clockHandler(modernNotification("notifications/clock/tick", { n: 1 }));
      assert.equal(tick.status, 202);
    } finally {
      console.log = original;
    }
    assert.deepEqual(logged, [["anonymous", "ticked", { n: 1 }]]);
  });
});
