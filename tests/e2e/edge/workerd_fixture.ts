/**
 * The everything fixture on workerd (Cloudflare Workers' runtime from npm),
 * started through scripts/workerd_fixture.sh on a free port for the tests
 * that need it, and stopped at the end. Not a test file itself.
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** The workerd binary npm installs on Linux (an optional dependency per CPU). */
const WORKERD = `${ROOT}node_modules/@cloudflare/workerd-linux-${
  process.arch === "arm64" ? "arm64" : "64"
}/bin/workerd`;

/**
 * Why the workerd tests cannot run here, or false. Without the binary they
 * are skipped with a loud warning on a developer's machine; in CI (`CI`
 * set) a missing binary fails instead (`npm ci` installs it).
 */
export const workerdSkip: string | false = (() => {
  if (existsSync(WORKERD)) return false;
  const reason = `workerd is not installed at ${WORKERD} (npm ci installs it)`;
  if (process.env.CI) throw new Error(`${reason}: the workerd tests cannot run in CI`);
  console.warn(`\n*** SKIPPING the workerd tests: ${reason} ***\n`);
  return reason;
})();

/** A running fixture. */
export interface WorkerdFixture {
  /** The MCP endpoint, e.g. `http://127.0.0.1:1234/mcp`. */
  url: string;
  /** Everything the fixture wrote so far (for failure messages). */
  output(): string;
  /** Stops workerd (SIGTERM to the script, which stops workerd and removes its files). */
  stop(): Promise<void>;
}

/** How long a start may take: esbuild bundles, workerd compiles the config. */
const START_MS = 30_000;

/**
 * Starts the fixture: `mode` as WORKERD_MODE, `settings` as the
 * environment the script turns into text bindings.
 */
export async function startWorkerdFixture(
  mode: "durable-object" | "isolate",
  settings: Record<string, string> = {},
): Promise<WorkerdFixture> {
  const child: ChildProcess = spawn("bash", [`${ROOT}scripts/workerd_fixture.sh`], {
    env: { ...process.env, ...settings, PORT: "0", WORKERD_MODE: mode },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`workerd did not start:\n${output}`)),
      START_MS,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/mcp/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`workerd_fixture.sh exited (${code}):\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => (timer = setTimeout(resolve, 10_000, "late")));
      if ((await Promise.race([exited, late])) === "late") child.kill("SIGKILL");
      clearTimeout(timer);
    },
  };
}
