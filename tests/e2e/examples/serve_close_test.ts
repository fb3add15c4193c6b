/**
 * `serveHandler`'s `close()` over real HTTP: it closes the handler first,
 * then lets the answers still in progress out before the listener goes
 * (Deno counts them, Bun stops gracefully, Node's adapter waits for them),
 * and an answer that never comes does not hold it for ever.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serveHandler } from "../../../examples/serve.ts";
import { deferred, within } from "../../helpers.ts";

/** Longer than the servers' 2 s grace: a regression fails here instead of hanging the run. */
const DEADLINE_MS = 10_000;

/** A handler whose answers wait until its `close()` is called, as a closing tether answers what it holds. */
function heldUntilClose() {
  const closed = deferred();
  const started = deferred();
  const handler = Object.assign(
    async (_request: Request) => {
      started.resolve();
      await closed.promise;
      return new Response("answered while closing");
    },
    { close: () => Promise.resolve(closed.resolve()) },
  );
  return { handler, started: started.promise };
}

describe("serveHandler close()", () => {
  it("an answer the handler gives while closing still reaches its client", async () => {
    const { handler, started } = heldUntilClose();
    const server = await serveHandler(handler);
    const answer = fetch(`${server.url}/mcp`, { method: "POST", body: "{}" });
    await within(started, DEADLINE_MS, "the request reaching the handler");
    await within(server.close(), DEADLINE_MS, "close()");
    const response = await within(answer, DEADLINE_MS, "the answer");
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "answered while closing");
  });

  it("an answer that never comes does not keep close() from finishing", async () => {
    const started = deferred();
    const server = await serveHandler(() => {
      started.resolve();
      return new Promise<Response>(() => {});
    });
    const answer = fetch(`${server.url}/mcp`, { method: "POST", body: "{}" }).then(
      (response) => response.status,
      () => "connection closed",
    );
    await within(started.promise, DEADLINE_MS, "the request reaching the handler");
    await within(server.close(), DEADLINE_MS, "close()");
    assert.equal(await within(answer, DEADLINE_MS, "the client's outcome"), "connection closed");
  });

  it("with nothing in progress, close() finishes and the port stops answering", async () => {
    const server = await serveHandler(() => Promise.resolve(new Response("ok")));
    const response = await fetch(`${server.url}/mcp`);
    assert.equal(await response.text(), "ok");
    await within(server.close(), DEADLINE_MS, "close()");
    await assert.rejects(fetch(`${server.url}/mcp`));
  });
});
