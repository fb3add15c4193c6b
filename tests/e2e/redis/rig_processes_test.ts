/**
 * The Redis rigs' processes never outlive a test file: a rig that started
 * is stopped when another rig of the same file fails to start, and a node
 * left running neither keeps the test process alive nor survives its exit.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { until, within } from "../../helpers.ts";
import { describeRedis, itRedis, startRedis, type TestRedis } from "./redis_server.ts";
import { liveRigProcesses, startRigs } from "../../../scripts/rig_processes.ts";

/** Whether something accepts connections on 127.0.0.1:`port`. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** This runtime's command for running `script`. */
function runtimeCommand(script: string): string[] {
  if ("Deno" in globalThis) return [process.execPath, "run", "-A", script];
  return [process.execPath, script];
}

describeRedis("Redis rig processes", () => {
  itRedis("a rig that started is stopped when another fails to start", async () => {
    const before = liveRigProcesses();
    let started: TestRedis | undefined;
    await assert.rejects(
      startRigs(
        async () => (started = await startRedis()),
        () => Promise.reject(new Error("the Sentinel rig did not start")),
      ),
      /the Sentinel rig did not start/,
    );
    assert.ok(started, "positive control: the first rig started");
    const port = Number(new URL(started.url).port);
    await until(async () => !(await answers(port)), "the started rig's node to stop", 5_000);
    assert.equal(liveRigProcesses(), before, "no rig process left running");
  });

  itRedis("a node left running does not keep the process alive, nor outlive it", async () => {
    const script = fileURLToPath(new URL("./fixtures/rig_left_running.ts", import.meta.url));
    const [command, ...args] = runtimeCommand(script);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout!.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const code = await within(exited, 20_000, "the process to exit by itself");
      assert.equal(code, 0, output);
    } finally {
      child.kill("SIGKILL");
    }
    const port = Number(/port (\d+)/.exec(output)?.[1]);
    assert.ok(port > 0, `positive control: the node started (${output})`);
    await until(async () => !(await answers(port)), "the node to die with the process", 5_000);
  });
});
