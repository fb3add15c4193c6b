/**
 * KeepAlive, the one heartbeat timer of a handler: it writes `: keepalive`
 * to every connection added (either era's), forgets the ones that end or
 * are removed, and tells its listeners which connections took each beat.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { KeepAlive } from "../../../../src/http/sse/keep_alive.ts";
import { SseConnection } from "../../../../src/http/sse/sse_connection.ts";
import { readTextUntil, until } from "../../../helpers.ts";

function connection(): SseConnection {
  return new SseConnection({ maxBufferedBytes: 1 << 20 });
}

/** Reads `connection` until it carried a heartbeat (or the deadline). */
async function heartbeatOf(connection: SseConnection, timeoutMs = 3_000): Promise<string> {
  const reader = connection.body.getReader();
  const { text } = await readTextUntil(reader, (text) => text.includes(": keepalive"), timeoutMs);
  reader.releaseLock();
  return text;
}

describe("KeepAlive", () => {
  it("tells its listeners, after each beat, exactly the connections that took it", async () => {
    const keepAlive = new KeepAlive(10);
    const taken: SseConnection[][] = [];
    keepAlive.onBeat((written) => taken.push([...written]));
    const [first, second, removed] = [connection(), connection(), connection()];
    try {
      keepAlive.add(first);
      keepAlive.add(second);
      keepAlive.add(removed);
      keepAlive.remove(removed);
      second.close();
      await until(() => taken.length >= 2, "two beats");
      for (const written of taken) assert.deepEqual(written, [first]);
      assert.match(await heartbeatOf(first), /: keepalive\n\n/);
    } finally {
      keepAlive.stop();
    }
  });

  it("interval 0 writes nothing and tells no listener (a 10 ms control does)", async () => {
    const silent = new KeepAlive(0);
    const control = new KeepAlive(10);
    let silentBeats = 0;
    let controlBeats = 0;
    silent.onBeat(() => silentBeats++);
    control.onBeat(() => controlBeats++);
    const quiet = connection();
    const heard = connection();
    try {
      silent.add(quiet);
      control.add(heard);
      const [quietText, heardText] = await Promise.all([
        heartbeatOf(quiet, 150),
        heartbeatOf(heard, 150),
      ]);
      assert.match(heardText, /: keepalive/, "positive control");
      assert.ok(controlBeats > 0, "positive control: its listener was told");
      assert.doesNotMatch(quietText, /keepalive/);
      assert.equal(silentBeats, 0);
    } finally {
      silent.stop();
      control.stop();
    }
  });
});
