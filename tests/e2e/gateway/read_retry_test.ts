/**
 * The gateway sends a read once more when the upstream dropped its
 * connection without answering (as a keep-alive connection closed by the
 * upstream just as a request went out on it does), in both eras: a tool
 * listing, a `prompts/get` and a `resources/read` each meet a dropped
 * connection once and are answered. A tool call that meets one is not sent
 * again: it fails, and the tool never ran. The upstream is a tether handler
 * behind a real node:http server that destroys the socket of the first
 * request of each chosen method, before the handler sees it.
 */

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { createMcpHandler, definePrompt, defineResource, defineTool } from "../../../mod.ts";
import { createGateway, type Gateway, httpUpstream } from "../../../src/gateway/mod.ts";
import { connect, type TestClient } from "../../../src/testing/mod.ts";

/** The upstream behind its dropping server. */
interface DroppingUpstream {
  url: string;
  /** The JSON-RPC methods of the POSTs that reached the server, dropped ones included. */
  posted: string[];
  /** How many times the tool ran. */
  runs(): number;
  close(): Promise<void>;
}

function methodOf(body: Buffer): string | undefined {
  try {
    const method = (JSON.parse(body.toString("utf8")) as { method?: unknown }).method;
    return typeof method === "string" ? method : undefined;
  } catch {
    return undefined;
  }
}

/** Serves an upstream; the first POST of each method in `drop` has its connection destroyed. */
async function droppingUpstream(drop: Set<string>): Promise<DroppingUpstream> {
  let runs = 0;
  const handler = createMcpHandler({
    name: "upstream",
    version: "1.0.0",
    tools: [defineTool({
      name: "write",
      description: "Counts its runs",
      handler: () => `run ${++runs}`,
    })],
    prompts: [definePrompt({ name: "greeting", handler: () => "hello" })],
    resources: [defineResource({ uri: "test://note", name: "note", read: () => "a note" })],
  });
  const posted: string[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method === "POST" ? methodOf(body) : undefined;
    if (method !== undefined) posted.push(method);
    if (method !== undefined && drop.delete(method)) {
      req.socket.destroy(); // no answer: the connection is gone
      return;
    }
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    const response = await handler(
      new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
      }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body === null) return void res.end();
    const reader = response.body.getReader();
    res.on("close", () => void reader.cancel().catch(() => {}));
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      res.write(value);
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    posted,
    runs: () => runs,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handler.close({ graceMs: 0 });
    },
  };
}

const ERAS = [
  { upstream: "2025", downstream: "2025" },
  { upstream: "2026-07-28", downstream: "2026" },
] as const;

for (const era of ERAS) {
  describe(`the gateway in front of an upstream in ${era.upstream} that drops a connection`, () => {
    let upstream: DroppingUpstream | undefined;
    let gateway: Gateway | undefined;
    let client: TestClient | undefined;

    afterEach(async () => {
      await client?.close();
      await gateway?.close({ graceMs: 0 });
      await upstream?.close();
      client = gateway = upstream = undefined;
    });

    /** The gateway's handler in front of `upstream`, and a downstream client of `era`. */
    async function start(drop: Set<string>): Promise<TestClient> {
      upstream = await droppingUpstream(drop);
      gateway = await createGateway({
        upstreams: [httpUpstream({ name: "up", url: upstream.url, protocol: era.upstream })],
        graceMs: 0,
      });
      const handler = createMcpHandler({
        name: "gateway",
        version: "1.0.0",
        ...gateway.definitions(),
      });
      gateway.attach(handler);
      client = await connect(handler, { era: era.downstream });
      return client;
    }

    it("a list, a prompts/get and a resources/read are each sent once more, and answered", async () => {
      const reads = ["tools/list", "prompts/get", "resources/read"];
      const downstream = await start(new Set(reads));
      const { tools } = await downstream.listTools();
      assert.deepEqual(tools.map((tool) => tool.name), ["up_write"]);
      const prompt = await downstream.request("prompts/get", { name: "up_greeting" });
      assert.match(JSON.stringify(prompt.result), /hello/);
      const { result } = await downstream.request<{ resources: { uri: string }[] }>(
        "resources/list",
      );
      const read = await downstream.request("resources/read", { uri: result.resources[0].uri });
      assert.match(JSON.stringify(read.result), /a note/);
      for (const method of reads) {
        assert.equal(
          upstream!.posted.filter((posted) => posted === method).length,
          2,
          `${method}: dropped once, then served (${upstream!.posted.join(", ")})`,
        );
      }
    });

    it("a tool call that meets a dropped connection fails and is not sent again", async () => {
      const downstream = await start(new Set(["tools/call"]));
      const failed = await downstream.callTool("up_write").then(
        ({ result }) => JSON.stringify(result),
        (error: Error) => error.message,
      );
      assert.match(failed, /up/, "an answer naming the upstream's failure");
      assert.equal(upstream!.runs(), 0, "the tool never ran");
      assert.equal(upstream!.posted.filter((method) => method === "tools/call").length, 1);
      // Positive control: the next call is served.
      const { result } = await downstream.callTool("up_write");
      assert.match(JSON.stringify(result), /run 1/);
    });
  });
}
