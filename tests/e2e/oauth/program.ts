/**
 * Starts a program of this repository (an example, the fixture) in a child
 * process with the given environment, waits for the line that prints its
 * URL, and stops it (SIGTERM, then SIGKILL) when asked.
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { join } from "node:path";
import { within } from "../../helpers.ts";

const ROOT = join(import.meta.dirname!, "..", "..", "..");

/** A running program. */
export interface Program {
  /** The first match of the pattern in what it printed. */
  url: string;
  /** Ends it; resolves once it exited. */
  stop(): Promise<void>;
}

/** Runs `node_modules/node24/bin/node <file>` with `env`; resolves with the first `pattern` match it prints. */
export async function startProgram(
  file: string,
  env: Record<string, string>,
  pattern: RegExp,
): Promise<Program> {
  const child = spawn(join(ROOT, "node_modules", "node24", "bin", "node"), [join(ROOT, file)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    try {
      await within(exited, 10_000, `${file} to exit`);
    } finally {
      clearTimeout(killer);
    }
  };
  let output = "";
  const printed = new Promise<string>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = pattern.exec(output)?.[0];
      if (match !== undefined) resolve(match);
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.once("exit", (code) => reject(new Error(`${file} exited (${code}):\n${output}`)));
  });
  try {
    return { url: await within(printed, 30_000, `${file} to print its URL`), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
