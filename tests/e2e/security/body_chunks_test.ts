/**
 * Finding 2 of the hostile-input review: Deno hands out each request-body
 * chunk as a view into its own 64 KiB buffer, so a body sent in 1-byte chunks
 * pinned 64 KiB per byte while it was read. These tests feed the handler such
 * chunks in process (a ReadableStream body, as Deno's serve loop produces)
 * and check that what a read retains is the bytes, not the buffers behind
 * them: the answers are right, and the process grows far less than the
 * buffers would weigh if they were kept.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import {
  ACCEPT_BOTH,
  ENDPOINT,
  initializeMessage,
  makeHandler,
  sleep,
  within,
} from "../../helpers.ts";

const KIB = 1024;
const MIB = 1024 * KIB;
/** What Deno's serve loop gives each chunk a view into. */
const RUNTIME_BUFFER_BYTES = 64 * KIB;

/**
 * Runs a full garbage collection, so what is measured next is what is still
 * referenced: `Bun.gc` on Bun; V8's `gc`, exposed at run time, on Node and Deno.
 */
function collectGarbage(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) return bun.gc(true);
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

/**
 * Bytes held outside the JS heap (ArrayBuffer contents among them) that are
 * still referenced: measured after macrotasks (so finished reads have let go
 * of their locals) and full collections.
 */
async function retainedExternalBytes(): Promise<number> {
  // Two rounds: objects kept only by weak callbacks and finalizers (undici's Request) go in the second.
  for (let round = 0; round < 2; round++) {
    await sleep(0);
    collectGarbage();
  }
  return process.memoryUsage().external;
}

/** An `initialize` body of exactly `size` bytes (trailing whitespace pads it). */
function initializeBody(size: number): Uint8Array {
  const json = JSON.stringify(initializeMessage());
  const bytes = new TextEncoder().encode(json + " ".repeat(size - json.length));
  assert.equal(bytes.byteLength, size);
  return bytes;
}

/**
 * A body stream that sends `bytes` one byte per chunk, each chunk a view into
 * a fresh 64 KiB buffer. Before it
 * ends it waits for `beforeEnd`, so a test can look at the process while the
 * whole body is in the reader's hands.
 */
function oneByteChunks(
  bytes: Uint8Array,
  beforeEnd: () => Promise<void>,
): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent === bytes.byteLength) {
        await beforeEnd();
        controller.close();
        return;
      }
      const buffer = new Uint8Array(RUNTIME_BUFFER_BYTES);
      const offset = sent % RUNTIME_BUFFER_BYTES;
      buffer[offset] = bytes[sent++];
      controller.enqueue(buffer.subarray(offset, offset + 1));
    },
  }, { highWaterMark: 0 });
}

function streamingPost(body: ReadableStream<Uint8Array>): Request {
  return new Request(ENDPOINT, {
    method: "POST",
    headers: { accept: ACCEPT_BOTH, "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);
}

describe("request bodies in tiny chunks", () => {
  it("a 20 KB initialize in 1-byte chunks, each a view into its own 64 KiB buffer, is answered", async () => {
    const handler = makeHandler();
    try {
      const response = await within(
        handler(streamingPost(oneByteChunks(initializeBody(20_000), async () => {}))),
        20_000,
        "initialize",
      );
      assert.equal(response.status, 200, await response.clone().text());
      const body = await response.json();
      assert.equal(body.result.serverInfo.name, "test-server");
      assert.equal(body.id, 0);
    } finally {
      await handler.close();
    }
  });

  it("4 bodies of 5,000 1-byte chunks read at once retain far less than their 1.25 GB of buffers", async () => {
    const bodies = 4;
    const chunksPerBody = 5_000;
    // The old reader kept every view, so each chunk pinned its whole buffer: 20,000 × 64 KiB.
    const pinnedByOldReader = bodies * chunksPerBody * RUNTIME_BUFFER_BYTES;
    const bound = 64 * MIB;
    const handler = makeHandler();
    try {
      const before = await retainedExternalBytes();
      let waiting = 0;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let peak = 0;
      const allSent = () => {
        // Every body has been handed over in full and none has ended: what is referenced now is what the reads keep.
        if (++waiting === bodies) {
          void retainedExternalBytes().then((bytes) => {
            peak = bytes;
            release();
          });
        }
        return released;
      };
      const answers = Array.from(
        { length: bodies },
        () => handler(streamingPost(oneByteChunks(initializeBody(chunksPerBody), allSent))),
      );
      const responses = await within(Promise.all(answers), 30_000, "the four initialize answers");
      for (const response of responses) {
        assert.equal(response.status, 200, await response.clone().text());
      }
      const growth = peak - before;
      assert.ok(
        growth < bound,
        `${Math.round(growth / MIB)} MiB more held outside the heap while reading (bound ${
          bound / MIB
        } MiB; kept views would pin ${Math.round(pinnedByOldReader / MIB)} MiB)`,
      );
    } finally {
      await handler.close();
    }
  });
});
