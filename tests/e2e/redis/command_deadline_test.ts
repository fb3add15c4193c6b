/**
 * The deadline of Redis commands (command_deadline.ts), on a command double
 * that answers only when told: a command past the deadline fails as storage
 * unavailable; a blocking read gets its block time on top; answers in time
 * pass through, errors too. The real-Redis side (CLIENT PAUSE) is in
 * stream_open_faults_test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StorageUnavailableError } from "../../../mod.ts";
import { CommandDeadline } from "../../../src/redis/connection/command_deadline.ts";
import type { RedisCommands } from "../../../src/redis/connection/redis_commands.ts";
import { within } from "../../helpers.ts";

/** Commands that answer only when the test settles them. */
function heldCommands() {
  const held: { args: string[]; answer: PromiseWithResolvers<unknown> }[] = [];
  const commands: RedisCommands = {
    sendCommand(args) {
      const answer = Promise.withResolvers<unknown>();
      held.push({ args, answer });
      return answer.promise;
    },
  };
  return { commands, held };
}

/** Settles with "pending" if `promise` has not settled after `ms`. */
function stateAfter(promise: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([
    promise.then((value) => ({ value }), (error) => ({ error })),
    new Promise((resolve) => setTimeout(() => resolve("pending"), ms)),
  ]);
}

describe("the Redis command deadline", () => {
  it("a command Redis does not answer fails as storage unavailable, near the deadline", async () => {
    const { commands } = heldCommands();
    const redis = new CommandDeadline(50).wrap(commands);
    await assert.rejects(
      within(redis.sendCommand(["GET", "k"]), 2_000, "the deadline"),
      (error: Error) => {
        assert.ok(error instanceof StorageUnavailableError);
        assert.match(error.message, /did not answer GET within 50 ms/);
        return true;
      },
    );
  });

  it("an answer in time passes through, and so does an error", async () => {
    const { commands, held } = heldCommands();
    const redis = new CommandDeadline(10_000).wrap(commands);
    const ok = redis.sendCommand(["GET", "k"]);
    held[0].answer.resolve("v");
    assert.equal(await ok, "v");
    const wrong = redis.sendCommand(["INCR", "k"]);
    held[1].answer.reject(new Error("WRONGTYPE"));
    await assert.rejects(wrong, /WRONGTYPE/);
  });

  it("a blocking read gets its block time on top of the deadline", async () => {
    const { commands, held } = heldCommands();
    const redis = new CommandDeadline(40).wrap(commands);
    const plain = redis.sendCommand(["GET", "k"]);
    const blocking = redis.sendCommand(["XREAD", "BLOCK", "2000", "STREAMS", "s", "0"]);
    // Positive control: the plain command runs out of time (waited for, not timed: a loaded
    // runtime may fire its deadline late), while the blocking one, 2 s longer, has not.
    await assert.rejects(
      within(plain, 1_500, "the plain command's deadline"),
      (error) => !String(error).includes("timed out after"),
    );
    assert.equal(await stateAfter(blocking, 0), "pending", "the blocking read still waits");
    held[1].answer.resolve(null);
    assert.equal(await blocking, null);
  });
});
