/**
 * How tasks look on the wire, per era: 2026-07-28 names (`ttlMs`,
 * `pollIntervalMs`, the DetailedTask of `tasks/get` with its result, error or
 * input requests inlined) and 2025-11-25 ones (`ttl`, `pollInterval`, the
 * result of `tasks/result` with its related-task `_meta`). Pure functions;
 * no storage, no running.
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { StoredTask } from "./task_store.ts";

/** The `_meta` key 2025-11-25 puts on a task's result. */
const RELATED_TASK = "io.modelcontextprotocol/related-task";

/** A task's wire fields: 2026-07-28 names (`ttlMs`, `pollIntervalMs`) or 2025-11-25 (`ttl`, `pollInterval`). */
export function wireTask(task: StoredTask, modern: boolean): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    taskId: task.taskId,
    status: task.status,
    createdAt: new Date(task.createdAt).toISOString(),
    lastUpdatedAt: new Date(task.lastUpdatedAt).toISOString(),
  };
  if (task.statusMessage !== undefined) wire.statusMessage = task.statusMessage;
  if (modern) {
    wire.ttlMs = task.ttlMs;
    wire.pollIntervalMs = task.pollIntervalMs;
  } else {
    wire.ttl = task.ttlMs;
    wire.pollInterval = task.pollIntervalMs;
  }
  return wire;
}

/** 2026-07-28 `tasks/get`: the task, with its result, error or pending input inlined by status. */
export function detailedTask(task: StoredTask): Record<string, unknown> {
  const detailed = wireTask(task, true);
  if (task.status === "completed" && task.result !== undefined) detailed.result = task.result;
  if (task.status === "failed" && task.error !== undefined) detailed.error = task.error;
  if (task.status === "input_required" && task.inputRequests !== undefined) {
    detailed.inputRequests = task.inputRequests;
  }
  return detailed;
}

/** 2025-11-25 `tasks/result` of a completed task: its result, naming the task in `_meta`. */
export function legacyTaskResult(task: StoredTask): Record<string, unknown> {
  const result = task.result ?? { content: [] };
  const meta = isPlainObject(result._meta) ? result._meta : {};
  return { ...result, _meta: { ...meta, [RELATED_TASK]: { taskId: task.taskId } } };
}

/** A tool's return value as a result (a string is text), or a tool error. */
export function asToolResult(value: unknown): Record<string, unknown> {
  if (typeof value === "string") return { content: [{ type: "text", text: value }] };
  if (isPlainObject(value) && Array.isArray(value.content)) return value;
  return {
    content: [{ type: "text", text: "The task's work returned an invalid result" }],
    isError: true,
  };
}
