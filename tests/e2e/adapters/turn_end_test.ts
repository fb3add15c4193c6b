import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { setImmediate } from "node:timers";
import { releaseAtTurnEnd } from "../../../src/adapters/turn_end.ts";
import { serve } from "../../../src/adapters/node.ts";
import { until, within } from "../../helpers.ts";

/** A scheduler the test runs by hand: `run()` fires what was scheduled so far. */
function manualScheduler() {
  const queued: (() => void)[] = [];
  return {
    schedule: (callback: () => void) => void queued.push(callback),
    get scheduled() {
      return queued.length;
    },
    run() {
      for (const callback of queued.splice(0)) callback();
    },
  };
}

/** Lets every pending microtask run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("releaseAtTurnEnd", () => {
  it("holds a turn's answers until its end, with one scheduled callback for all of them", async () => {
    const scheduler = manualScheduler();
    const release = releaseAtTurnEnd(scheduler.schedule);
    const released: string[] = [];
    const answers = ["a", "b", "c"].map((value) =>
      release(value).then((got) => void released.push(got))
    );
    await settle();
    assert.deepEqual(released, [], "nothing is released before the turn's end");
    assert.equal(scheduler.scheduled, 1, "one callback serves the whole turn");
    scheduler.run();
    await Promise.all(answers);
    assert.deepEqual(released, ["a", "b", "c"], "released in the order they were made");
  });

  it("schedules again for the answers of a later turn", async () => {
    const scheduler = manualScheduler();
    const release = releaseAtTurnEnd(scheduler.schedule);
    const first = release(1);
    await settle();
    scheduler.run();
    assert.equal(await first, 1);
    let later: number | undefined;
    const second = release(Promise.resolve(2)).then((value) => (later = value));
    await settle();
    assert.equal(later, undefined, "a later turn's answer waits for its own turn's end");
    assert.equal(scheduler.scheduled, 1);
    scheduler.run();
    await second;
    assert.equal(later, 2);
  });

  it("rejects a failed answer at once, without waiting for the turn's end", async () => {
    const scheduler = manualScheduler();
    const release = releaseAtTurnEnd(scheduler.schedule);
    await assert.rejects(release(Promise.reject(new Error("tool broke"))), /tool broke/);
    assert.equal(scheduler.scheduled, 0);
  });

  it("by default releases after the check-phase callbacks queued before it", async () => {
    const order: string[] = [];
    setImmediate(() => order.push("queued earlier"));
    const release = releaseAtTurnEnd();
    order.push(await release("answer"));
    assert.deepEqual(order, ["queued earlier", "answer"]);
  });
});

describe("node adapter, answers of one turn", () => {
  it("a burst of requests answered in one turn each get their own answer, and a throw is a 500", async () => {
    const server = serve(async (request: Request) => {
      const text = await request.text();
      if (text === "throw") throw new Error("handler broke");
      return new Response(`echo:${text}`);
    }, { port: 0 });
    try {
      const url = await server.url;
      const bodies = Array.from({ length: 40 }, (_, i) => `request-${i}`);
      const answers = await Promise.all(
        bodies.map(async (body) => {
          const response = await fetch(url, { method: "POST", body });
          return `${response.status} ${await response.text()}`;
        }),
      );
      assert.deepEqual(answers, bodies.map((body) => `200 echo:${body}`));
      const failed = await fetch(url, { method: "POST", body: "throw" });
      assert.equal(failed.status, 500);
      await failed.body?.cancel();
    } finally {
      await server.close();
    }
  });

  it("close() writes an answer the handler finished while closing before it closes the connections", async () => {
    let called = false;
    let finish!: (response: Response) => void;
    const pending = new Promise<Response>((resolve) => (finish = resolve));
    const handler = Object.assign(
      (_request: Request) => {
        called = true;
        return pending;
      },
      {
        close: () => {
          finish(new Response("finished while closing"));
          return Promise.resolve();
        },
      },
    );
    const server = serve(handler, { port: 0 });
    const url = await server.url;
    const reply = fetch(url, { method: "POST", body: "work" });
    await until(() => called, "the handler to be called");
    await server.close({ graceMs: 1_000 });
    const response = await reply;
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "finished while closing");
  });

  it("close() closes a connection no request came on at once, not when the drain time is over", {
    // Bun's server closes without waiting for its connections: there is no drain to outlast.
    skip: "Bun" in globalThis && "Bun's close() waits for no connection",
  }, async () => {
    let end!: () => void;
    const server = serve(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(": open\n\n"));
              end = () => {
                controller.enqueue(new TextEncoder().encode("data: last\n\n"));
                controller.close();
              };
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
      { port: 0 },
    );
    const port = await server.ready;
    // A connection that sends nothing, as Node's fetch opens one in place of an aborted stream's.
    const unused = connect(port, "127.0.0.1");
    const unusedClosed = new Promise<void>((resolve) => unused.once("close", () => resolve()));
    unused.on("error", () => {});
    await new Promise<void>((resolve) => unused.once("connect", () => resolve()));
    // Accepted after it (in the order they connected): the server holds both when close() starts.
    const response = await fetch(await server.url);
    const reader = response.body!.getReader();
    await reader.read(); // an answer still being written: close() lets it finish
    const closing = server.close();
    await within(unusedClosed, 3_000, "the unused connection to be closed");
    // Closed before the drain time was over: the answer still being written ends whole.
    end();
    const decoder = new TextDecoder();
    let rest = "";
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      rest += decoder.decode(read.value, { stream: true });
    }
    assert.equal(rest, "data: last\n\n");
    await within(closing, 5_000, "close() to return");
  });

  it("close() cuts a stream the handler left open once the drain time is over", async () => {
    const server = serve(
      () =>
        new Response(
          new ReadableStream({
            start: (controller) => controller.enqueue(new TextEncoder().encode(": open\n\n")),
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
      { port: 0 },
    );
    const url = await server.url;
    const response = await fetch(url);
    const reader = response.body!.getReader();
    await reader.read(); // the stream is open and flowing
    await within(server.close(), 5_000, "close() to return with a stream left open");
    // Cut, not left open: the body ends or errors.
    const settled = await within(
      reader.read().then(({ done }) => (done ? "ended" : "more"), () => "cut"),
      3_000,
      "the cut stream's body to end",
    );
    assert.notEqual(settled, "more");
  });
});
