/** frameBatch: the memory log's numbered ids framed numbered, any other log's ids checked each. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { frameBatch } from "../../../../src/legacy/streams/batch_framing.ts";
import { MemoryEventLog } from "../../../../src/storage/event_log/memory_event_log.ts";
import { stringifyJsonEvents } from "../../../../src/http/sse/sse.ts";

describe("frameBatch", () => {
  it("frames a memory log's batch as its ids say, numbered from the first", async () => {
    const log = new MemoryEventLog();
    await log.open("sess", "st-1");
    await log.append("sess", "st-1", "{}");
    const data = ['{"a":1}', '{"b":"é"}', "[]"];
    const ids = await log.appendMany("sess", "st-1", data);
    assert.deepEqual(ids, ["st-1:2", "st-1:3", "st-1:4"]);
    assert.equal(frameBatch(log, "st-1", ids, data), stringifyJsonEvents(ids, data));
  });

  it("checks each id of any other log, and frames as given ids that are not the stream's numbers", () => {
    class Custom extends MemoryEventLog {
      override appendMany(): Promise<string[]> {
        return Promise.resolve(["ok:1", "bad\n:2"]);
      }
    }
    assert.throws(
      () => frameBatch(new Custom(), "ok", ["ok:1", "bad\n:2"], ["{}", "{}"]),
      RangeError,
    );
    // Not `<stream>:<n>`: framed with the ids as given.
    const log = new MemoryEventLog();
    assert.equal(
      frameBatch(log, "s", ["s:x", "s:y"], ["1", "2"]),
      "id: s:x\ndata: 1\n\nid: s:y\ndata: 2\n\n",
    );
  });
});
