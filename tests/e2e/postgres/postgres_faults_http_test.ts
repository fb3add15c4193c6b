/**
 * Faults of Postgres seen by clients over real HTTP (loopback, raw fetch and the official SDK
 * client): a statement past its deadline and an exhausted pool answer `503` + `Retry-After`
 * within the deadline, and a Postgres stopped and started again under traffic on two instances
 * gives `503`s, never a hang nor another answer (each one is told apart: a success, the
 * documented refusal, or the tool's own error when its state write failed as it ran), then the
 * same instances serve again, the sessions and SDK clients made before included. Real
 * PostgreSQL 15.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import postgres from "postgres";
import { serveHandler } from "../../../examples/serve.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
  type PostgresBackendOptions,
} from "../../../src/postgres/postgres_backend.ts";
import { migratePostgres } from "../../../src/postgres/mod.ts";
// @ts-types="../../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { readAnswer, until, within } from "../../helpers.ts";
import { connectClient, rawInitialize, rawPost } from "../interop/helpers.ts";
import { handlerOn } from "./postgres_flows.ts";
import { itPostgres, postgresSkip, startPostgres, type TestPostgres } from "./postgres_server.ts";

let server: TestPostgres | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
before(async () => {
  if (postgresSkip !== false) return;
  server = await startPostgres();
  await migratePostgres(server.url);
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server?.stop();
});

/** An instance served over HTTP on loopback: its `/mcp` URL. */
async function instance(namespace: string, options: PostgresBackendOptions): Promise<string> {
  const backend: PostgresBackend = await createPostgresBackend({ url: server!.url }, {
    namespace,
    onError: () => {},
    ...options,
  });
  const handler = handlerOn(backend, {
    limits: {
      rateLimits: {
        perPrincipal: { limit: 100_000, windowSeconds: 3_600 },
        store: backend.rateLimitStore,
      },
    },
  });
  const running = await serveHandler(handler, 0);
  cleanups.push(() => backend.close(), () => handler.close(), () => running.close());
  return `${running.url}/mcp`;
}

const call = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "increment", arguments: {} },
});

/** Holds an exclusive lock on `table` until the returned release is called. */
async function lockTable(table: string): Promise<() => Promise<void>> {
  const locker = postgres(server!.url, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let locked!: () => void;
  const holding = new Promise<void>((resolve) => locked = resolve);
  const transaction = locker.begin(async (tx) => {
    await tx.unsafe(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    locked();
    await released;
  });
  await holding;
  return async () => {
    release();
    await transaction;
    await locker.end({ timeout: 1 });
  };
}

/**
 * The documented refusal of a storage outage (docs/postgres.md): `503`, `Retry-After: 1` and a
 * JSON-RPC error `-32603` "Service Unavailable: …" for request `id` (or `null`: the session could
 * not be read). Anything else fails.
 */
async function assertRefused(response: Response, what: string, id: number): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, 503, `${what}: ${text}`);
  assert.equal(response.headers.get("retry-after"), "1", `${what}: Retry-After`);
  assertRefusalBody(JSON.parse(text), what, id);
}

/** The JSON-RPC body of {@linkcode assertRefused}; any request id when `id` is not known. */
// deno-lint-ignore no-explicit-any
function assertRefusalBody(body: any, what: string, id?: number): void {
  const shown = `${what}: ${JSON.stringify(body)}`;
  assert.equal(body.jsonrpc, "2.0", shown);
  assert.ok(body.id === null || (id === undefined ? body.id !== undefined : body.id === id), shown);
  assert.equal(body.error?.code, -32603, shown);
  assert.match(body.error.message, /^Service Unavailable: /, shown);
}

/** The one error of `increment`'s own: its state write failed once it ran (an `isError` result). */
const TOOL_STORAGE_ERROR = [{ type: "text", text: "Postgres is unavailable (session store)" }];

/**
 * What the answer to `call(id)` is, JSON or a stream: `served` (the tool's count), `refused`
 * (see {@linkcode assertRefused}), or `tool error` (Postgres went away while `increment` ran: its
 * `ctx.session` write failed, which a tool answers as its result, `isError`). Anything else, a
 * JSON-RPC error in a `200` (a `-32603` "Service Unavailable" too) or another status, fails.
 */
async function outcomeOf(
  response: Response,
  id: number,
): Promise<"served" | "refused" | "tool error"> {
  if (response.status === 503) {
    await assertRefused(response, `call ${id}`, id);
    return "refused";
  }
  const { status, message } = await readAnswer(response);
  const shown = `call ${id}: ${status} ${JSON.stringify(message)}`;
  assert.equal(status, 200, shown);
  assert.equal(message?.id, id, shown);
  assert.ok(message.result !== undefined, `a result, not an error: ${shown}`);
  if (message.result.isError === true) {
    assert.deepEqual(message.result.content, TOOL_STORAGE_ERROR, shown);
    return "tool error";
  }
  assert.match(message.result.content?.[0]?.text ?? "", /^\d+$/, shown);
  return "served";
}

/**
 * The SDK client's error for a refusal: the transport's `503` carrying the documented JSON-RPC
 * body (the SDK shows no headers; the raw requests check `Retry-After`).
 */
function isSdkRefusal(error: unknown): boolean {
  if (!(error instanceof StreamableHTTPError) || error.code !== 503) return false;
  const body = /Error POSTing to endpoint: (.*)$/s.exec(error.message)?.[1];
  assert.ok(body !== undefined, `the refusal's body: ${error.message}`);
  assertRefusalBody(JSON.parse(body), "the SDK client's refusal");
  return true;
}

itPostgres(
  "a statement past its deadline and an exhausted pool: 503 + Retry-After over HTTP, no hang",
  async () => {
    const url = await instance("http-deadline", { poolSize: 1, statementTimeoutMs: 500 });
    const headers = { "x-user": "alice" };
    const session = await rawInitialize(url, { headers });
    const release = await lockTable("tether_rate_limits");
    try {
      // The first request's statement waits on the lock holding the pool's only connection;
      // the others wait for that connection.
      const answers = await within(
        Promise.all([1, 2, 3, 4].map((id) => rawPost(url, session, call(id), { headers }))),
        10_000,
        "every request to be answered by the deadline, not to hang",
      );
      for (const [index, answer] of answers.entries()) {
        await assertRefused(answer, `request ${index + 1}`, index + 1);
      }
    } finally {
      await release();
    }
    // The cancelled statement gave the connection back: served at once.
    const served = await rawPost(url, session, call(5), { headers });
    assert.equal(served.status, 200, await served.clone().text());
    assert.match(await served.text(), /"text":"1"/);
  },
);

itPostgres(
  "Postgres restarted under traffic on two instances: 503s, then the same instances serve again",
  async () => {
    const options = { statementTimeoutMs: 1_000, connectTimeoutMs: 1_000 };
    const urls = [await instance("http-restart", options), await instance("http-restart", options)];
    const headers = { "x-user": "bob" };
    const sessions = await Promise.all(urls.map((url) => rawInitialize(url, { headers })));
    const sdk = await connectClient(urls[0], { token: "carol" });
    cleanups.push(() => sdk.close());
    const first = await sdk.client.callTool({ name: "increment", arguments: {} });
    assert.deepEqual(first.content, [{ type: "text", text: "1" }]);

    // Every answer is told apart: only a success counts as served; a refusal must be the
    // documented one, and nothing else is let through (outcomeOf).
    const outcomes = new Map<string, number>();
    const counted = (outcome: string) => outcomes.get(outcome) ?? 0;
    let slowest = 0;
    let stop = false;
    let id = 100;
    const loop = async (lane: number) => {
      while (!stop) {
        const started = Date.now();
        const url = urls[lane % 2];
        const sent = id++;
        const response = await rawPost(url, sessions[lane % 2], call(sent), { headers });
        const outcome = await outcomeOf(response, sent);
        slowest = Math.max(slowest, Date.now() - started);
        outcomes.set(outcome, counted(outcome) + 1);
        if (outcome !== "served") await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const lanes = Promise.all([0, 1, 2, 3].map(loop));
    try {
      await until(() => counted("served") >= 8, "traffic before the restart", 10_000, 20);
      await server!.halt("fast");
      await until(() => counted("refused") >= 8, "refusals while stopped", 10_000, 20);
      await assert.rejects(
        within(sdk.client.callTool({ name: "increment", arguments: {} }), 10_000, "no hang"),
        isSdkRefusal,
        "the SDK client is refused 503 while Postgres is down",
      );
      const servedBefore = counted("served");
      await server!.restart();
      await until(
        () => counted("served") >= servedBefore + 8,
        "traffic served again after the restart",
        20_000,
        20,
      );
    } finally {
      stop = true;
      await within(lanes, 10_000, "the traffic to stop");
    }
    assert.ok(slowest < 10_000, `no request hung (slowest ${slowest} ms)`);
    // The SDK client connected before the restart goes on with its session and its state. A pool
    // connection still reconnecting may refuse one more request 503 + Retry-After (the documented
    // answer, before the tool runs), which a client retries; nothing else is let through.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const again = await sdk.client.callTool({ name: "increment", arguments: {} });
        assert.deepEqual(again.content, [{ type: "text", text: "2" }]);
        break;
      } catch (error) {
        if (!isSdkRefusal(error) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  },
);
