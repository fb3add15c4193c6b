/**
 * The README's Quickstart, walked literally: its install step comes before
 * any code that imports `@tether/mcp`, names tether and zod for every
 * runtime, and each runtime's blocks (server.ts + main.ts) then run as
 * written with the README's own command, printing the MCP endpoint's URL and
 * answering the official SDK client there and the README's client command
 * (the MCP Inspector's CLI, from this checkout's node_modules rather than npx).
 * JSR is not reachable here, so the install is simulated from this checkout:
 * for Node and Bun `node_modules/@tether/mcp` exports the sources (links, so
 * Node strips their types outside node_modules) and `node_modules/zod` is
 * linked; for Deno an import map points at them. The one change to the code
 * is the port (8787 → a free one). The four runs share nothing but the
 * checkout, so they start together when the first of their tests runs (on
 * every test runner, Bun's too) and each test awaits its own.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { connectClient, WAIT_MS, withTimeout } from "../interop/helpers.ts";
import { freeRigPort } from "../../../scripts/rig_processes.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

type Runtime = "Deno" | "Bun" | "Node";

/** A fenced block of the Quickstart: its language, text, and where it starts in the README. */
interface Block {
  lang: string;
  code: string;
  at: number;
}

/** The Quickstart section: from its heading to the next `## `. */
function quickstart(): { text: string; at: number } {
  const at = README.indexOf("\n## Quickstart\n");
  assert.ok(at !== -1, "the README has a Quickstart");
  const end = README.indexOf("\n## ", at + 1);
  return { text: README.slice(at, end === -1 ? undefined : end), at };
}

function blocksOf(text: string, offset: number): Block[] {
  const blocks: Block[] = [];
  for (const match of text.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    blocks.push({ lang: match[1], code: match[2], at: offset + match.index! });
  }
  return blocks;
}

const section = quickstart();
const blocks = blocksOf(section.text, section.at);

/** The install block of `runtime` (a shell block whose first line names it). */
function installOf(runtime: Runtime): Block {
  const block = blocks.find((b) => b.lang === "sh" && b.code.startsWith(`# ${runtime}`));
  assert.ok(block !== undefined, `an install block for ${runtime}`);
  return block;
}

/** The run command of `runtime` (`**Deno**: \`deno run …\``) and the main.ts block that follows it. */
function serveOf(runtime: Runtime): { command: string[]; main: string } {
  const label = new RegExp(`\\*\\*${runtime}\\*\\*: \`([^\`]+)\``).exec(section.text);
  assert.ok(label !== null, `a run command for ${runtime}`);
  const at = section.at + label.index;
  const main = blocks.find((b) => b.at > at && b.code.startsWith("// main.ts"));
  assert.ok(main !== undefined, `a main.ts block for ${runtime}`);
  return { command: label[1].split(" "), main: main.code };
}

const server = blocks.find((b) => b.code.startsWith("// server.ts"));

/** What `npx -y jsr add @tether/mcp && npm install zod` (or bun's) would leave, from this checkout. */
function installForNodeOrBun(dir: string): void {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", type: "module" }));
  const tether = join(dir, "node_modules", "@tether", "mcp");
  mkdirSync(tether, { recursive: true });
  const exports = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports;
  writeFileSync(
    join(tether, "package.json"),
    JSON.stringify({ name: "@tether/mcp", type: "module", exports }),
  );
  symlinkSync(join(ROOT, "mod.ts"), join(tether, "mod.ts"));
  symlinkSync(join(ROOT, "src"), join(tether, "src"));
  symlinkSync(join(ROOT, "node_modules", "zod"), join(dir, "node_modules", "zod"));
}

/** What `deno add jsr:@tether/mcp npm:zod` would leave, from this checkout. */
function installForDeno(dir: string): void {
  const exports: Record<string, string> =
    JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports;
  const imports: Record<string, string> = {
    zod: JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).imports.zod,
  };
  for (const [path, file] of Object.entries(exports)) {
    imports[`@tether/mcp${path.slice(1)}`] = pathToFileURL(join(ROOT, file)).href;
  }
  writeFileSync(join(dir, "deno.json"), JSON.stringify({ imports, nodeModulesDir: "manual" }));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", type: "module" }));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(join(ROOT, "node_modules", "zod"), join(dir, "node_modules", "zod"));
}

const BINARIES: Record<string, string> = {
  deno: `${ROOT}node_modules/.bin/deno`,
  bun: `${ROOT}node_modules/.bin/bun`,
  node24: `${ROOT}node_modules/node24/bin/node`,
  node22: `${ROOT}node_modules/node22/bin/node`,
};

/** The Inspector's launcher, which `npx -y @modelcontextprotocol/inspector@2` runs. */
const INSPECTOR =
  `${ROOT}node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js`;
const NPX_INSPECTOR = "npx -y @modelcontextprotocol/inspector@2 ";

/** The README's client command: the Inspector's arguments, and what its `# …` comment says it prints. */
function clientCommand(): { args: string[]; prints: string } {
  const block = blocks.find((b) => b.lang === "sh" && b.code.includes("inspector"));
  assert.ok(block !== undefined, "the Quickstart shows a command that connects a client");
  const [command, comment] = block.code.replaceAll("\\\n", " ").split(/\s#\s/);
  assert.ok(command.startsWith(NPX_INSPECTOR), command);
  const prints = /"([^"]+)"/.exec(comment ?? "")?.[1];
  assert.ok(prints !== undefined, "the command's comment says what it prints");
  return { args: command.slice(NPX_INSPECTOR.length).trim().split(/\s+/), prints };
}

/** Runs the README's client command against `port` (temp HOME); resolves with its exit code and stdout. */
async function inspect(port: number): Promise<{ code: number | null; stdout: string }> {
  const home = mkdtempSync(join(tmpdir(), "tether-quickstart-inspector-"));
  dirs.push(home);
  const args = clientCommand().args.map((arg) => arg.replace(":8787/", `:${port}/`));
  const child = spawn(BINARIES.node24, [INSPECTOR, ...args], {
    env: {
      ...process.env,
      HOME: home,
      USERPROFILE: home,
      MCP_CATALOG_PATH: join(home, "catalog.json"),
      MCP_CLIENT_CONFIG_PATH: join(home, "client.json"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => void (stdout += chunk));
  child.stderr!.on("data", (chunk: Buffer) => void (stdout += chunk));
  const code = await withTimeout(
    new Promise<number | null>((resolve) => child.once("close", resolve)),
    30_000,
    "the Inspector command did not end",
  );
  return { code, stdout };
}

const running: ChildProcess[] = [];
const dirs: string[] = [];

after(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await withTimeout(exited, 10_000, "the quickstart did not exit");
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What a Quickstart run printed and answered. */
interface Walked {
  /** The greet tool's answer to the SDK client. */
  answer: string;
  /** The URL the process printed (the first `http://` URL in its output). */
  printed: string;
  /** The MCP endpoint the client connected to. */
  url: string;
  /** What the README's client command printed, and its exit code. */
  inspector: { code: number | null; stdout: string };
}

/** Runs `runtime`'s Quickstart with `binary` in a fresh directory; resolves with what it printed and answered. */
async function walk(runtime: Runtime, binary: string): Promise<Walked> {
  assert.ok(server !== undefined, "a server.ts block");
  const dir = mkdtempSync(join(tmpdir(), `tether-quickstart-${runtime.toLowerCase()}-`));
  dirs.push(dir);
  if (runtime === "Deno") installForDeno(dir);
  else installForNodeOrBun(dir);
  const port = await freeRigPort();
  const { command, main } = serveOf(runtime);
  writeFileSync(join(dir, "server.ts"), server.code);
  writeFileSync(join(dir, "main.ts"), main.replaceAll("8787", String(port)));
  const child = spawn(binary, command.slice(1), {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => void (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => void (output += chunk));
  const url = `http://127.0.0.1:${port}/mcp`;
  // main.ts prints its URL once it listens: wait for that line (a first Deno or Node run may
  // compile and cache first), or fail when the process exits or the deadline passes.
  const printed = await withTimeout(
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const line = /(http:\/\/\S+)\s/.exec(output);
        if (line !== null) resolve(line[1]);
      };
      child.stdout!.on("data", look);
      child.stderr!.on("data", look);
      child.once("exit", (code, signal) => {
        reject(new Error(`${command.join(" ")} exited (${code ?? signal})`));
      });
    }),
    60_000,
    `${command.join(" ")} printed no URL`,
  ).catch((error: Error) => assert.fail(`${error.message}:\n${output}`));
  const connection = await withTimeout(connectClient(url), WAIT_MS, `connecting to ${url}`);
  try {
    const result = await connection.client.callTool(
      { name: "greet", arguments: { name: "Ada" } },
      undefined,
      { timeout: WAIT_MS },
    );
    const answer = (result.content as { text: string }[])[0].text;
    return { answer, printed, url, inspector: await inspect(port) };
  } finally {
    await connection.close();
  }
}

const RUNS = [["Deno", "deno"], ["Bun", "bun"], ["Node", "node24"], ["Node", "node22"]] as const;
let walks: Map<string, Promise<Walked>> | undefined;

/** `binary`'s walk; the first call starts all four at once. */
function walked(binary: string): Promise<Walked> {
  walks ??= new Map(RUNS.map(([runtime, name]) => {
    const walking = walk(runtime, BINARIES[name]);
    walking.catch(() => {}); // reported by its own test, which awaits it
    return [name, walking];
  }));
  return walks.get(binary)!;
}

describe("README Quickstart", () => {
  it("the install step, naming @tether/mcp and zod for each runtime, comes before any import of them", () => {
    const firstImport = blocks.find((b) => b.code.includes('from "@tether/mcp"'));
    assert.ok(firstImport !== undefined);
    for (const runtime of ["Deno", "Node", "Bun"] as const) {
      const install = installOf(runtime);
      assert.match(install.code, /@tether\/mcp/, `${runtime} installs tether`);
      assert.match(install.code, /\bzod\b/, `${runtime} installs zod`);
      assert.ok(install.at < firstImport.at, `${runtime}'s install comes first`);
    }
  });

  it("a newcomer reaches the client command within the first 100 lines: the Inspector, with -y, at the endpoint", () => {
    const connect = blocks.find((b) => b.lang === "sh" && b.code.includes("inspector"));
    assert.ok(connect !== undefined, "the Quickstart shows a command that connects a client");
    assert.match(
      connect.code,
      /^npx -y @modelcontextprotocol\/inspector@2 --cli http:\/\/127\.0\.0\.1:8787\/mcp /,
    );
    const line = README.slice(0, connect.at).split("\n").length;
    assert.ok(line <= 100, `the client command starts on line ${line}`);
  });

  for (const [runtime, binary] of RUNS) {
    it(`runs as written on ${binary}`, async () => {
      assert.equal(serveOf(runtime).command[0], binary.startsWith("node") ? "node" : binary);
      const run = await walked(binary);
      assert.equal(run.answer, "Hello, Ada!");
      assert.equal(run.printed, run.url, "main.ts prints the MCP endpoint's URL");
      assert.equal(run.inspector.code, 0, run.inspector.stdout);
      assert.ok(run.inspector.stdout.includes(clientCommand().prints), run.inspector.stdout);
    });
  }
});
