/** The in-memory SessionStore, EventLog and TaskStore meet their contracts. */
import { MemoryEventLog, MemorySessionStore } from "../../src/storage/mod.ts";
import { MemoryTaskStore } from "../../src/extensions/tasks/mod.ts";
import { describeEventLog } from "./event_log_contract.ts";
import { describeSessionStore } from "./session_store_contract.ts";
import { describeTaskStore } from "./task_store_contract.ts";

describeSessionStore("MemorySessionStore", () => new MemorySessionStore(), { getAndTouch: true });
describeEventLog("MemoryEventLog", () => new MemoryEventLog(), {
  tailing: true,
  appendMany: true,
  bounded: (bounds) => new MemoryEventLog(bounds),
});
describeEventLog(
  "MemoryEventLog with a small global budget",
  () => new MemoryEventLog({ maxTotalBytes: 1_000_000 }),
);
describeTaskStore("MemoryTaskStore", (now, bounds) => new MemoryTaskStore({ now, ...bounds }));
