/**
 * scripts/check_store_callers.ts, run on made-up trees: a session store's
 * member read outside the session manager fails the check by file and line
 * however the store was reached (an option, an implementation class, a
 * destructuring); naming the type, passing a store on, and an
 * implementation's own `this` pass; and so does this repository.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REPOSITORY = fileURLToPath(new URL("../../..", import.meta.url));
const NODE = join(REPOSITORY, "node_modules", "node24", "bin", "node");
const SCRIPT = join(REPOSITORY, "scripts", "check_store_callers.ts");

interface Outcome {
  code: number;
  output: string;
}

/** Runs the check on `root` (this repository when undefined), within 60 s. */
function runCheck(root?: string): Promise<Outcome> {
  const args = root === undefined ? [SCRIPT] : [SCRIPT, root];
  return new Promise((resolve, reject) => {
    execFile(NODE, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      if (typeof code !== "number") return reject(error);
      resolve({ code, output: stdout + stderr });
    });
  });
}

/** A temporary repository whose src/ holds `files` (path → text). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "check-store-callers-"));
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, "src", path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return root;
}

/** A seam, its manager (the one caller), an implementation, an option naming it, a re-export. */
const ONLY_THE_MANAGER = {
  "storage/sessions/session_store.ts": [
    "export interface SessionStore {",
    "  get(id: string): string | undefined;",
    "  close(): void;",
    "}",
    "",
  ].join("\n"),
  "legacy/sessions/session_manager.ts": [
    'import type { SessionStore } from "../../storage/sessions/session_store.ts";',
    "export class SessionManager {",
    "  #store: SessionStore;",
    "  constructor(store: SessionStore) { this.#store = store; }",
    "  exists(id: string): boolean { return this.#store.get(id) !== undefined; }",
    "}",
    "",
  ].join("\n"),
  "storage/sessions/memory_session_store.ts": [
    'import type { SessionStore as Seam } from "./session_store.ts";',
    "export class MemorySessionStore implements Seam {",
    "  #entries = new Map<string, string>();",
    "  get(id: string): string | undefined { return this.#entries.get(id); }",
    "  close(): void { this.#entries.clear(); }",
    "  has(id: string): boolean { return this.get(id) !== undefined; }",
    "}",
    "",
  ].join("\n"),
  "config/session_options.ts": [
    'import type { SessionStore } from "../storage/sessions/session_store.ts";',
    "export interface SessionOptions { store?: SessionStore }",
    "",
  ].join("\n"),
  "legacy/pipeline.ts": [
    'import type { SessionOptions } from "../config/session_options.ts";',
    'import { SessionManager } from "./sessions/session_manager.ts";',
    'import { MemorySessionStore } from "../storage/sessions/memory_session_store.ts";',
    "export function build(options: SessionOptions): SessionManager {",
    "  return new SessionManager(options.store ?? new MemorySessionStore());",
    "}",
    "",
  ].join("\n"),
  "storage/mod.ts": 'export type { SessionStore } from "./sessions/session_store.ts";\n',
};

describe("check_store_callers", () => {
  it("passes a tree where only the session manager calls the store", async () => {
    const root = tree(ONLY_THE_MANAGER);
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 0, output);
      assert.match(output, /6 modules of src\/ reach the session store only through/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("names each other module that reads a store's member, however it got the store", async () => {
    const root = tree({
      ...ONLY_THE_MANAGER,
      // Through an option's type: no import of the seam's name at all.
      "legacy/state.ts": [
        'import type { SessionOptions } from "../config/session_options.ts";',
        "export function read(options: SessionOptions, id: string): unknown {",
        "  return options.store?.get(id);",
        "}",
        "",
      ].join("\n"),
      // Through an implementation class, and a destructuring.
      "handler.ts": [
        'import { MemorySessionStore } from "./storage/sessions/memory_session_store.ts";',
        "const store = new MemorySessionStore();",
        "export const close = () => store.close();",
        "const { get } = store;",
        "export const look = get;",
        "",
      ].join("\n"),
    });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(
        output,
        /src\/legacy\/state\.ts:3: calls the session store \(options\.store\?\.get\)/,
      );
      assert.match(output, /src\/handler\.ts:3: calls the session store \(store\.close\)/);
      assert.match(output, /src\/handler\.ts:4: calls the session store \(\{ get \} = store\)/);
      assert.match(output, /check_store_callers: 3 problem\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("fails when the seam module no longer declares SessionStore", async () => {
    const root = tree({ "storage/sessions/session_store.ts": "export type Other = string;\n" });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(output, /declares no interface SessionStore/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("passes on this repository", async () => {
    const { code, output } = await runCheck();
    assert.equal(code, 0, output);
  });
});
