/**
 * The "Tasks" example of docs/extensions.md: a report tool that runs as a task when the
 * client can take one (2026-07-28 clients that declare the tasks extension,
 * 2025-11-25 clients that send `params.task`), and as a plain call otherwise.
 * tests/e2e/examples/readme_extensions_test.ts checks the guide shows this code
 * and drives it.
 * @module
 */

// #region readme
import { createMcpHandler, defineTool } from "../mod.ts";
import { tasksExtension } from "../src/extensions/tasks/mod.ts";

/** One month of work (here: a moment); stops when `signal` aborts. */
const buildMonth = (month: number, signal: AbortSignal) =>
  new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => resolve(`month ${month}: ok`), 5);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

export const handler = createMcpHandler({
  name: "reports",
  version: "1.0.0",
  // Tasks are kept 30 minutes; clients are told to poll every second.
  extensions: [tasksExtension({ ttlMs: 30 * 60_000, pollIntervalMs: 1_000 })],
  tools: [defineTool({
    name: "yearly_report",
    description: "Builds a year's report, month by month",
    input: { type: "object", properties: { year: { type: "number" } }, required: ["year"] },
    task: "optional", // "required": only as a task (-32021 to a client that cannot take one)
    handler: async (input, ctx) => {
      const lines = [];
      // tasks/cancel aborts ctx.signal: buildMonth rejects, and the task stays "cancelled".
      for (let month = 1; month <= 12; month++) lines.push(await buildMonth(month, ctx.signal));
      return `Report ${(input as { year: number }).year}\n${lines.join("\n")}`;
    },
  })],
});
// #endregion readme
