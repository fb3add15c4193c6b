/**
 * `serveHandler`'s `close()` over real HTTP: it closes the handler first,
 * then lets the answers still in progress out before the listener goes
 * (Deno counts them, Bun stops gracefully, Node's adapter waits for them),
 * and an answer that never comes does not hold it for ever.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serveHandler } from "../../examples/serve.ts";

/** A handler whose answers wait until its `close()` is called, as a closing tether answers what it holds. */
function heldUntilClose() {
  let release!: () => void;
  const closed = new Promise<void>((resolve) => (release = resolve));
  let arrived!: () => void;
  const started = new Promise<void>((resolve) => (arrived = resolve));
  const handler = Object.assign(
    async (_request: Request) => {
      arrived();
      await closed;
      return new Response("answered while closing");
    },
    { close: () => Promise.resolve(release()) },
  );
  return { handler, started };
}

describe("serveHandler close()", () => {
  it("an answer the handler gives while closing still reaches its client", async () => {
    const { handler, started } = heldUntilClose();
    const server = await serveHandler(handler);
    const answer = fetch(`${server.url}/mcp`, { method: "POST", body: "{}" });
    await started;
    await server.close();
    const response = await answer;
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "answered while closing");
  });

  it("an answer that never comes does not keep close() from finishing", async () => {
    let arrived!: () => void;
    const started = new Promise<void>((resolve) => (arrived = resolve));
    const server = await serveHandler(() => {
      arrived();
      return new Promise<Response>(() => {});
    });
    const answer = fetch(`${server.url}/mcp`, { method: "POST", body: "{}" }).then(
      (response) => response.status,
      () => "connection closed",
    );
    await started;
    await server.close();
    assert.equal(await answer, "connection closed");
  });

  it("with nothing in progress, close() finishes and the port stops answering", async () => {
    const server = await serveHandler(() => Promise.resolve(new Response("ok")));
    const response = await fetch(`${server.url}/mcp`);
    assert.equal(await response.text(), "ok");
    await server.close();
    await assert.rejects(fetch(`${server.url}/mcp`));
  });
});
