/**
 * scripts/check_layers.ts, run on made-up trees: an import against the plan,
 * an import circle, a room the plan does not know and an oversized module
 * each fail the check by name; a tree along the plan passes, and so does
 * this repository.
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
const SCRIPT = join(REPOSITORY, "scripts", "check_layers.ts");

interface Outcome {
  code: number;
  output: string;
}

/** Runs the check on `root` (this repository when undefined), within 20 s. */
function runCheck(root?: string): Promise<Outcome> {
  const args = root === undefined ? [SCRIPT] : [SCRIPT, root];
  return new Promise((resolve, reject) => {
    execFile(NODE, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      if (typeof code !== "number") return reject(error);
      resolve({ code, output: stdout + stderr });
    });
  });
}

/** A temporary repository whose src/ holds `files` (path → text). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "check-layers-"));
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, "src", path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return root;
}

const ALONG_THE_PLAN = {
  "jsonrpc/messages.ts": "export const a = 1;\n",
  "protocol/dispatcher.ts": 'import { a } from "../jsonrpc/messages.ts";\nexport const b = a;\n',
  "legacy/sessions/store.ts":
    'import { b } from "../../protocol/dispatcher.ts";\nexport const c = b;\n',
  "legacy/pipeline.ts": 'import { c } from "./sessions/store.ts";\nexport const d = c;\n',
  "handler.ts": 'export { d } from "./legacy/pipeline.ts";\n',
};

describe("check_layers", () => {
  it("passes a tree whose imports point down the plan", async () => {
    const root = tree(ALONG_THE_PLAN);
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 0, output);
      assert.match(output, /5 modules of src\/ import along the plan, no circles/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("names an upward import, a circle, an unknown room and an oversized module", async () => {
    const root = tree({
      ...ALONG_THE_PLAN,
      // protocol/ is the era-free core: it may not reach into an era.
      "protocol/tools.ts": 'import { d } from "../legacy/pipeline.ts";\nexport const e = d;\n',
      "http/one.ts": 'import { two } from "./two.ts";\nexport const one = () => two;\n',
      "http/two.ts": 'import { one } from "./one.ts";\nexport const two = () => one;\n',
      "misc/helper.ts": "export const f = 1;\n",
      "modern/big.ts": "export const g = 1;\n".repeat(401),
      "bus/dynamic.ts": 'export const h = () => import("../modern/big.ts");\n',
    });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(output, /src\/protocol\/tools\.ts: protocol may not import legacy/);
      assert.match(output, /import circle: src\/http\/one\.ts ↔ src\/http\/two\.ts/);
      assert.match(output, /src\/misc\/helper\.ts: room "misc" is not in the plan/);
      assert.match(output, /src\/modern\/big\.ts: 401 lines, over 400/);
      assert.match(output, /src\/bus\/dynamic\.ts: bus may not import modern/);
      assert.match(output, /check_layers: 5 problem\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("counts each extension as a room of its own, and auth/ below the entry", async () => {
    const root = tree({
      ...ALONG_THE_PLAN,
      "extensions/tasks/store.ts":
        'import { b } from "../../protocol/dispatcher.ts";\nexport const t = b;\n',
      // An extension is built on protocol/, never on another extension.
      "extensions/skills/catalog.ts":
        'import { t } from "../tasks/store.ts";\nexport const s = t;\n',
      "auth/scope_check.ts":
        'import { b } from "../protocol/dispatcher.ts";\nexport const u = b;\n',
      // The eras never reach up into auth/ (the entry calls it for both).
      "legacy/scopes.ts": 'import { u } from "../auth/scope_check.ts";\nexport const v = u;\n',
    });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(
        output,
        /src\/extensions\/skills\/catalog\.ts: extensions\/skills may not import extensions\/tasks/,
      );
      assert.match(output, /src\/legacy\/scopes\.ts: legacy may not import auth/);
      assert.match(output, /check_layers: 2 problem\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("counts each room of legacy/ apart, and keeps engines off the eras' rooms", async () => {
    const root = tree({
      ...ALONG_THE_PLAN,
      "storage/event_log/log.ts":
        'import { a } from "../../jsonrpc/messages.ts";\nexport const l = a;\n',
      "legacy/streams/hub.ts":
        'import { l } from "../../storage/event_log/log.ts";\nexport const h = l;\n',
      // An engine may use the storage seams, never an era's room.
      "redis/log.ts": 'import { l } from "../storage/event_log/log.ts";\nexport const r = l;\n',
      "redis/hub.ts": 'import { h } from "../legacy/streams/hub.ts";\nexport const e = h;\n',
      "legacy/exchange/answer.ts": 'import { h } from "../streams/hub.ts";\nexport const x = h;\n',
      // Streams sit below the exchange that writes to them: this arrow points up.
      "legacy/streams/priming.ts":
        'import { x } from "../exchange/answer.ts";\nexport const p = x;\n',
      "legacy/stateless/post.ts":
        'import { x } from "../exchange/answer.ts";\nexport const s = x;\n',
      // legacy/'s top builds either mode (era.ts), so it may import stateless/; never back.
      "legacy/era.ts": 'import { s } from "./stateless/post.ts";\nexport const q = s;\n',
      "legacy/stateless/back.ts": 'import { q } from "../era.ts";\nexport const b = q;\n',
    });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(
        output,
        /src\/legacy\/streams\/priming\.ts: legacy\/streams may not import legacy\/exchange/,
      );
      assert.match(
        output,
        /src\/legacy\/stateless\/back\.ts: legacy\/stateless may not import legacy/,
      );
      assert.match(output, /src\/redis\/hub\.ts: redis may not import legacy\/streams/);
      assert.match(output, /check_layers: 3 problem\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("refuses an import from the door (entry/) into an era; era.ts and what is below pass", async () => {
    const root = tree({
      ...ALONG_THE_PLAN,
      "era.ts": 'import { b } from "./protocol/dispatcher.ts";\nexport const face = b;\n',
      "entry/route.ts": 'import { face } from "../era.ts";\nexport const r = face;\n',
      "entry/classify.ts": 'import { d } from "../legacy/pipeline.ts";\nexport const k = d;\n',
    });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(output, /src\/entry\/classify\.ts: entry may not import legacy/);
      assert.match(output, /check_layers: 1 problem\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("counts each room of protocol/ apart: down its floors only, all of them from above", async () => {
    const root = tree({
      ...ALONG_THE_PLAN,
      "protocol/schema/validate.ts":
        'import { a } from "../../jsonrpc/messages.ts";\nexport const v = a;\n',
      "protocol/definitions/define.ts":
        'import { v } from "../schema/validate.ts";\nexport const w = v;\n',
      "protocol/dispatch/table.ts":
        'import { w } from "../definitions/define.ts";\nexport const x = w;\n',
      // A room above protocol/ may import any of its rooms.
      "legacy/answer.ts":
        'import { x } from "../protocol/dispatch/table.ts";\nexport const y = x;\n',
      // Schemas know nothing of the dispatcher, nor the vocabulary of the definitions.
      "protocol/schema/upward.ts":
        'import { x } from "../dispatch/table.ts";\nexport const z = x;\n',
      "protocol/shapes.ts": 'import { w } from "./definitions/define.ts";\nexport const s = w;\n',
      // Nor may protocol/ reach an era from one of its rooms.
      "protocol/registries/era.ts":
        'import { d } from "../../legacy/pipeline.ts";\nexport const r = d;\n',
    });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(
        output,
        /src\/protocol\/schema\/upward\.ts: protocol\/schema may not import protocol\/dispatch/,
      );
      assert.match(
        output,
        /src\/protocol\/shapes\.ts: protocol may not import protocol\/definitions/,
      );
      assert.match(
        output,
        /src\/protocol\/registries\/era\.ts: protocol\/registries may not import legacy/,
      );
      assert.match(output, /check_layers: 3 problem\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("places limits/ and observe/: the eras and the door use them, neither reaches up", async () => {
    const root = tree({
      ...ALONG_THE_PLAN,
      "http/refusal.ts": 'import { a } from "../jsonrpc/messages.ts";\nexport const r = a;\n',
      "limits/concurrency_limit.ts":
        'import { r } from "../http/refusal.ts";\nexport const cap = r;\n',
      "observe/stats.ts":
        'import { cap } from "../limits/concurrency_limit.ts";\nexport const s = cap;\n',
      "observe/telemetry/telemetry.ts":
        'import { b } from "../../protocol/dispatcher.ts";\nexport const t = b;\n',
      "legacy/spans.ts":
        'import { t } from "../observe/telemetry/telemetry.ts";\nexport const l = t;\n',
      "legacy/sessions/shares.ts":
        'import { cap } from "../../limits/concurrency_limit.ts";\nexport const m = cap;\n',
      "entry/door.ts": 'import { s } from "../observe/stats.ts";\nexport const n = s;\n',
      // The transport mechanics know no limit; a limit reports nothing; observing serves no era.
      "http/guards.ts":
        'import { cap } from "../limits/concurrency_limit.ts";\nexport const g = cap;\n',
      "limits/rate_limit.ts": 'import { s } from "../observe/stats.ts";\nexport const q = s;\n',
      "observe/events.ts": 'import { d } from "../legacy/pipeline.ts";\nexport const e = d;\n',
    });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(output, /src\/http\/guards\.ts: http may not import limits/);
      assert.match(output, /src\/limits\/rate_limit\.ts: limits may not import observe/);
      assert.match(output, /src\/observe\/events\.ts: observe may not import legacy/);
      assert.match(output, /check_layers: 3 problem\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("bounds a folder's top level to 15 modules; a sub-folder's modules count apart", async () => {
    const modules = (folder: string, count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, index) => [
          `${folder}/m${index}.ts`,
          `export const m${index} = ${index};\n`,
        ]),
      );
    const root = tree({
      ...ALONG_THE_PLAN,
      ...modules("http", 15),
      ...modules("http/body", 3),
      ...modules("bus", 16),
    });
    try {
      const { code, output } = await runCheck(root);
      assert.equal(code, 1, output);
      assert.match(output, /src\/bus\/: 16 modules at its top level, over 15 \(split it by job\)/);
      assert.doesNotMatch(output, /src\/http\//);
      assert.match(output, /check_layers: 1 problem\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("passes on this repository", async () => {
    const { code, output } = await runCheck();
    assert.equal(code, 0, output);
  });
});
