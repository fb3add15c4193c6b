/**
 * The "everything" server: the fixture the official MCP conformance suite
 * (`@modelcontextprotocol/conformance`) expects — every `test_*` tool,
 * resource, template and prompt it calls — plus three extra tools: `whoami`
 * (the caller's principal id), `increment` (a session-scoped counter) and
 * `slow` (progress and cancellation), the tasks extension with the tools
 * its scenarios call (examples/everything_tasks.ts), and the skills extension
 * with the skills its scenarios read (examples/everything_skills.ts).
 *
 * Runs unchanged on Deno, Bun and Node:
 *   deno run -A examples/everything.ts
 *   bun examples/everything.ts
 *   node examples/everything.ts          (Node 22.18 or later; npm: node_modules/node24/bin/node)
 * Environment: PORT (default 8787; 0 picks a free port), SESSION_IDLE_MS, SESSION_MAX,
 * BODY_TIMEOUT_MS (how long a POST body may take to arrive; default 30,000),
 * RATE_LIMIT_PER_MINUTE (a token bucket per client address header
 * `x-forwarded-for`, or one shared bucket; off by default), REQUIRE_HEADER (a
 * header every request must carry; off), MAX_CONCURRENT_REQUESTS (off) and
 * MAX_CONCURRENT_REQUESTS_PER_PRINCIPAL (a quarter of it). The session
 * shares: MAX_SESSIONS_PER_PRINCIPAL (a quarter of SESSION_MAX) and
 * MAX_ANONYMOUS_SESSIONS (a sixteenth of it, the library's default: the
 * fixture authenticates, so anonymous callers are one principal among others).
 * RATE_LIMIT_PER_PRINCIPAL (requests per minute per principal, after
 * authentication: the `rateLimits` option; off; in Redis with REDIS_URL, in
 * Postgres with POSTGRES_URL).
 * CORS_ORIGINS (comma-separated origins, e.g. `http://localhost:5173`) lets
 * pages on those origins call from a browser (the `cors` option; off).
 * REDIS_URL (e.g. redis://127.0.0.1:6379) shares sessions, streams, the bus and tasks
 * through Redis, so several copies on different PORTs serve one client (or a
 * Redis Cluster: REDIS_CLUSTER_NODES=host:port,host:port,...; or Sentinel:
 * REDIS_SENTINELS=host:port,... with REDIS_SENTINEL_MASTER=<name>); give
 * them one MCP_STATE_KEY (32+ characters) so 2026-07-28 request states open
 * on every copy. REDIS_PREFIX (default `tether:`) separates deployments on one
 * Redis; INSTANCE_TIMEOUT_MS (default 6,000) is how soon a killed copy's
 * unfinished calls are answered with an error by the others;
 * SESSION_EXPIRY_GRACE_MS (default 60,000) how long a session's keys stay
 * past its deadline, and BUS_ALIVE_MS (default 15,000) how long a killed
 * copy still counts as alive on the bus (its streams' followers end with an
 * error by the sooner of INSTANCE_TIMEOUT_MS and BUS_ALIVE_MS).
 * POSTGRES_URL (e.g. postgres://app@127.0.0.1:5432/app; instead of Redis:
 * giving both is refused) shares sessions, streams, the bus, tasks and rate
 * limits through Postgres (@tether/mcp/postgres; docs/postgres.md): the
 * fixture runs the migration
 * at start (safe from several copies at once), POSTGRES_NAMESPACE (default
 * `tether`) separates deployments on one database, POSTGRES_LISTEN_URL is the
 * direct URL of the listening connection when POSTGRES_URL is a PgBouncer in
 * transaction mode, and SESSION_EXPIRY_GRACE_MS applies as with Redis.
 * OAUTH_ISSUER (an issuer URL, or several separated by commas) makes the
 * fixture an OAuth 2.1 protected resource trusting those issuers' JWT access
 * tokens (each its own keys, from its own metadata; a caller is the pair
 * issuer and subject): every request needs one, `whoami` answers its `sub`, and the
 * extra tool `admin_report` needs the scope `mcp:admin`. OAUTH_RESOURCE is
 * the resource URI tokens must name (default `http://127.0.0.1:$PORT/mcp`,
 * the port it listens on). OAUTH_DPOP (`allowed` or `required`) turns on
 * DPoP (RFC 9449): DPoP-bound tokens need a proof on every request, and
 * with `required` bearer tokens are refused; with a shared store (Redis or
 * Postgres) used proofs are held there, so each is accepted once across
 * instances. Without OAUTH_ISSUER the demo
 * bearer auth below stays (no OAuth, no admin_report).
 * OTEL_EXPORTER_OTLP_ENDPOINT exports traces and metrics over OTLP/HTTP JSON
 * (see examples/otel.ts: the per-signal OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and
 * OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, OTEL_SERVICE_NAME,
 * OTEL_BSP_SCHEDULE_DELAY, OTEL_METRIC_EXPORT_INTERVAL and
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json are honoured).
 * Listens on 127.0.0.1; the MCP endpoint is /mcp. scripts/conformance.sh runs
 * the conformance suite against it on every runtime.
 *
 * Import {@linkcode createEverythingHandler} to get the handler without
 * starting a server; the listener starts only when this file is the entry point.
 */

import * as z from "zod";
import {
  AuthenticationError,
  type AuthOptions,
  createMcpHandler,
  definePrompt,
  defineResource,
  defineResourceTemplate,
  defineTool,
  type LimitOptions,
  type McpHandler,
  type McpHandlerOptions,
  type Principal,
  type SecurityOptions,
  type StreamOptions,
  tokenBucket,
} from "../mod.ts";
import type { ElicitResult } from "../src/types/mod.ts";
import type { DpopReplayStore, RateLimitStore } from "../src/storage/mod.ts";
import type { TaskStore } from "../src/extensions/tasks/mod.ts";
import type { RedisSource } from "../src/redis/mod.ts";
import { anyVerifier, jwtVerifier } from "../src/oauth/mod.ts";
import { peerAddress } from "./peer_address.ts";
import { fixtureTasks, taskTools } from "./everything_tasks.ts";
import { fixtureSkills } from "./everything_skills.ts";

/** The environment variables the fixture reads. */
export type EverythingEnv = Record<string, string | undefined>;

const processLike = (globalThis as { process?: { env: EverythingEnv; argv: string[] } }).process;

// ---------------------------------------------------------------------------
// Payloads: a 1x1 red PNG and a short silent WAV, base64-encoded.

const PNG_1X1_RED =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** A mono 16-bit PCM WAV file of `samples` samples of silence at 8 kHz. */
function silentWav(samples = 8): Uint8Array {
  const rate = 8000;
  const dataBytes = samples * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // channels
  view.setUint32(24, rate, true); // sample rate
  view.setUint32(28, rate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  return bytes;
}

const WAV_SILENCE = toBase64(silentWav());

const image = () => ({ type: "image" as const, data: PNG_1X1_RED, mimeType: "image/png" });

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** "action=accept, content={...}" for an elicitation answer. */
function describeAnswer(result: ElicitResult): string {
  return `action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;
}

// ---------------------------------------------------------------------------
// Tools

/** The SEP-1613 / SEP-2106 schema, advertised verbatim (raw JSON Schema, not zod). */
const JSON_SCHEMA_2020_12 = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: {
    address: {
      $anchor: "addressDef",
      type: "object",
      properties: { street: { type: "string" }, city: { type: "string" } },
    },
  },
  properties: {
    name: { type: "string" },
    address: { $ref: "#/$defs/address" },
    contactMethod: { type: "string", enum: ["phone", "email"] },
    phone: { type: "string" },
    email: { type: "string" },
  },
  allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
  if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
  then: { required: ["phone"] },
  else: { required: ["email"] },
  additionalProperties: false,
};

const tools = [
  defineTool({
    name: "test_simple_text",
    description: "Returns a simple text response",
    handler: () => "This is a simple text response for testing.",
  }),
  defineTool({
    name: "test_image_content",
    description: "Returns an image (1x1 PNG)",
    handler: () => ({ content: [image()] }),
  }),
  defineTool({
    name: "test_audio_content",
    description: "Returns audio (a short silent WAV)",
    handler: () => ({ content: [{ type: "audio", data: WAV_SILENCE, mimeType: "audio/wav" }] }),
  }),
  defineTool({
    name: "test_embedded_resource",
    description: "Returns an embedded text resource",
    handler: () => ({
      content: [{
        type: "resource",
        resource: {
          uri: "test://embedded-resource",
          mimeType: "text/plain",
          text: "This is an embedded resource content.",
        },
      }],
    }),
  }),
  defineTool({
    name: "test_multiple_content_types",
    description: "Returns text, an image and an embedded resource",
    handler: () => ({
      content: [
        { type: "text", text: "Multiple content types test:" },
        image(),
        {
          type: "resource",
          resource: {
            uri: "test://mixed-content-resource",
            mimeType: "application/json",
            text: JSON.stringify({ test: "data", value: 123 }),
          },
        },
      ],
    }),
  }),
  defineTool({
    name: "test_tool_with_logging",
    description: "Sends three info log notifications while it runs",
    handler: async (_input, ctx) => {
      await ctx.log("info", "Tool execution started");
      await sleep(50, ctx.signal);
      await ctx.log("info", "Tool processing data");
      await sleep(50, ctx.signal);
      await ctx.log("info", "Tool execution completed");
      return "Tool with logging executed successfully";
    },
  }),
  defineTool({
    name: "test_tool_with_progress",
    description: "Reports progress 0, 50, 100 of 100",
    handler: async (_input, ctx) => {
      await ctx.progress(0, 100);
      await sleep(50, ctx.signal);
      await ctx.progress(50, 100);
      await sleep(50, ctx.signal);
      await ctx.progress(100, 100);
      return "Tool with progress executed successfully";
    },
  }),
  defineTool({
    name: "test_error_handling",
    description: "Always fails with an isError result",
    handler: () => {
      throw new Error("This tool intentionally returns an error for testing");
    },
  }),
  defineTool({
    name: "test_sampling",
    description: "Asks the client's model to answer a prompt (sampling/createMessage)",
    input: z.object({ prompt: z.string().describe("The prompt to send to the LLM") }),
    handler: async ({ prompt }, ctx) => {
      const result = await ctx.sample({
        messages: [{ role: "user", content: { type: "text", text: prompt } }],
        maxTokens: 100,
      });
      const content = result.content as { type?: string; text?: string } | undefined;
      const answer = content?.type === "text" ? content.text : JSON.stringify(content);
      return `LLM response: ${answer}`;
    },
  }),
  defineTool({
    name: "test_elicitation",
    description: "Asks the user for a username and email (elicitation/create)",
    input: z.object({ message: z.string().describe("The message to show the user") }),
    handler: async ({ message }, ctx) => {
      const result = await ctx.elicit({
        message,
        requestedSchema: {
          type: "object",
          properties: {
            username: { type: "string", description: "User's response" },
            email: { type: "string", description: "User's email address" },
          },
          required: ["username", "email"],
        },
      });
      return `User response: ${describeAnswer(result)}`;
    },
  }),
  defineTool({
    name: "test_elicitation_sep1034_defaults",
    description: "Elicitation whose fields carry default values (SEP-1034)",
    handler: async (_input, ctx) => {
      const result = await ctx.elicit({
        message: "Please review and update the form fields with defaults",
        requestedSchema: {
          type: "object",
          properties: {
            name: { type: "string", description: "User name", default: "John Doe" },
            age: { type: "integer", description: "User age", default: 30 },
            score: { type: "number", description: "User score", default: 95.5 },
            status: {
              type: "string",
              description: "User status",
              enum: ["active", "inactive", "pending"],
              default: "active",
            },
            verified: { type: "boolean", description: "Verification status", default: true },
          },
        },
      });
      return `Elicitation completed: ${describeAnswer(result)}`;
    },
  }),
  defineTool({
    name: "test_elicitation_sep1330_enums",
    description: "Elicitation with every enum variant (SEP-1330)",
    handler: async (_input, ctx) => {
      const result = await ctx.elicit({
        message: "Please select options from the enum fields",
        requestedSchema: {
          type: "object",
          properties: {
            untitledSingle: {
              type: "string",
              description: "Untitled single-select",
              enum: ["option1", "option2", "option3"],
            },
            titledSingle: {
              type: "string",
              description: "Titled single-select",
              oneOf: [
                { const: "value1", title: "First Option" },
                { const: "value2", title: "Second Option" },
                { const: "value3", title: "Third Option" },
              ],
            },
            legacyEnum: {
              type: "string",
              description: "Legacy titled enum (enumNames, deprecated)",
              enum: ["opt1", "opt2", "opt3"],
              enumNames: ["Option One", "Option Two", "Option Three"],
            },
            untitledMulti: {
              type: "array",
              description: "Untitled multi-select",
              items: { type: "string", enum: ["option1", "option2", "option3"] },
            },
            titledMulti: {
              type: "array",
              description: "Titled multi-select",
              items: {
                anyOf: [
                  { const: "value1", title: "First Choice" },
                  { const: "value2", title: "Second Choice" },
                  { const: "value3", title: "Third Choice" },
                ],
              },
            },
          },
        },
      });
      return `Elicitation completed: ${describeAnswer(result)}`;
    },
  }),
  defineTool({
    name: "json_schema_2020_12_tool",
    description: "Tool with JSON Schema 2020-12 features",
    input: JSON_SCHEMA_2020_12,
    handler: (input) => `Received: ${JSON.stringify(input)}`,
  }),
  defineTool({
    name: "test_reconnection",
    description: "Closes its SSE stream mid-call; the client resumes with Last-Event-ID (SEP-1699)",
    handler: async (_input, ctx) => {
      ctx.closeStream();
      await sleep(100, ctx.signal);
      return "Reconnection test completed successfully";
    },
  }),
  defineTool({
    name: "whoami",
    description: "Returns the caller's principal id",
    handler: (_input, ctx) => ctx.principal.id,
  }),
  defineTool({
    name: "increment",
    description: "Increments a counter kept in this session and returns it",
    handler: async (_input, ctx) => {
      if (ctx.session === undefined) {
        throw new Error(
          "increment keeps its counter in a session: connect with a 2025 revision (initialize) to use it",
        );
      }
      return String(await ctx.session.update<number>("counter", (n) => (n ?? 0) + 1));
    },
  }),
  defineTool({
    name: "slow",
    description:
      "Works for `steps` steps of `intervalMs` each, reporting progress; stops when cancelled",
    input: z.object({
      steps: z.number().int().min(1).max(10_000).default(10),
      intervalMs: z.number().int().min(0).max(60_000).default(100),
    }),
    handler: async ({ steps, intervalMs }, ctx) => {
      for (let i = 1; i <= steps; i++) {
        await sleep(intervalMs, ctx.signal); // rejects when the call is cancelled
        await ctx.progress(i, steps);
      }
      return `completed ${steps} steps`;
    },
  }),
];

// ---------------------------------------------------------------------------
// Tools the 2026-07-28 conformance scenarios call. Each works in both eras:
// ctx.elicit/sample/listRoots are real requests on a 2025 session's stream,
// and input_required round trips for a 2026 client (the handler runs again
// on each round, so nothing before an await of them has side effects).

const NAME_FORM = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };

/** The text of an accepted elicitation's field, or the action taken. */
function acceptedField(result: ElicitResult, field: string): string {
  return result.action === "accept" ? String(result.content?.[field] ?? "") : result.action;
}

const modernTools = [
  defineTool({
    name: "test_missing_capability",
    description: "Needs the sampling capability: without it, 2026 clients get -32021",
    handler: async (_input, ctx) => {
      const result = await ctx.sample({
        messages: [{ role: "user", content: { type: "text", text: "ping" } }],
        maxTokens: 10,
      });
      return `sampled: ${JSON.stringify(result.content)}`;
    },
  }),
  defineTool({
    name: "test_streaming_elicitation",
    description: "Reports progress, then asks the user for a name",
    handler: async (_input, ctx) => {
      await ctx.progress(1, 2, "asking");
      const result = await ctx.elicit(
        { message: "What is your name?", requestedSchema: NAME_FORM },
        { key: "user_name" },
      );
      return `Hello, ${acceptedField(result, "name")}`;
    },
  }),
  defineTool({
    name: "test_logging_tool",
    description: "Logs through the request logger, then completes",
    handler: async (_input, ctx) => {
      await ctx.log("info", "test_logging_tool ran");
      return "logged";
    },
  }),
  defineTool({
    name: "test_header_param",
    description: "Echoes a value routed in the Mcp-Param-Echo header",
    input: { type: "object", properties: { value: { type: "string", "x-mcp-header": "Echo" } } },
    handler: (input) => `echo: ${String((input as { value?: string }).value ?? "")}`,
  }),
  defineTool({
    name: "test_input_required_result_elicitation",
    description: "Asks for the user's name (user_name), then greets them",
    handler: async (_input, ctx) => {
      const result = await ctx.elicit(
        { message: "What is your name?", requestedSchema: NAME_FORM },
        { key: "user_name" },
      );
      return `Hello, ${acceptedField(result, "name")}!`;
    },
  }),
  defineTool({
    name: "test_input_required_result_sampling",
    description: "Asks the client's model one question",
    handler: async (_input, ctx) => {
      const result = await ctx.sample({
        messages: [{
          role: "user",
          content: { type: "text", text: "What is the capital of France?" },
        }],
        maxTokens: 100,
      });
      return `LLM response: ${JSON.stringify(result.content)}`;
    },
  }),
  defineTool({
    name: "test_input_required_result_list_roots",
    description: "Lists the client's roots",
    handler: async (_input, ctx) => {
      const { roots } = await ctx.listRoots();
      return `roots: ${roots.map((root) => root.uri).join(", ") || "(none)"}`;
    },
  }),
  defineTool({
    name: "test_input_required_result_request_state",
    description: "Asks for confirmation; the answer comes back through the sealed requestState",
    handler: async (_input, ctx) => {
      const result = await ctx.elicit({
        message: "Continue?",
        requestedSchema: { type: "object", properties: {} },
      }, { key: "confirm" });
      return `state-ok: ${result.action}`;
    },
  }),
  defineTool({
    name: "test_input_required_result_multiple_inputs",
    description: "Asks for a name, a model answer and the roots at once",
    handler: async (_input, ctx) => {
      const [name, sample, roots] = await Promise.all([
        ctx.elicit({ message: "What is your name?", requestedSchema: NAME_FORM }, {
          key: "user_name",
        }),
        ctx.sample({
          messages: [{ role: "user", content: { type: "text", text: "Say hi" } }],
          maxTokens: 20,
        }, { key: "greeting" }),
        ctx.listRoots({ key: "roots" }),
      ]);
      return `name=${acceptedField(name, "name")}; sample=${
        JSON.stringify(sample.content)
      }; roots=${roots.roots.length}`;
    },
  }),
  defineTool({
    name: "test_input_required_result_multi_round",
    description: "Asks for a name, then a favourite colour",
    handler: async (_input, ctx) => {
      const name = await ctx.elicit({ message: "What is your name?", requestedSchema: NAME_FORM }, {
        key: "step1",
      });
      const color = await ctx.elicit({
        message: "What is your favourite colour?",
        requestedSchema: {
          type: "object",
          properties: { color: { type: "string" } },
          required: ["color"],
        },
      }, { key: "step2" });
      return `${acceptedField(name, "name")} likes ${acceptedField(color, "color")}`;
    },
  }),
  defineTool({
    name: "test_input_required_result_tampered_state",
    description: "Asks for confirmation; a tampered requestState is refused",
    handler: async (_input, ctx) => {
      const result = await ctx.elicit({
        message: "Continue?",
        requestedSchema: { type: "object", properties: {} },
      }, { key: "confirm" });
      return `confirmed: ${result.action}`;
    },
  }),
  defineTool({
    name: "test_input_required_result_capabilities",
    description: "Asks only for what the client declared it can answer",
    handler: async (_input, ctx) => {
      const caps = ctx.clientCapabilities;
      const asks: Promise<unknown>[] = [];
      if (caps.elicitation !== undefined) {
        asks.push(
          ctx.elicit({ message: "Name?", requestedSchema: NAME_FORM }, { key: "user_name" }),
        );
      }
      if (caps.sampling !== undefined) {
        asks.push(
          ctx.sample({
            messages: [{ role: "user", content: { type: "text", text: "Hi" } }],
            maxTokens: 10,
          }, { key: "sample" }),
        );
      }
      if (caps.roots !== undefined) asks.push(ctx.listRoots({ key: "roots" }));
      const answers = await Promise.all(asks);
      return `answered ${answers.length} input requests`;
    },
  }),
];

/** Tools that change the handler's own lists; they need the handler, so they are made with it. */
function changeTriggers(handler: () => McpHandler) {
  return [
    defineTool({
      name: "test_trigger_tool_change",
      description: "Adds or removes test_dynamic_tool (tools/list_changed goes to every listener)",
      handler: () => {
        const tools = handler().tools;
        if (tools.remove("test_dynamic_tool")) return "removed test_dynamic_tool";
        tools.add(
          defineTool({
            name: "test_dynamic_tool",
            description: "Appears and disappears",
            handler: () => "dynamic",
          }),
        );
        return "added test_dynamic_tool";
      },
    }),
    defineTool({
      name: "test_trigger_prompt_change",
      description:
        "Adds or removes test_dynamic_prompt (prompts/list_changed goes to every listener)",
      handler: () => {
        const prompts = handler().prompts;
        if (prompts.remove("test_dynamic_prompt")) return "removed test_dynamic_prompt";
        prompts.add(
          definePrompt({
            name: "test_dynamic_prompt",
            description: "Appears and disappears",
            handler: () => "dynamic",
          }),
        );
        return "added test_dynamic_prompt";
      },
    }),
  ];
}

// ---------------------------------------------------------------------------
// Resources, templates, prompts

const resources = [
  defineResource({
    uri: "test://static-text",
    name: "static-text",
    description: "A static text resource",
    mimeType: "text/plain",
    read: () => "This is the content of the static text resource.",
  }),
  defineResource({
    uri: "test://static-binary",
    name: "static-binary",
    description: "A static binary resource (1x1 PNG)",
    mimeType: "image/png",
    read: () => fromBase64(PNG_1X1_RED),
  }),
  defineResource({
    uri: "test://watched-resource",
    name: "watched-resource",
    description: "A resource clients may subscribe to",
    mimeType: "text/plain",
    read: () => "Watched resource content",
  }),
];

const resourceTemplates = [
  defineResourceTemplate({
    uriTemplate: "test://template/{id}/data",
    name: "template-data",
    description: "JSON data for any id",
    mimeType: "application/json",
    complete: { id: (value) => ["1", "2", "3", "123"].filter((id) => id.startsWith(value)) },
    read: (_uri, { id }) => JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
  }),
];

const prompts = [
  definePrompt({
    name: "test_simple_prompt",
    description: "A prompt without arguments",
    handler: () => "This is a simple prompt for testing.",
  }),
  definePrompt({
    name: "test_prompt_with_arguments",
    description: "A prompt with two required arguments",
    arguments: [
      { name: "arg1", description: "First test argument", required: true },
      { name: "arg2", description: "Second test argument", required: true },
    ],
    complete: {
      arg1: (value) => ["paris", "park", "party"].filter((word) => word.startsWith(value)),
    },
    handler: ({ arg1, arg2 }) => `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`,
  }),
  definePrompt({
    name: "test_prompt_with_embedded_resource",
    description: "A prompt that embeds a resource",
    arguments: [{
      name: "resourceUri",
      description: "URI of the resource to embed",
      required: true,
    }],
    handler: ({ resourceUri }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "resource",
            resource: {
              uri: resourceUri,
              mimeType: "text/plain",
              text: "Embedded resource content for testing.",
            },
          },
        },
        {
          role: "user",
          content: { type: "text", text: "Please process the embedded resource above." },
        },
      ],
    }),
  }),
  definePrompt({
    name: "test_input_required_result_prompt",
    description: "Asks for context (user_context) before building its messages",
    handler: async (_args, ctx) => {
      const result = await ctx.elicit({
        message: "What should the prompt be about?",
        requestedSchema: {
          type: "object",
          properties: { context: { type: "string" } },
          required: ["context"],
        },
      }, { key: "user_context" });
      return `Prompt about: ${acceptedField(result, "context")}`;
    },
  }),
  definePrompt({
    name: "test_prompt_with_image",
    description: "A prompt with an image",
    handler: () => ({
      messages: [
        { role: "user", content: image() },
        { role: "user", content: { type: "text", text: "Please analyze the image above." } },
      ],
    }),
  }),
];

// ---------------------------------------------------------------------------
// Handler

/**
 * DEMO AUTH ONLY — never use this in production: the bearer token itself
 * becomes the principal id, unverified. `Authorization: Bearer <token>` →
 * principal `{ id: <token> }`; no header → anonymous; any other
 * Authorization header → 401.
 */
function demoAuthenticate(request: Request): Principal | undefined {
  const header = request.headers.get("authorization");
  if (header === null) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) throw new AuthenticationError("Expected Authorization: Bearer <token>");
  return { id: match[1] };
}

/** The tool only OAuth callers with the scope `mcp:admin` may call. */
const adminReport = defineTool({
  name: "admin_report",
  description: "A report for administrators (needs the OAuth scope mcp:admin)",
  scopes: ["mcp:admin"],
  handler: (_input, ctx) => `Admin report for ${ctx.principal.id}`,
});

/**
 * With OAUTH_ISSUER, the oauth option (tokens of those issuers for
 * OAUTH_RESOURCE, by default this port's /mcp, with DPoP as OAUTH_DPOP
 * says, its used proofs in `replayStore`: the shared backend's, so a proof
 * used on one instance is refused on every other) and admin_report;
 * without it, the demo authentication.
 */
function authFromEnv(
  env: EverythingEnv,
  replayStore: DpopReplayStore | undefined,
): { auth: AuthOptions; extraTools: typeof tools } {
  const issuers = (env.OAUTH_ISSUER ?? "").split(",").map((issuer) => issuer.trim())
    .filter((issuer) => issuer !== "");
  if (issuers.length === 0) {
    return { auth: { authenticate: demoAuthenticate }, extraTools: [] };
  }
  const resource = env.OAUTH_RESOURCE || `http://127.0.0.1:${env.PORT || 8787}/mcp`;
  const verifiers = issuers.map((issuer) => jwtVerifier({ issuer, audience: resource }));
  const dpop = env.OAUTH_DPOP || undefined;
  if (dpop !== undefined && dpop !== "allowed" && dpop !== "required") {
    throw new RangeError(`OAUTH_DPOP must be allowed or required, got ${dpop}`);
  }
  return {
    auth: {
      oauth: {
        resource,
        authorizationServers: issuers,
        scopesSupported: ["mcp:read", "mcp:admin"],
        resourceName: "tether everything fixture",
        verifyAccessToken: anyVerifier(verifiers),
        ...(dpop === undefined ? {} : {
          dpop: { mode: dpop, ...(replayStore === undefined ? {} : { replayStore }) },
        }),
      },
    },
    extraTools: [adminReport],
  };
}

/** The integer in `env[name]` (at least `min`), or undefined when unset. */
function integerFromEnv(env: EverythingEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${raw}`);
  }
  return value;
}

/**
 * The operator guards the environment turns on (RATE_LIMIT_PER_MINUTE,
 * REQUIRE_HEADER, MAX_CONCURRENT_REQUESTS, MAX_CONCURRENT_REQUESTS_PER_PRINCIPAL).
 */
function operatorGuards(
  env: EverythingEnv,
): { limits: LimitOptions; security: SecurityOptions } {
  const perMinute = integerFromEnv(env, "RATE_LIMIT_PER_MINUTE", 1);
  const maxConcurrentRequests = integerFromEnv(env, "MAX_CONCURRENT_REQUESTS", 1);
  const perPrincipal = integerFromEnv(env, "MAX_CONCURRENT_REQUESTS_PER_PRINCIPAL", 1);
  const requireHeader = env.REQUIRE_HEADER === undefined || env.REQUIRE_HEADER === ""
    ? undefined
    : env.REQUIRE_HEADER;
  return {
    limits: {
      ...(perMinute === undefined ? {} : {
        rateLimit: tokenBucket({
          perMinute,
          // Keyed on what a client cannot choose: the peer address the fixture's own server saw
          // (X-Forwarded-For is whatever the client writes; the demo's bearer token is unverified).
          // In process (no server) every request shares one bucket.
          key: (request) => peerAddress(request) ?? "in-process",
        }),
      }),
      ...(maxConcurrentRequests === undefined ? {} : { maxConcurrentRequests }),
      ...(perPrincipal === undefined ? {} : { maxConcurrentRequestsPerPrincipal: perPrincipal }),
    },
    security: requireHeader === undefined ? {} : { requireHeader },
  };
}

/** RATE_LIMIT_PER_PRINCIPAL requests per minute per principal (the `limits.rateLimits` option), in `store` when shared. */
function principalRateLimits(
  env: EverythingEnv,
  store: RateLimitStore | undefined,
): LimitOptions {
  const limit = integerFromEnv(env, "RATE_LIMIT_PER_PRINCIPAL", 1);
  if (limit === undefined) return {};
  return { rateLimits: { perPrincipal: { limit, windowSeconds: 60 }, ...(store && { store }) } };
}

/**
 * The `security.cors` option from CORS_ORIGINS (comma-separated origins, e.g.
 * `http://localhost:5173,https://app.example.com`); none when it is unset or empty.
 */
function corsFromEnv(env: EverythingEnv): SecurityOptions {
  const origins = (env.CORS_ORIGINS ?? "").split(",").map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  return origins.length === 0 ? {} : { cors: { origins } };
}

/**
 * What several instances share (from `createRedisBackend` or `createPostgresBackend`); absent,
 * everything is in memory.
 */
export type SharedParts = Pick<StreamOptions, "eventLog"> & Pick<McpHandlerOptions, "bus"> & {
  sessionStore?: NonNullable<McpHandlerOptions["sessions"]>["store"];
  /** Tasks (the tasks extension's store). */
  taskStore?: TaskStore;
  /** Rate-limit budgets (RATE_LIMIT_PER_PRINCIPAL). */
  rateLimitStore?: RateLimitStore;
  /** Used DPoP proofs (OAUTH_DPOP), so a proof is accepted once across instances. */
  dpopReplayStore?: DpopReplayStore;
  /** The tasks extension's `keepAlive` (a Worker's isolate passes `waitUntil`). */
  keepTasksAlive?: (work: Promise<void>) => void;
};

/**
 * Creates the fixture's handler. `env` supplies SESSION_IDLE_MS,
 * SESSION_MAX, MAX_SESSIONS_PER_PRINCIPAL, MAX_ANONYMOUS_SESSIONS, BODY_TIMEOUT_MS, MCP_STATE_KEY, OAUTH_ISSUER, OAUTH_RESOURCE
 * (or PORT), CORS_ORIGINS, LEGACY_STATELESS (`1`: 2025 clients without sessions,
 * `eras: { legacy: "stateless" }`) and the guards (default: the process environment);
 * `shared` the parts several instances share.
 */
export function createEverythingHandler(
  env: EverythingEnv = processLike?.env ?? {},
  shared: SharedParts = {},
): McpHandler {
  const stateKey = env.MCP_STATE_KEY === undefined || env.MCP_STATE_KEY === ""
    ? undefined
    : env.MCP_STATE_KEY;
  const { extraTools, auth } = authFromEnv(env, shared.dpopReplayStore);
  const guards = operatorGuards(env);
  const handler: McpHandler = createMcpHandler({
    name: "tether-everything",
    version: "1.0.0",
    instructions: "The MCP conformance fixture served by tether.",
    tools: [
      ...tools,
      ...modernTools,
      ...taskTools,
      ...changeTriggers(() => handler),
      ...extraTools,
    ],
    extensions: [
      fixtureTasks({
        ...(shared.taskStore === undefined ? {} : { store: shared.taskStore }),
        ...(shared.keepTasksAlive === undefined ? {} : { keepAlive: shared.keepTasksAlive }),
      }),
      fixtureSkills(),
    ],
    resources,
    resourceTemplates,
    prompts,
    auth,
    http: {
      bodyTimeoutMs: integerFromEnv(env, "BODY_TIMEOUT_MS", 1),
    },
    limits: { ...guards.limits, ...principalRateLimits(env, shared.rateLimitStore) },
    security: { ...guards.security, ...corsFromEnv(env) },
    sessions: {
      idleTtlMs: integerFromEnv(env, "SESSION_IDLE_MS", 1),
      maxSessions: integerFromEnv(env, "SESSION_MAX", 1),
      maxSessionsPerPrincipal: integerFromEnv(env, "MAX_SESSIONS_PER_PRINCIPAL", 1),
      maxAnonymousSessions: integerFromEnv(env, "MAX_ANONYMOUS_SESSIONS", 1),
      ...(shared.sessionStore === undefined ? {} : { store: shared.sessionStore }),
    },
    ...(shared.eventLog === undefined ? {} : { streams: { eventLog: shared.eventLog } }),
    ...(shared.bus === undefined ? {} : { bus: shared.bus }),
    ...(stateKey === undefined ? {} : { stateless: { requestState: { keys: [stateKey] } } }),
    ...(env.LEGACY_STATELESS === "1" ? { eras: { legacy: "stateless" } } : {}),
  });
  return handler;
}

/** True when this file is the program's entry point (Deno and Bun: import.meta.main; Node: argv[1]). */
function isMainModule(): boolean {
  const main = (import.meta as { main?: boolean }).main;
  if (typeof main === "boolean") return main;
  const entry = processLike?.argv?.[1];
  if (entry === undefined) return false;
  const self = decodeURIComponent(new URL(import.meta.url).pathname);
  const strip = (path: string) => path.replace(/\.[cm]?[jt]s$/, "");
  return strip(entry) === strip(self);
}

/** The variables that name where instances share their state: one at most. */
const SHARED_STORES = ["REDIS_URL", "REDIS_CLUSTER_NODES", "REDIS_SENTINELS", "POSTGRES_URL"];

/** Throws when `env` names more than one shared store: the fixture refuses to guess. */
function oneSharedStore(env: EverythingEnv): void {
  const named = SHARED_STORES.filter((name) => env[name] !== undefined && env[name] !== "");
  if (named.length > 1) {
    throw new Error(`tether fixture: set one of ${named.join(", ")}, not several`);
  }
}

/**
 * The Postgres URL the environment names (`POSTGRES_URL`), or undefined. With a Redis form as
 * well it throws: the fixture refuses to guess.
 *
 * @example
 * ```ts
 * import { postgresUrlFromEnv } from "./everything.ts";
 * postgresUrlFromEnv({ POSTGRES_URL: "postgres://app@127.0.0.1:5432/app" });
 * // "postgres://app@127.0.0.1:5432/app"
 * ```
 */
export function postgresUrlFromEnv(env: EverythingEnv): string | undefined {
  oneSharedStore(env);
  return env.POSTGRES_URL === undefined || env.POSTGRES_URL === "" ? undefined : env.POSTGRES_URL;
}

/**
 * The Redis source the environment names: a Cluster (`REDIS_CLUSTER_NODES`,
 * `host:port,host:port,...` root nodes), Sentinel (`REDIS_SENTINELS`,
 * `host:port,...`, with `REDIS_SENTINEL_MASTER`, the master's name), or one
 * node (`REDIS_URL`); undefined for none. More than one, or a Sentinel list
 * without its master's name, throws: the fixture refuses to guess.
 *
 * @example
 * ```ts
 * import { redisSourceFromEnv } from "./everything.ts";
 * redisSourceFromEnv({ REDIS_CLUSTER_NODES: "10.0.0.1:7000,10.0.0.2:7000" });
 * // { cluster: { rootNodes: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"] } }
 * ```
 */
export function redisSourceFromEnv(env: EverythingEnv): RedisSource | undefined {
  const given = (name: string) => env[name] !== undefined && env[name] !== "";
  oneSharedStore(env);
  const addresses = (name: string) =>
    env[name]!.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "").map(
      (entry) => {
        const at = entry.lastIndexOf(":");
        const port = Number(entry.slice(at + 1));
        if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
          throw new Error(`tether fixture: ${name} wants host:port entries, got "${entry}"`);
        }
        return { host: entry.slice(0, at), port };
      },
    );
  if (given("REDIS_CLUSTER_NODES")) {
    const rootNodes = addresses("REDIS_CLUSTER_NODES").map(({ host, port }) =>
      `redis://${host}:${port}`
    );
    return { cluster: { rootNodes } };
  }
  if (given("REDIS_SENTINELS")) {
    if (!given("REDIS_SENTINEL_MASTER")) {
      throw new Error(
        "tether fixture: REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the master's name)",
      );
    }
    return {
      sentinel: { name: env.REDIS_SENTINEL_MASTER!, sentinels: addresses("REDIS_SENTINELS") },
    };
  }
  return given("REDIS_URL") ? { url: env.REDIS_URL! } : undefined;
}

if (isMainModule()) {
  const env = processLike?.env ?? {};
  let shared: SharedParts = {};
  const redisSource = redisSourceFromEnv(env);
  if (redisSource !== undefined) {
    // Loaded only when asked for: the in-memory fixture needs no Redis client.
    const { createRedisBackend } = await import("../src/redis/mod.ts");
    shared = await createRedisBackend(redisSource, {
      prefix: env.REDIS_PREFIX || undefined,
      eventLog: { instanceTimeoutMs: integerFromEnv(env, "INSTANCE_TIMEOUT_MS", 1) },
      sessionStore: { expiryGraceMs: integerFromEnv(env, "SESSION_EXPIRY_GRACE_MS", 0) },
      bus: { aliveMs: integerFromEnv(env, "BUS_ALIVE_MS", 1) },
    });
    console.log("tether everything fixture: sessions, streams, bus and tasks in Redis");
  }
  const postgresUrl = postgresUrlFromEnv(env);
  if (postgresUrl !== undefined) {
    // Loaded only when asked for: the in-memory fixture needs no Postgres client.
    const { createPostgresBackend, migratePostgres } = await import("../src/postgres/mod.ts");
    await migratePostgres(postgresUrl); // the deploy step, safe from several copies at once
    // The backend's stores under the names SharedParts gives them (the ones it has).
    shared = await createPostgresBackend({
      url: postgresUrl,
      listenUrl: env.POSTGRES_LISTEN_URL || undefined,
    }, {
      namespace: env.POSTGRES_NAMESPACE || undefined,
      expiryGraceMs: integerFromEnv(env, "SESSION_EXPIRY_GRACE_MS", 0),
    });
    console.log(
      "tether everything fixture: sessions, streams, the bus, tasks and rate limits in Postgres",
    );
  }
  if (
    env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
  ) {
    // Loaded only when asked for: without an endpoint the fixture imports no SDK.
    const { startMetrics, startTracing } = await import("./otel.ts");
    const signals = [startTracing(env) && "traces", startMetrics(env) && "metrics"];
    console.log(
      `tether everything fixture: exporting ${
        signals.filter(Boolean).join(" and ")
      } over OTLP/HTTP`,
    );
  }
  // The handler is made once the port is known: OAuth's default resource URI names it (PORT=0).
  // Requests wait for nothing: it is set before the listener's first callback can run.
  const made: { handler?: McpHandler } = {};
  // Loaded only here: a host that serves the handler itself (examples/cloudflare) bundles no server.
  const { serveHandler } = await import("./serve.ts");
  const server = await serveHandler(
    Object.assign((request: Request) => made.handler!(request), {
      close: () => made.handler!.close(),
    }),
    integerFromEnv(env, "PORT", 0) ?? 8787,
    "127.0.0.1",
    // RATE_LIMIT_PER_MINUTE keys on the peer address.
    { peerAddresses: true },
  );
  made.handler = createEverythingHandler({ ...env, PORT: String(server.port) }, shared);
  console.log(`tether everything fixture listening on ${server.url}/mcp`);
}
