/**
 * The skills loader's bounded read: a file within the bound is read whole,
 * one over it by stat is not read at all, and a source that reports no size
 * but never ends (/dev/zero) is read only up to one byte past the bound: the
 * memory a read spends is bound + 1 bytes at most.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWithin } from "../../../../src/extensions/skills/bounded_read.ts";

describe("readWithin", () => {
  it("reads a file within the bound whole, and refuses one over it by its size", async () => {
    const root = await mkdtemp(join(tmpdir(), "tether-bounded-read-"));
    try {
      await writeFile(join(root, "small.txt"), "hello");
      assert.deepEqual(await readWithin(join(root, "small.txt"), 5), {
        ok: true,
        bytes: new TextEncoder().encode("hello"),
      });
      await writeFile(join(root, "empty.txt"), "");
      assert.deepEqual(await readWithin(join(root, "empty.txt"), 0), {
        ok: true,
        bytes: new Uint8Array(),
      });
      await writeFile(join(root, "sparse.bin"), "");
      await truncate(join(root, "sparse.bin"), 1024 ** 3);
      assert.deepEqual(await readWithin(join(root, "sparse.bin"), 5), {
        ok: false,
        size: 1024 ** 3,
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("stops one byte past the bound where stat says nothing (/dev/zero never ends)", {
    skip: existsSync("/dev/zero") ? false : "no /dev/zero here",
  }, async () => {
    // An unbounded read of /dev/zero never returns: ending at all is the structural check.
    assert.deepEqual(await readWithin("/dev/zero", 100_000), { ok: false, size: 100_001 });
  });
});
