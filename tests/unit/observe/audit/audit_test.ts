/**
 * The audit record without sockets: canonical JSON and its keyed digest
 * (an HMAC under the deployment's key, none without one), the redaction
 * helper, every string on one line whatever a client names, the record of a handler driven in process by
 * `@tether/mcp/testing` in both eras (principal without its other claims,
 * bounded strings, outcomes of a validation failure and a tool error, the
 * `input-required` round), nothing built without a listener or a logger
 * provider, and the OpenTelemetry log records a real `LoggerProvider` of
 * `@opentelemetry/sdk-logs` receives (skipped where that SDK is absent).
 */

import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { logs } from "@opentelemetry/api";
import * as z from "zod";
import {
  type AuditRecord,
  createMcpHandler,
  definePrompt,
  defineResource,
  defineTool,
  type McpEvent,
  type McpHandlerOptions,
  redactProperties,
} from "../../../../mod.ts";
import { connect, type ConnectOptions } from "../../../../src/testing/mod.ts";
import { TASKS_EXTENSION_ID, tasksExtension } from "../../../../src/extensions/tasks/mod.ts";
import { UPSTREAM_OF } from "../../../../src/protocol/dispatch/audit.ts";
import {
  canonicalJson,
  importDigestKey,
  keyedDigest,
} from "../../../../src/observe/audit/canonical_json.ts";

/** A token the principal carries among its claims: it must never reach a record. */
const TOKEN = "tok_SECRET_3f9a2c";

/** The deployment's arguments-digest key in these tests (32 bytes or more). */
const DIGEST_KEY = "test-audit-key-0123456789abcdef-0123";

/** What the record's digest of `canonical` must be: HMAC-SHA-256 under `key`, computed here. */
const hmacOf = (canonical: string, key: string = DIGEST_KEY) =>
  `hmac-sha256:${createHmac("sha256", key).update(canonical).digest("hex")}`;

/** The canonical JSON of the arguments the 2025 test sends. */
const KNOWN_CANONICAL = '{"a":"x","b":1,"nested":{"c":[1,{"d":true,"e":null}]}}';

/** The HMAC of {@linkcode KNOWN_CANONICAL} under {@linkcode DIGEST_KEY}. */
const KNOWN_DIGEST = hmacOf(KNOWN_CANONICAL);

/** Characters that end a line somewhere (JSON.stringify keeps U+2028 and U+2029 raw) or are controls. */
const LINE_BREAKS = "\n\r\u2028\u2029\u0085\u000b\u000c\u0000\u001b\u007f";

/** Every line terminator a log reader may split on. */
// deno-lint-ignore no-control-regex -- control characters are what is tested
const LINE_SPLIT = /\r\n|[\n\r\u2028\u2029\u0085\u000b\u000c]/;

/** A control character (C0, DEL, C1) or a line or paragraph separator. */
// deno-lint-ignore no-control-regex -- control characters are what is tested
const UNESCAPED = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/** A handler whose audit records land in `records`. */
function auditedHandler(records: AuditRecord[], options: Partial<McpHandlerOptions> = {}) {
  return createMcpHandler({
    name: "audit",
    version: "1.0.0",
    tools: [
      defineTool({
        name: "echo",
        input: z.object({ a: z.string() }).passthrough(),
        handler: ({ a }) => a,
      }),
      defineTool({
        name: "broken",
        handler: () => ({ content: [{ type: "text", text: "no" }], isError: true }),
      }),
      defineTool({
        name: "ask",
        handler: async (_input, ctx) => {
          const answer = await ctx.elicit({
            message: "Name?",
            schema: { type: "object", properties: { name: { type: "string" } } },
          });
          return answer.action;
        },
      }),
    ],
    auth: {
      authenticate: (request) =>
        request.headers.get("authorization") === `Bearer ${TOKEN}`
          ? { id: "alice", issuer: "https://issuer.example", token: TOKEN, scopes: ["read"] }
          : undefined,
    },
    ...options,
    observe: {
      onError: () => {},
      onEvent: (event: McpEvent) => {
        if (event.type === "audit") records.push(event);
      },
      ...options.observe,
      audit: { digestKey: DIGEST_KEY, ...options.observe?.audit },
    },
  });
}

/** An audited handler and a client of it as alice (her token), in `era`. */
async function audited(
  records: AuditRecord[],
  options: Partial<McpHandlerOptions> = {},
  connectOptions: Partial<ConnectOptions> = {},
) {
  const handler = auditedHandler(records, options);
  const client = await connect(handler, {
    era: "2025",
    headers: { authorization: `Bearer ${TOKEN}` },
    ...connectOptions,
  });
  return {
    client,
    async close() {
      await client.close();
      await handler.close();
    },
  };
}

/** Waits (bounded) until `records` holds `count` records. */
async function recorded(records: AuditRecord[], count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (records.length < count) {
    if (Date.now() > deadline) throw new Error(`${records.length} audit records, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("canonical JSON and its digest", () => {
  it("sorts keys at every depth, so key order changes nothing", async () => {
    const one = { b: 1, a: "x", nested: { c: [1, { e: null, d: true }] } };
    const two = { nested: { c: [1, { d: true, e: null }] }, a: "x", b: 1 };
    assert.equal(canonicalJson(one), '{"a":"x","b":1,"nested":{"c":[1,{"d":true,"e":null}]}}');
    assert.equal(canonicalJson(two), canonicalJson(one));
    const key = await importDigestKey(DIGEST_KEY);
    assert.equal(await keyedDigest(key, one), KNOWN_DIGEST);
    assert.equal(await keyedDigest(key, two), KNOWN_DIGEST);
  });

  it("refuses a digest key shorter than 32 bytes, at createMcpHandler", () => {
    assert.throws(
      () => auditedHandler([], { observe: { audit: { digestKey: "x".repeat(31) } } }),
      /observe\.audit\.digestKey must be a string or bytes of at least 32 bytes/,
    );
    assert.throws(() => importDigestKey(new Uint8Array(16)), TypeError);
  });

  it("redactProperties hides named properties at any depth, any case", () => {
    const redact = redactProperties(["password", "apiKey"]);
    assert.deepEqual(redact({ user: "a", Password: "p", deep: [{ APIKEY: "k", n: 1 }] }), {
      user: "a",
      Password: "[redacted]",
      deep: [{ APIKEY: "[redacted]", n: 1 }],
    });
  });
});

describe("the audit record of a handler", () => {
  it("records a 2025 call: principal, session, digest, outcome; never the token", async () => {
    const records: AuditRecord[] = [];
    const { client, close } = await audited(records);
    await client.callTool("echo", { nested: { c: [1, { e: null, d: true }] }, b: 1, a: "x" });
    await recorded(records, 1);
    const [record] = records;
    assert.equal(record.method, "tools/call");
    assert.equal(record.entry, "echo");
    assert.deepEqual(record.principal, { subject: "alice", issuer: "https://issuer.example" });
    assert.equal(record.sessionId, client.sessionId);
    assert.equal(record.outcome, "ok");
    assert.equal(record.argumentsDigest, KNOWN_DIGEST);
    assert.equal(record.arguments, undefined);
    assert.equal(record.upstream, undefined);
    assert.ok(record.durationMs >= 0);
    assert.ok(!Number.isNaN(Date.parse(record.time)));
    assert.ok(!JSON.stringify(records).includes(TOKEN), "no token in the record");
    await close();
  });

  it("a 6-digit PIN's digest is an HMAC under the key: no unkeyed hash finds it", async () => {
    const records: AuditRecord[] = [];
    const { client, close } = await audited(records);
    await client.callTool("echo", { a: "x", pin: "042917" });
    await recorded(records, 1);
    const canonical = '{"a":"x","pin":"042917"}';
    const digest = records[0].argumentsDigest!;
    assert.equal(digest, hmacOf(canonical), "the HMAC under the deployment's key");
    const unkeyed = createHash("sha256").update(canonical).digest("hex");
    assert.ok(!digest.includes(unkeyed), "not the SHA-256 anyone can recompute");
    assert.notEqual(digest, hmacOf(canonical, "another-deployment-key-0123456789ab"));
    assert.ok(!JSON.stringify(records).includes("042917"), "the PIN itself is not recorded");
    await close();
  });

  it("records no digest without a key", async () => {
    const records: AuditRecord[] = [];
    const handler = createMcpHandler({
      name: "unkeyed",
      version: "1.0.0",
      tools: [defineTool({ name: "echo", handler: () => "ok" })],
      observe: { onEvent: (event) => void (event.type === "audit" && records.push(event)) },
    });
    const client = await connect(handler, { era: "2025" });
    await client.callTool("echo", { pin: "042917" });
    await recorded(records, 1);
    assert.equal(records[0].argumentsDigest, undefined);
    assert.equal(records[0].arguments, undefined);
    await client.close();
    await handler.close();
  });

  it("keeps each record on one line whatever the names: tool, prompt, URI, principal", async () => {
    const records: AuditRecord[] = [];
    const forged = `x${LINE_BREAKS}2026-11-28 tools/call admin: ok`;
    const { client, close } = await audited(records, {
      prompts: [definePrompt({ name: "greet", handler: () => "said" })],
      resources: [defineResource({ uri: "memo://one", name: "one", read: () => "held" })],
      auth: { authenticate: () => ({ id: `alice${forged}`, issuer: `https://i${forged}` }) },
    });
    // Names the client chose (unknown here: a server's own names are checked when defined).
    await client.callTool(`tool${forged}`).catch(() => {});
    await client.request("prompts/get", { name: `prompt${forged}` }).catch(() => {});
    await client.request("resources/read", { uri: `memo://one${forged}` }).catch(() => {});
    await client.callTool("echo", { a: "x" });
    await recorded(records, 4);
    assert.deepEqual(records.map((record) => record.method), [
      "tools/call",
      "prompts/get",
      "resources/read",
      "tools/call",
    ]);
    // The audit log as a listener writes it: one JSON line per record.
    const log = records.map((record) => JSON.stringify(record)).join("\n");
    assert.equal(log.split(LINE_SPLIT).length, records.length, log);
    for (const record of records) {
      const strings = [
        record.entry,
        record.principal.subject,
        record.principal.issuer,
        record.error?.message ?? "",
      ];
      for (const text of strings) {
        assert.doesNotMatch(String(text), UNESCAPED, text);
      }
    }
    const escaped = "x\\n\\r\\u2028\\u2029\\u0085\\u000b\\u000c\\u0000\\u001b\\u007f";
    assert.equal(records[0].entry, `tool${escaped}2026-11-28 tools/call admin: ok`);
    assert.equal(records[0].principal.subject, `alice${escaped}2026-11-28 tools/call admin: ok`);
    await close();
  });

  it("names the upstream of a tool a view renamed, in both eras", async () => {
    // A definition marked as a gateway's upstream entry, shown to alice as "lookup".
    const marked = Object.assign(
      defineTool({ name: "gh_search", handler: () => "found" }),
      { [UPSTREAM_OF]: "github" },
    );
    for (const era of ["2025", "2026"] as const) {
      const records: AuditRecord[] = [];
      const { client, close } = await audited(records, {
        tools: [marked],
        view: () => ({ verdict: () => "allow", override: () => ({ name: "lookup" }) }),
      }, { era });
      await client.callTool("lookup", {});
      await recorded(records, 1);
      assert.equal(records[0].entry, "lookup", era);
      assert.equal(records[0].upstream, "github", `${era}: looked up by the registry's name`);
      await close();
    }
  });

  it("records failed validation: malformed params as error, bad arguments as tool-error", async () => {
    const records: AuditRecord[] = [];
    const { client, close } = await audited(records);
    await assert.rejects(client.request("tools/call", { name: "echo", arguments: "x" }));
    await recorded(records, 1);
    // Arguments that fail the input schema are a tool result with isError (SEP-1303).
    const invalid = await client.callTool("echo", { a: 42 });
    assert.equal(invalid.result.isError, true);
    await client.callTool("broken");
    await recorded(records, 3);
    assert.equal(records[0].outcome, "error");
    assert.equal(records[0].error?.code, -32602);
    assert.equal(records[0].error?.message, "tools/call arguments must be an object");
    assert.equal(records[1].outcome, "tool-error");
    assert.equal(records[2].entry, "broken");
    assert.equal(records[2].outcome, "tool-error");
    await close();
  });

  it("records a 2026-07-28 call without a session, and its input_required round", async () => {
    const records: AuditRecord[] = [];
    const { client, close } = await audited(records, {}, {
      era: "2026",
      handlers: { elicitation: () => ({ action: "accept", content: { name: "Ada" } }) },
    });
    await client.callTool("echo", { a: "x" });
    await client.callTool("ask");
    await recorded(records, 3);
    const echo = records.find((record) => record.entry === "echo")!;
    assert.equal(echo.sessionId, null);
    assert.equal(echo.protocolVersion, "2026-07-28");
    assert.equal(echo.outcome, "ok");
    const asks = records.filter((record) => record.entry === "ask").map((r) => r.outcome);
    assert.deepEqual(asks, ["input-required", "ok"]);
    await close();
  });

  it("bounds every string: a long name to 256 bytes, redacted arguments to 4 KiB", async () => {
    const records: AuditRecord[] = [];
    const { client, close } = await audited(records, {
      observe: { audit: { redact: redactProperties(["password"]) } },
    });
    await assert.rejects(client.callTool("é".repeat(5_000)));
    await client.callTool("echo", { a: "y".repeat(10_000), password: "hunter2" });
    await recorded(records, 2);
    const [unknown, long] = records;
    assert.equal(unknown.outcome, "error");
    assert.ok(utf8Bytes(unknown.entry) <= 256 && unknown.entry.length > 0, unknown.entry);
    assert.ok(utf8Bytes(unknown.error!.message) <= 256);
    assert.equal(long.argumentsDigest, undefined, "redacted arguments replace the digest");
    assert.ok(utf8Bytes(long.arguments!) <= 4096);
    assert.equal(long.argumentsTruncated, true);
    assert.ok(!long.arguments!.includes("hunter2"));
    await close();
  });

  it("records redacted arguments as canonical JSON", async () => {
    const records: AuditRecord[] = [];
    const { client, close } = await audited(records, {
      observe: { audit: { redact: redactProperties(["password"]) } },
    });
    await client.callTool("echo", { password: "hunter2", a: "x" });
    await recorded(records, 1);
    assert.equal(records[0].arguments, '{"a":"x","password":"[redacted]"}');
    assert.equal(records[0].argumentsTruncated, undefined);
    await close();
  });

  it("records redacted arguments on one line, as the same JSON", async () => {
    const records: AuditRecord[] = [];
    const { client, close } = await audited(records, {
      observe: { audit: { redact: redactProperties(["password"]) } },
    });
    await client.callTool("echo", { a: `x${LINE_BREAKS}y`, password: "hunter2" });
    await recorded(records, 1);
    const text = records[0].arguments!;
    assert.equal(text.split(LINE_SPLIT).length, 1, text);
    assert.doesNotMatch(text, UNESCAPED);
    assert.deepEqual(JSON.parse(text), { a: `x${LINE_BREAKS}y`, password: "[redacted]" });
    await close();
  });

  it("records a call run as a task once, when the task is created (2026-07-28)", async () => {
    const records: AuditRecord[] = [];
    const { client, close } = await audited(records, {
      tools: [defineTool({ name: "crunch", task: "optional", handler: () => "crunched" })],
      extensions: [tasksExtension()],
    }, { era: "2026", capabilities: { extensions: { [TASKS_EXTENSION_ID]: {} } } });
    const { result } = await client.request("tools/call", { name: "crunch", task: {} });
    assert.equal(result.resultType, "task");
    await recorded(records, 1);
    assert.equal(records[0].outcome, "task");
    assert.equal(records[0].taskId, result.taskId);
    await client.request("tasks/get", { taskId: result.taskId });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(records.length, 1, "no record for tasks/get");
    await close();
  });

  it("builds no record without a listener or a logger provider", async () => {
    let redactions = 0;
    const handler = createMcpHandler({
      name: "quiet",
      version: "1.0.0",
      tools: [defineTool({ name: "echo", handler: () => "ok" })],
      observe: { audit: { redact: () => void redactions++ } },
    });
    const client = await connect(handler, { era: "2025" });
    await client.callTool("echo", { a: 1 });
    assert.equal(redactions, 0);
    await client.close();
    await handler.close();
  });
});

/** `@opentelemetry/sdk-logs`, where it is installed (it is not a dependency of tether). */
const sdkLogs = await import("@opentelemetry/sdk-logs").catch(() => undefined);

describe("audit records as OpenTelemetry log records", { skip: sdkLogs === undefined }, () => {
  const exporter = sdkLogs === undefined ? undefined : new sdkLogs.InMemoryLogRecordExporter();
  before(() => {
    const provider = new sdkLogs!.LoggerProvider({
      processors: [new sdkLogs!.SimpleLogRecordProcessor({ exporter: exporter! })],
    });
    assert.ok(logs.setGlobalLoggerProvider(provider));
  });
  after(() => logs.disable());

  it("a registered LoggerProvider receives one log record per call, without a listener", async () => {
    const handler = createMcpHandler({
      name: "logged",
      version: "1.0.0",
      tools: [defineTool({ name: "echo", handler: () => "ok" })],
      auth: { authenticate: () => ({ id: "bob", token: TOKEN }) },
      observe: { onError: () => {}, audit: { digestKey: DIGEST_KEY } },
    });
    const client = await connect(handler, { era: "2025", headers: { authorization: TOKEN } });
    await client.callTool("echo", { a: "x" });
    const deadline = Date.now() + 5_000;
    while (exporter!.getFinishedLogRecords().length === 0) {
      if (Date.now() > deadline) throw new Error("no log record");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [log] = exporter!.getFinishedLogRecords();
    assert.equal(log.eventName, "mcp.server.audit");
    assert.equal(log.instrumentationScope.name, "@tether/mcp");
    assert.equal(log.attributes["mcp.method.name"], "tools/call");
    assert.equal(log.attributes["mcp.audit.entry"], "echo");
    assert.equal(log.attributes["mcp.audit.outcome"], "ok");
    assert.equal(log.attributes["mcp.audit.principal.subject"], "bob");
    assert.equal(log.attributes["mcp.session.id"], client.sessionId);
    assert.equal(log.attributes["mcp.audit.arguments.digest"], hmacOf('{"a":"x"}'));
    assert.ok(!JSON.stringify(log.attributes).includes(TOKEN));
    await client.close();
    await handler.close();
  });

  it("a name with line breaks gives one log body line and one-line attributes", async () => {
    exporter!.reset();
    const forged = `echo${LINE_BREAKS}tools/call admin: ok`;
    const handler = createMcpHandler({
      name: "logged",
      version: "1.0.0",
      tools: [defineTool({ name: "echo", handler: () => "ok" })],
      auth: { authenticate: () => ({ id: `bob${LINE_BREAKS}` }) },
      observe: { onError: () => {} },
    });
    const client = await connect(handler, { era: "2025", headers: { authorization: TOKEN } });
    await client.callTool(forged).catch(() => {});
    await client.callTool("echo");
    const deadline = Date.now() + 5_000;
    while (exporter!.getFinishedLogRecords().length < 2) {
      if (Date.now() > deadline) throw new Error("no log records");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const logged = exporter!.getFinishedLogRecords();
    const bodies = logged.map((log) => String(log.body)).join("\n");
    assert.equal(bodies.split(LINE_SPLIT).length, 2, bodies);
    assert.match(String(logged[0].body), /^tools\/call echo\\n\\r\\u2028.*admin: ok: error$/);
    for (const log of logged) {
      for (const value of Object.values(log.attributes)) {
        assert.doesNotMatch(String(value), UNESCAPED);
      }
    }
    await client.close();
    await handler.close();
  });
});
