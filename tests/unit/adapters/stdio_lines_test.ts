/**
 * The stdio framing (src/jsonrpc/line_framer.ts) and `serveStdio` on
 * injected streams: lines split across chunks (a UTF-8 character too),
 * CRLF, blank lines, a last line without its newline, and an over-long
 * line reported once and skipped while the next one is served.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readLines } from "../../../src/jsonrpc/line_framer.ts";
import { serveStdio } from "../../../src/adapters/stdio.ts";
import { createMcpHandler, defineTool } from "../../../mod.ts";
import { initializeMessage } from "../../helpers.ts";

async function collect(chunks: (string | Uint8Array)[], max = 1024): Promise<unknown[]> {
  const lines: unknown[] = [];
  for await (const line of readLines(chunks, max)) {
    lines.push(line.tooLong ? "TOO LONG" : line.text);
  }
  return lines;
}

async function* slowly(chunks: string[]): AsyncGenerator<string> {
  for (const chunk of chunks) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield chunk;
  }
}

/** Serves `chunks` to a small handler; resolves with every line written, parsed. */
async function serve(chunks: string[], maxLineBytes?: number) {
  const handler = createMcpHandler({
    name: "lines",
    version: "1.0.0",
    tools: [defineTool({ name: "echo", handler: (input) => JSON.stringify(input) })],
  });
  const written: string[] = [];
  await serveStdio(handler, {
    input: slowly(chunks),
    output: { write: (text) => void written.push(text) },
    handleSignals: false,
    drainMs: 1_000,
    ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
  });
  for (const text of written) {
    assert.ok(text.endsWith("\n") && text.indexOf("\n") === text.length - 1);
  }
  return written.map((text) => JSON.parse(text));
}

const INITIALIZE = JSON.stringify(initializeMessage("2025-11-25", {}, 1));

describe("stdio line framing", () => {
  it("joins lines split across chunks, a UTF-8 character included", async () => {
    const bytes = new TextEncoder().encode('{"a":"é"}\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of "é"
    assert.deepEqual(
      await collect([bytes.subarray(0, cut), bytes.subarray(cut), '{"b"', ":2}\n"]),
      [
        '{"a":"é"}',
        '{"b":2}',
      ],
    );
  });

  it("takes CRLF and LF, skips blank lines, keeps a last line without a newline", async () => {
    assert.deepEqual(await collect(["one\r\n\r\n", "two\n\nthree"]), ["one", "two", "three"]);
  });

  it("reports an over-long line once, drops its bytes, and reads on after its newline", async () => {
    const long = "x".repeat(40);
    assert.deepEqual(
      await collect(
        ["short\n", long.slice(0, 15), long.slice(15, 30), long.slice(30) + "\nnext\n"],
        16,
      ),
      ["short", "TOO LONG", "next"],
    );
    assert.deepEqual(
      await collect(["x".repeat(16) + "\n"], 16),
      ["x".repeat(16)],
      "the bound itself fits",
    );
  });
});

describe("serveStdio on injected streams", () => {
  it("answers a malformed line with -32700 and serves the next one", async () => {
    const answers = await serve([
      "{oops\n",
      INITIALIZE + "\n",
      '{"jsonrpc":"2.0","id":2,"method":"ping"}\n',
    ]);
    assert.deepEqual(answers[0], {
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error" },
    });
    assert.equal(answers[1].id, 1);
    assert.deepEqual(answers[2], { jsonrpc: "2.0", id: 2, result: {} });
  });

  it("answers an over-long line with -32600 (id null), skips it, and serves the next", async () => {
    const long = JSON.stringify({
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: { name: "echo", arguments: { text: "y".repeat(4_000) } },
    });
    const answers = await serve(
      [
        INITIALIZE + "\r\n",
        long.slice(0, 2_000),
        long.slice(2_000) + "\r\n",
        '{"jsonrpc":"2.0","id":2,"method":"ping"}\r\n',
      ],
      1_024,
    );
    assert.equal(answers.length, 3);
    assert.equal(answers[1].id, null);
    assert.equal(answers[1].error.code, -32600);
    assert.match(answers[1].error.message, /longer than 1024 bytes/);
    assert.deepEqual(answers[2], { jsonrpc: "2.0", id: 2, result: {} });
  });
});
