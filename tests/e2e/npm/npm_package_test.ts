/**
 * The npm package, end to end: `npm run pack:npm` builds and packs `@tether/mcp` (its size and
 * file list printed and bounded), `npm install <tarball> zod` puts it in a fresh project under
 * the temp dir, tsc type-checks a user's file against its .d.ts, and the quickstart (plain
 * JavaScript importing `@tether/mcp`) runs on Node 22, Node 24, Bun and Deno (`npm:@tether/mcp`,
 * resolved from that project's node_modules), each answering the official SDK client over real
 * HTTP. The package is built, packed and installed once, in `before`; the tests after it only
 * read that project or start processes in it, so they run at once (tsc beside the quickstarts).
 * Runs from Node 24's run of `npm test`, which drives every runtime itself; skipped on the Node
 * 22, Deno and Bun runs (they would only repeat it) and where `npm` is not on PATH.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { until } from "../../helpers.ts";
import { connectClient, WAIT_MS, withTimeout } from "../interop/helpers.ts";
import { freeRigPort } from "../../../scripts/rig_processes.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const NODE24 = join(ROOT, "node_modules", "node24", "bin", "node");
const BINARIES = {
  node24: NODE24,
  node22: join(ROOT, "node_modules", "node22", "bin", "node"),
  bun: join(ROOT, "node_modules", ".bin", "bun"),
  deno: join(ROOT, "node_modules", ".bin", "deno"),
};
/**
 * Bounds on the package: a file that should not ship, or a build gone wrong, breaks them. 733
 * files (873 kB packed) once the Postgres backend's event log, bus, task and DPoP stores shipped;
 * 803 files (977 kB packed) once modules near 400 lines were split by job (each new module ships
 * its .js and .d.ts) and the storage seams got their rooms.
 */
const MAX_PACKED_BYTES = 1024 * 1024;
const MAX_UNPACKED_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 850;

const npmMissing = spawnSync("npm", ["--version"], { encoding: "utf8" }).status !== 0;
const skip = "Deno" in globalThis || process.versions.bun !== undefined
  ? "the npm package test runs from Node 24's run, which drives Deno and Bun itself"
  : !process.versions.node.startsWith("24.")
  ? "the npm package test runs from Node 24's run, which drives Node 22 itself"
  : npmMissing
  ? "npm is not on PATH"
  : false;

/**
 * Runs a command to completion within `ms` (a bound on a hang, not a speed target: tsc over the
 * whole package takes 30 s alone and over 90 s on a loaded CI machine); resolves with its output,
 * rejects on failure.
 */
function run(
  command: string,
  args: string[],
  cwd: string,
  ms = 120_000,
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...process.env,
        NO_COLOR: "1",
        npm_config_fund: "false",
        npm_config_audit: "false",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => void (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => void (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")}: ${code ?? signal}\n${output}`));
    });
  });
}

const SERVER = `import { createMcpHandler, defineTool } from "@tether/mcp";
import * as z from "zod";

export const handler = createMcpHandler({
  name: "hello",
  version: "1.0.0",
  tools: [defineTool({
    name: "greet",
    description: "Greets someone",
    input: z.object({ name: z.string() }),
    handler: ({ name }) => \`Hello, \${name}!\`,
  })],
});
`;

/** Each runtime's main: serves the handler and prints `listening <url>` once it listens. */
const MAINS = {
  node: `import { serve } from "@tether/mcp/node";
import { handler } from "./server.js";
const server = serve(handler, { hostname: "127.0.0.1", port: Number(process.env.PORT) });
console.log("listening", await server.url);
`,
  bun: `import { handler } from "./server.js";
const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT), idleTimeout: 0, fetch: handler });
console.log("listening", server.url.href);
`,
  // Deno through npm: specifiers, resolved from the project's node_modules (manual mode).
  deno: SERVER.replace('"@tether/mcp"', '"npm:@tether/mcp"').replace('"zod"', '"npm:zod"') +
    `console.log("resolved", import.meta.resolve("npm:@tether/mcp"));
Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT")),
  onListen: ({ hostname, port }) => console.log("listening", \`http://\${hostname}:\${port}/\`),
}, handler);
`,
};

/** A user's TypeScript file: tsc checks it against the package's declarations. */
const TYPED = `import { createMcpHandler, defineTool, type McpHandler } from "@tether/mcp";
import { serve } from "@tether/mcp/node";
import { MemoryTaskStore } from "@tether/mcp/tasks";
import { defineAppTool } from "@tether/mcp/apps";
import { type CallToolResult, LATEST_PROTOCOL_VERSION } from "@tether/mcp/types";
import { MemorySessionStore, type SessionStore } from "@tether/mcp/storage";
import * as z from "zod";

const handler: McpHandler = createMcpHandler({
  name: "typed",
  version: "1.0.0",
  tools: [defineTool({
    name: "add",
    input: z.object({ a: z.number(), b: z.number() }),
    handler: ({ a, b }) => String(a + b),
  })],
});
const answer: Promise<Response> = handler(new Request("http://127.0.0.1/mcp"));
const store: SessionStore = new MemorySessionStore();
const result: CallToolResult = { content: [{ type: "text", text: LATEST_PROTOCOL_VERSION }] };
const app = defineAppTool({ name: "view", ui: { resourceUri: "ui://a/b.html" }, handler: () => "" });
export { answer, app, MemoryTaskStore, result, serve, store };
`;

let project = "";
let packOutput = "";
let tarball = "";
let packDir = "";
const running: ChildProcess[] = [];

describe("the npm package @tether/mcp", { skip, concurrency: true }, () => {
  before(async () => {
    // Packed into a directory of its own: the suite runs this file on two runtimes at once.
    packDir = mkdtempSync(join(tmpdir(), "tether-pack-"));
    packOutput = await run(NODE24, [join(ROOT, "scripts", "pack_npm.ts")], ROOT, 240_000, {
      TETHER_NPM_OUT: packDir,
    });
    tarball = packOutput.trimEnd().split("\n").at(-1)!;
    project = mkdtempSync(join(tmpdir(), "tether-npm-"));
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "app", private: true, type: "module" }),
    );
    await run(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, "zod@^4.1.0"],
      project,
      90_000,
    );
    writeFileSync(join(project, "server.js"), SERVER);
    for (const [name, code] of Object.entries(MAINS)) {
      writeFileSync(join(project, `main_${name}.js`), code);
    }
  });

  after(async () => {
    for (const child of running.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await withTimeout(exited, 10_000, "a quickstart did not exit");
    }
    if (project !== "") rmSync(project, { recursive: true, force: true });
    if (packDir !== "") rmSync(packDir, { recursive: true, force: true });
  });

  it("pack:npm prints the file list and sizes, and the tarball's path last", () => {
    console.log(packOutput.trimEnd().split("\n").slice(-2).join("\n"));
    assert.ok(tarball.startsWith(packDir), tarball);
    assert.match(tarball, /\/tether-mcp-\d+\.\d+\.\d+\S*\.tgz$/);
    const summary = /(\d+) files, (\d+) kB packed, (\d+) kB unpacked/.exec(packOutput);
    assert.ok(summary !== null, packOutput.slice(-500));
    assert.ok(Number(summary[1]) <= MAX_FILES, `${summary[1]} files`);
    assert.ok(Number(summary[2]) * 1024 <= MAX_PACKED_BYTES, `${summary[2]} kB packed`);
    assert.ok(Number(summary[3]) * 1024 <= MAX_UNPACKED_BYTES, `${summary[3]} kB unpacked`);
  });

  it("ships only the compiled modules, their declarations and the docs; no install scripts", async () => {
    const listing = await run("tar", ["-tzf", tarball], ROOT);
    const files = listing.trim().split("\n").map((line) => line.replace(/^package\//, ""));
    const strays = files.filter((file) =>
      !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|docs\/[A-Za-z0-9-]+\.md)$/.test(file) &&
      !/^(mod|src\/[a-z0-9_/]+)\.(js|d\.ts)$/.test(file)
    );
    assert.deepEqual(strays, []);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const linked = [...readme.matchAll(/\]\((docs\/[A-Za-z0-9-]+\.md)\)/g)].map((match) =>
      match[1]
    );
    assert.ok(linked.length > 5, "the README links its guides");
    const missing = linked.filter((page) => !files.includes(page));
    assert.deepEqual(missing, [], "every guide the README links is in the package");
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    const manifest = JSON.parse(
      readFileSync(join(project, "node_modules", "@tether", "mcp", "package.json"), "utf8"),
    );
    assert.equal(manifest.version, deno.version);
    assert.equal(manifest.scripts, undefined);
    for (const [subpath, file] of Object.entries(deno.exports as Record<string, string>)) {
      const base = file.slice(0, -".ts".length);
      assert.deepEqual(manifest.exports[subpath], {
        types: `${base}.d.ts`,
        default: `${base}.js`,
      });
      assert.ok(files.includes(`${base.slice(2)}.js`), `${subpath} has its JavaScript`);
      assert.ok(files.includes(`${base.slice(2)}.d.ts`), `${subpath} has its declarations`);
    }
  });

  it("its declarations import each other as .js, as the JavaScript does (older tools need it)", () => {
    const installed = join(project, "node_modules", "@tether", "mcp");
    const tsImport = /^(?:import|export)\b[^\n]*?\bfrom "\.\.?\/[^"]+\.ts"|^\} from "\.[^"]+\.ts"/m;
    const declarations = readdirSync(installed, { recursive: true })
      .map(String)
      .filter((file) => file.endsWith(".d.ts"));
    assert.ok(declarations.length > 100, `${declarations.length} declaration files`);
    const offending = declarations.filter((file) =>
      tsImport.test(readFileSync(join(installed, file), "utf8"))
    );
    assert.deepEqual(offending, []);
  });

  it("its declarations type-check a user's TypeScript (tsc, nodenext, strict, libraries checked too)", async () => {
    writeFileSync(join(project, "typed.ts"), TYPED);
    await run(NODE24, [
      join(ROOT, "node_modules", "typescript", "bin", "tsc"),
      "--noEmit",
      "--strict",
      // Every .d.ts is checked, the package's, zod's and @types/node's, but TypeScript's own
      // lib.*.d.ts (half of the run): a clash of the package's declarations with them is
      // reported in the package's file all the same.
      "--skipDefaultLibCheck",
      "--module",
      "nodenext",
      "--target",
      "es2022",
      "--lib",
      "es2023,dom",
      "--types",
      "node",
      "--typeRoots",
      join(ROOT, "node_modules", "@types"),
      "typed.ts",
    ], project);
  });

  for (
    const [binary, args] of [
      ["node24", ["main_node.js"]],
      ["node22", ["main_node.js"]],
      ["bun", ["main_bun.js"]],
      ["deno", ["run", "-A", "--node-modules-dir=manual", "main_deno.js"]],
    ] as const
  ) {
    it(`the quickstart runs on ${binary} from node_modules and answers the SDK client`, async () => {
      const port = await freeRigPort();
      const child = spawn(BINARIES[binary], args, {
        cwd: project,
        env: { ...process.env, PORT: String(port), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      running.push(child);
      let output = "";
      child.stdout!.on("data", (chunk: Buffer) => void (output += chunk));
      child.stderr!.on("data", (chunk: Buffer) => void (output += chunk));
      const url = `http://127.0.0.1:${port}/mcp`;
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          const look = () => {
            if (output.includes(`listening http://127.0.0.1:${port}`)) resolve();
          };
          child.stdout!.on("data", look);
          child.stderr!.on("data", look);
          child.once("exit", (code, signal) => {
            reject(new Error(`${binary} exited (${code ?? signal})`));
          });
        }),
        30_000,
        `${binary} listening on ${port}`,
      ).catch((error: Error) => assert.fail(`${error.message}:\n${output}`));
      const connection = await withTimeout(connectClient(url), WAIT_MS, `connecting ${url}`);
      try {
        const result = await connection.client.callTool(
          { name: "greet", arguments: { name: "Ada" } },
          undefined,
          { timeout: WAIT_MS },
        );
        assert.deepEqual(result.content, [{ type: "text", text: "Hello, Ada!" }]);
        if (binary === "deno") {
          const installed = join(project, "node_modules", "@tether", "mcp", "mod.js");
          await until(() => output.includes("resolved "), "Deno's resolve line");
          assert.ok(output.includes(`resolved file://${installed}`), output);
        }
      } finally {
        await connection.close();
      }
    });
  }
});
