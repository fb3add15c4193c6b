/**
 * The fixture (`examples/everything.ts`) as a process of its own on Node 24,
 * for the tests that kill an instance or start it from its environment:
 * started with `env` over this process's, ready once it printed its `/mcp`
 * URL (deadline 20 s). Not a test file itself.
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { within } from "../../helpers.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE = `${ROOT}node_modules/node24/bin/node`;

/** Every fixture process started here and not yet killed. */
const running = new Set<ChildProcess>();

/** A running fixture process. */
export interface FixtureProcess {
  /** Its endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGKILLs it (an instance loss: no goodbye); resolves once it exited (deadline 10 s). */
  kill(): Promise<void>;
}

/**
 * Starts the fixture with `env` (e.g. REDIS_URL, REDIS_PREFIX) on a free port; ready once it
 * printed its URL within `readyMs`.
 */
export async function startFixtureProcess(
  env: Record<string, string>,
  readyMs = 20_000,
): Promise<FixtureProcess> {
  const child = spawn(NODE, ["examples/everything.ts"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const started = new Promise<string>((resolve, reject) => {
    const collect = (chunk: Uint8Array) => {
      output += new TextDecoder().decode(chunk);
      const url = /http:\/\/127\.0\.0\.1:\d+\/mcp\b/.exec(output)?.[0];
      if (url !== undefined) resolve(url);
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("exit", (code) => reject(new Error(`fixture exited (${code}):\n${output}`)));
  });
  const kill = async () => {
    running.delete(child);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await within(exited, 10_000, "the fixture to exit after SIGKILL");
  };
  try {
    return { url: await within(started, readyMs, "the fixture printed no URL"), child, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}

/** SIGKILLs every fixture process started here and still running (for `after()`). */
export async function killFixtureProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => {
    running.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    return within(exited, 10_000, "a fixture to exit after SIGKILL");
  }));
}
