/**
 * The MCP Inspector's CLI (2.12) as a test client: each run is a fresh
 * Node 24 process as a user starts it (`mcp-inspector --cli ...`), its files
 * in a throwaway home removed when it ends. A run costs more than a second
 * of CPU to start, so a file starts its runs together and they take turns a
 * few at a time (tests/support/together.ts), each run's deadline counted
 * from its own start. Not a test file itself.
 * @module
 */

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { within } from "../../helpers.ts";
import { slots } from "../../support/together.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE = `${ROOT}node_modules/node24/bin/node`;
const INSPECTOR =
  `${ROOT}node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js`;

/** What one run printed and how it ended. */
export interface InspectorRun {
  /** The arguments after `--cli`, for failure messages. */
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The runs of this test file take turns, `AT_ONCE` at a time. */
const slot = slots();

/**
 * How long one run may take once started: over a second of CPU, several
 * times that beside the others on a loaded machine; this only catches a hang.
 */
const RUN_MS = 120_000;

/**
 * Runs `mcp-inspector --cli ...args` once a slot is free; rejects when it
 * has not ended 120 s after it started (and kills it).
 */
export async function runInspector(args: string[]): Promise<InspectorRun> {
  const release = await slot();
  const home = mkdtempSync(join(tmpdir(), "tether-inspector-"));
  try {
    const child = spawn(NODE, [INSPECTOR, "--cli", ...args], {
      env: {
        ...process.env,
        HOME: home,
        USERPROFILE: home,
        MCP_CATALOG_PATH: join(home, "catalog.json"),
        MCP_CLIENT_CONFIG_PATH: join(home, "client.json"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => stdout += chunk.toString("utf8"));
    child.stderr!.on("data", (chunk: Buffer) => stderr += chunk.toString("utf8"));
    const ended = new Promise<number | null>((resolve) =>
      child.once("close", (code) => resolve(code))
    );
    try {
      const code = await within(ended, RUN_MS, `mcp-inspector --cli ${args.join(" ")}`);
      return { args, code, stdout, stderr };
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
    release();
  }
}
