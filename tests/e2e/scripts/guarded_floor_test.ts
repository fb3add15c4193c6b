/**
 * The guarded floors (bench/servers/floor.ts --guarded) make the guards the guard rows charge to
 * them: a body that stalls is answered 408 at the deadline, an oversized request id 400, in both
 * eras; the plain floors make none of them (an oversized id is served). The guarded floors read
 * Content-Length once, as tether does: `readBodyText` refuses an over-limit one and reads a body
 * without one in chunks. Each server runs on Node
 * 24, as the bench starts it, whichever runtime runs this test.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { type ServerProcess, startServer } from "../../../bench/lib/proc.ts";
import { freeRigPort } from "../../../scripts/rig_processes.ts";
import { createSessionsOverHttp, withVersion } from "../../../bench/run/traffic.ts";
import {
  echoCallBody,
  ID_SLOT,
  MCP_PATH,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
} from "../../../bench/lib/protocol.ts";

const LONG_ID = JSON.stringify("x".repeat(300));

/** How long a stalled POST waits for the floor's answer (its deadline there is 200 ms). */
const ANSWER_WITHIN_MS = 5_000;

/**
 * Sends the head of a POST that declares `declared` bytes and the start of its body, which never
 * arrives in full; resolves with the status line.
 */
function stalledPost(
  port: number,
  headers: Record<string, string>,
  declared = 100,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(ANSWER_WITHIN_MS, () => {
      socket.destroy();
      reject(new Error(`no answer to a stalled body within ${ANSWER_WITHIN_MS} ms`));
    });
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
      const end = answer.indexOf("\r\n");
      if (end !== -1) {
        socket.destroy();
        resolve(answer.slice(0, end));
      }
    });
    socket.on("error", reject);
    const head = Object.entries({
      ...headers,
      host: `127.0.0.1:${port}`,
      "content-length": String(declared),
    })
      .map(([name, value]) => `${name}: ${value}\r\n`).join("");
    socket.write(`POST ${MCP_PATH} HTTP/1.1\r\n${head}\r\n{"jsonrpc":`);
  });
}

/** The status of a call sent without a Content-Length (chunked), 2026-07-28 or legacy. */
async function chunkedCall(base: string, headers: Record<string, string>, modern: boolean) {
  const bytes = new TextEncoder().encode(modern ? modernEchoCallBody(8) : echoCallBody(8));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const init = { method: "POST", headers, body, duplex: "half" } as RequestInit;
  const response = await fetch(base + MCP_PATH, init);
  await response.text();
  return response.status;
}

/** Over the floors' 4 MiB body limit. */
const OVER_LIMIT = 5 * 1024 * 1024;

/** The headers of a call in a new session of the legacy floor at `base`, as the bench opens one. */
async function session(base: string): Promise<Record<string, string>> {
  const { ids, version } = await createSessionsOverHttp(base, 1, true);
  return { ...withVersion(POST_HEADERS, version), "mcp-session-id": ids[0] };
}

/** The status of a call whose id is `id` (a JSON value), 2026-07-28 or legacy. */
async function callWithId(
  base: string,
  headers: Record<string, string>,
  modern: boolean,
  id: string,
) {
  const body = (modern ? modernEchoCallBody(ID_SLOT) : echoCallBody(ID_SLOT)).replace(ID_SLOT, id);
  const response = await fetch(base + MCP_PATH, { method: "POST", headers, body });
  await response.text();
  return response.status;
}

describe("guarded floors (bench/servers/floor.ts --guarded)", () => {
  const servers: Record<string, ServerProcess> = {};
  const base = (name: string) => `http://127.0.0.1:${servers[name].port}`;

  before(async () => {
    const plans: Record<string, string[]> = {
      modern: ["--guarded", "--body-timeout-ms", "200"],
      legacy: ["--era", "legacy", "--guarded", "--body-timeout-ms", "200"],
      plainModern: [],
      plainLegacy: ["--era", "legacy"],
    };
    for (const [name, args] of Object.entries(plans)) {
      servers[name] = await startServer("node", "bench/servers/floor.ts", args, {
        port: await freeRigPort(),
      });
    }
  });
  after(async () => {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  });

  it("answers a 2026-07-28 call, and refuses an oversized id and a stalled body", async () => {
    const headers = { ...POST_HEADERS, ...modernCallHeaders("echo") };
    assert.equal(await callWithId(base("modern"), headers, true, "7"), 200);
    assert.equal(await callWithId(base("modern"), headers, true, LONG_ID), 400);
    assert.equal(await callWithId(base("modern"), headers, true, "9007199254740993"), 400);
    assert.match(await stalledPost(servers.modern.port, headers), /^HTTP\/1\.1 408/);
    // The plain floor makes none of these checks.
    assert.equal(await callWithId(base("plainModern"), headers, true, LONG_ID), 200);
  });

  it("reads Content-Length once: an over-limit one is refused, a body without one is read", async () => {
    const modern = { ...POST_HEADERS, ...modernCallHeaders("echo") };
    assert.match(await stalledPost(servers.modern.port, modern, OVER_LIMIT), /^HTTP\/1\.1 413/);
    assert.equal(await chunkedCall(base("modern"), modern, true), 200);
    const legacy = await session(base("legacy"));
    assert.match(await stalledPost(servers.legacy.port, legacy, OVER_LIMIT), /^HTTP\/1\.1 413/);
    assert.equal(await chunkedCall(base("legacy"), legacy, false), 200);
  });

  it("answers a legacy call, and refuses an oversized id and a stalled body", async () => {
    const headers = await session(base("legacy"));
    assert.equal(await callWithId(base("legacy"), headers, false, "7"), 200);
    assert.equal(await callWithId(base("legacy"), headers, false, LONG_ID), 400);
    assert.match(await stalledPost(servers.legacy.port, headers), /^HTTP\/1\.1 408/);
    const plain = await session(base("plainLegacy"));
    assert.equal(await callWithId(base("plainLegacy"), plain, false, LONG_ID), 200);
  });
});
