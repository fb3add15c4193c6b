/**
 * The deadline of Redis commands (command_deadline.ts), on a command double
 * that answers only when told: a command past the deadline fails as storage
 * unavailable; a blocking read gets its block time on top; answers in time
 * pass through, errors too; a fenced write script gets the deadline on
 * Redis's clock. The real-Redis side (CLIENT PAUSE) is in
 * stream_open_faults_test.ts and late_writes_test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StorageUnavailableError } from "../../../mod.ts";
import { CommandDeadline } from "../../../src/redis/connection/command_deadline.ts";
import type { RedisCommands } from "../../../src/redis/connection/redis_commands.ts";
import { FENCED, LuaScript } from "../../../src/redis/connection/lua_script.ts";
import { until, within } from "../../helpers.ts";

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

  it("a fenced script carries the local deadline on Redis's clock, read once", async () => {
    const { commands, held } = heldCommands();
    let now = 1_000;
    const redis = new CommandDeadline(2_000, { now: () => now }).wrap(commands);
    const script = new LuaScript("return ARGV[1]", FENCED);
    const first = script.run(redis, ["k"], ["a"]);
    await until(() => held.length === 1, "command 1 sent");
    // The clock is read on the script's own key's master first.
    assert.deepEqual(held[0].args.slice(2), ["1", "k"]);
    assert.match(held[0].args[1], /TIME/);
    now = 1_004; // the reading came back 4 ms later: Redis's 5,000,000.5 ms is read at 1,004
    held[0].answer.resolve(["5000", "500"]);
    await until(() => held.length === 2, "command 2 sent");
    const [command, , keyCount, key, slot, arg] = held[1].args;
    assert.equal(command, "EVALSHA");
    assert.deepEqual([keyCount, key, arg], ["1", "k", "a"]);
    // Sent at 1,000 with 2,000 ms, 10 ms early, offset 5,000,000.5 - 1,004.
    assert.equal(slot, (1_000 + 2_000 - 10 + 5_000_000.5 - 1_004).toFixed(3));
    held[1].answer.resolve("done");
    assert.equal(await first, "done");
    // A second fenced write within the refresh reads no clock.
    const second = script.run(redis, ["k"], ["b"]);
    await until(() => held.length === 3, "command 3 sent");
    assert.equal(held[2].args[0], "EVALSHA");
    held[2].answer.resolve("again");
    assert.equal(await second, "again");
  });

  it("a script's late refusal is storage unavailable, and the clock is read again", async () => {
    const { commands, held } = heldCommands();
    const redis = new CommandDeadline(2_000).wrap(commands);
    const script = new LuaScript("return 1", FENCED);
    const late = script.run(redis, ["k"], []);
    await until(() => held.length === 1, "command 1 sent");
    held[0].answer.resolve(["5000", "0"]);
    await until(() => held.length === 2, "command 2 sent");
    held[1].answer.reject(new Error("TETHERLATE the write reached Redis past its deadline"));
    await assert.rejects(late, (error) => error instanceof StorageUnavailableError);
    void script.run(redis, ["k"], []).catch(() => {});
    await until(() => held.length === 3, "command 3 sent");
    assert.match(held[2].args[1], /TIME/, "the clock is read again");
  });

  it("a fenced write whose clock reading outlived its deadline is never sent", async () => {
    const { commands, held } = heldCommands();
    const redis = new CommandDeadline(40).wrap(commands);
    const script = new LuaScript("return 1", FENCED);
    await assert.rejects(
      within(script.run(redis, ["k"], []), 1_500, "the deadline"),
      (error) => error instanceof StorageUnavailableError,
    );
    held[0].answer.resolve(["5000", "0"]);
    // The reading settles; the write it waited for is not sent after its caller's 503.
    await new Promise((resolve) => setTimeout(resolve, 0)); // one turn: every promise hop ran
    assert.equal(held.length, 1, "only the clock was read");
  });
});
