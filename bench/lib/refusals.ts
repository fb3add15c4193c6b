/**
 * What a server answers to the requests the MCP spec (2025-11-25,
 * sessionful Streamable HTTP) tells it to refuse: an unknown or ended
 * session, a foreign Origin, a rebinding Host, an unsupported
 * MCP-Protocol-Version; and, not required by the spec, the guards every
 * public server needs (Content-Type, nesting depth, body size). The harness
 * sends these to every server of the steady workload after its timed runs,
 * so a throughput row can be read beside the checks that server makes.
 *
 * Each probe is a `tools/call` of the echo tool on a session of its own
 * (opened as a client opens one), sent with node:http so the Host header
 * can be set, and given a deadline. A valid call comes first as the
 * positive control: a server whose control fails has its other cells "n/a".
 * @module
 */

import { request as httpRequest } from "node:http";
import {
  echoCallBody,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  isEchoResult,
  MCP_PATH,
  POST_HEADERS,
} from "./protocol.ts";

/** One request a server should refuse, and the rule that says so. */
export interface RefusalProbe {
  /** Short column name. */
  name: string;
  /** The rule, with its force: MUST, SHOULD, the conformance suite, or not in the spec. */
  rule: string;
  /** The refusal the rule asks for, as printed. */
  expected: string;
}

/** The probes, in the order of the table's columns. */
export const REFUSAL_PROBES: readonly RefusalProbe[] = [
  {
    name: "unknown session",
    rule: "a session id the server never issued or has ended → 404 (MUST for an ended session)",
    expected: "404",
  },
  {
    name: "ended session",
    rule: "after DELETE ends a session, its id → 404 (MUST; a server may refuse DELETE with 405)",
    expected: "404",
  },
  {
    name: "no session",
    rule: "a non-initialize request without Mcp-Session-Id → 400 (SHOULD)",
    expected: "400",
  },
  {
    name: "foreign Origin",
    rule: "Origin http://evil.example → 403 (MUST validate Origin)",
    expected: "403",
  },
  {
    name: "rebinding Host",
    rule:
      "Host evil.example.com with a matching Origin → 4xx (conformance: dns-rebinding-protection)",
    expected: "4xx",
  },
  {
    name: "bad version",
    rule: "MCP-Protocol-Version 1999-01-01 → 400 (MUST)",
    expected: "400",
  },
  {
    name: "text/plain",
    rule: "Content-Type text/plain → 415 (not in the spec)",
    expected: "415",
  },
  {
    name: "depth 100k",
    rule: "arguments nested 100,000 arrays deep → 400 (not in the spec)",
    expected: "400",
  },
  {
    name: "8 MiB body",
    rule: "an 8 MiB call → 413 (not in the spec)",
    expected: "413",
  },
];

/** A probe's answer: its status (or why there is none) and whether that is the refusal asked for. */
export interface ProbeOutcome {
  /** The probe's name. */
  probe: string;
  /**
   * The HTTP status, or "timeout" / "error" / "n/a" (the control failed, the
   * server issues no session, or it refuses DELETE with 405).
   */
  answer: number | "timeout" | "error" | "n/a";
  /** True when refused as asked; undefined when there was nothing to judge. */
  refused: boolean | undefined;
}

/** What {@linkcode probeRefusals} learns of one server. */
export interface ServerRefusals {
  /** True when the positive control (a valid call on an issued session) was answered correctly. */
  control: boolean;
  /** One outcome per entry of {@linkcode REFUSAL_PROBES}, in that order. */
  outcomes: ProbeOutcome[];
}

interface Answer {
  status: number | "timeout" | "error";
  text: string;
  /** The `Mcp-Session-Id` the answer issued, if any. */
  sessionId?: string;
}

const DEADLINE_MS = 10_000;
/** A body at least this large is sent after its headers have had a moment to be refused. */
const EARLY_ANSWER_BYTES = 1024 * 1024;
/** How long a large body waits for an answer to its headers alone (a 413 from the declared length). */
const EARLY_ANSWER_MS = 250;

/**
 * One POST or DELETE over node:http (any Host), with a deadline; never
 * throws. A large body goes out only after its headers have waited
 * {@linkcode EARLY_ANSWER_MS} for an answer: a server that refuses it from
 * Content-Length answers and closes, and writing the rest into that closed
 * connection could end the request with EPIPE before its 413 was read.
 * With `enough`, reading stops once the text so far satisfies it (an SSE
 * answer may stay open after the result a client waits for).
 */
function send(
  port: number,
  method: string,
  headers: Record<string, string>,
  body?: string,
  enough?: (text: string) => boolean,
): Promise<Answer> {
  return new Promise((resolve) => {
    let answered = false;
    const req = httpRequest({
      host: "127.0.0.1",
      port,
      path: MCP_PATH,
      method,
      headers: {
        host: `127.0.0.1:${port}`,
        ...headers,
        ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
      },
      timeout: DEADLINE_MS,
    }, (res) => {
      const chunks: Buffer[] = [];
      const done = () => {
        clearTimeout(timer);
        // Answered before its large body was sent: nothing more goes out on that request.
        if (!req.writableEnded) req.destroy();
        const sessionId = res.headers["mcp-session-id"];
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString("utf8"),
          ...(typeof sessionId === "string" ? { sessionId } : {}),
        });
      };
      // An SSE answer may stay open after its result: read until the deadline at most.
      const timer = setTimeout(() => {
        res.destroy();
        done();
      }, DEADLINE_MS);
      answered = true;
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        if (enough?.(Buffer.concat(chunks).toString("utf8"))) {
          res.destroy();
          done();
        }
      });
      res.on("end", done);
      res.on("error", done);
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ status: "timeout", text: "" });
    });
    req.on("error", () => resolve({ status: "error", text: "" }));
    if (body === undefined || body.length < EARLY_ANSWER_BYTES) {
      req.end(body);
      return;
    }
    req.flushHeaders();
    setTimeout(() => {
      if (!answered) req.end(body);
    }, EARLY_ANSWER_MS);
  });
}

let nextId = 1_000_000;

/**
 * Opens a session as a client does (initialize, then the initialized
 * notification with the negotiated version); undefined when the server
 * issues none.
 */
async function openSession(
  port: number,
): Promise<{ id: string; version: string } | undefined> {
  const init = await send(
    port,
    "POST",
    { ...INIT_HEADERS },
    initializeBody(++nextId),
    (text) => text.includes('"protocolVersion"'),
  );
  if (init.sessionId === undefined) return undefined;
  const version = /"protocolVersion":"([^"]+)"/.exec(init.text)?.[1] ?? "2025-11-25";
  await send(port, "POST", {
    ...POST_HEADERS,
    "mcp-protocol-version": version,
    "mcp-session-id": init.sessionId,
  }, INITIALIZED_BODY);
  return { id: init.sessionId, version };
}

const EVIL_ORIGIN = "http://evil.example";

/**
 * Sends every probe of {@linkcode REFUSAL_PROBES} to the server on `port`
 * (each on a fresh session), after the positive control; with `together`,
 * all at once (a smoke run: a server whose sessions take a second each is
 * probed in seconds, not tens of them). `accept` is the Accept header its
 * timed rows were driven with.
 *
 * @example
 * ```ts
 * import { probeRefusals } from "./refusals.ts";
 * const { control, outcomes } = await probeRefusals(18801, "application/json, text/event-stream");
 * console.log(control, outcomes.map((o) => `${o.probe}: ${o.answer}`));
 * ```
 */
export async function probeRefusals(
  port: number,
  accept: string,
  together = false,
): Promise<ServerRefusals> {
  const call = async (
    change: (headers: Record<string, string>) => Record<string, string>,
    body?: string,
  ): Promise<Answer & { id: number }> => {
    const session = await openSession(port);
    const id = ++nextId;
    const headers: Record<string, string> = { ...POST_HEADERS, accept };
    if (session !== undefined) {
      headers["mcp-session-id"] = session.id;
      headers["mcp-protocol-version"] = session.version;
    }
    return { id, ...(await send(port, "POST", change(headers), body ?? echoCallBody(id))) };
  };
  const control = await call((h) => h);
  const controlled = control.status === 200 && isEchoResult(control.text, control.id);
  const judge = (probe: RefusalProbe, answer: Answer["status"]): ProbeOutcome => ({
    probe: probe.name,
    answer,
    refused: typeof answer !== "number"
      ? false
      : probe.expected === "4xx"
      ? answer >= 400 && answer < 500
      : String(answer) === probe.expected,
  });
  const outcomeOf = async (probe: RefusalProbe): Promise<ProbeOutcome> => {
    if (!controlled) return { probe: probe.name, answer: "n/a", refused: undefined };
    let answer: Answer["status"];
    switch (probe.name) {
      case "unknown session":
        answer = (await call((h) => ({ ...h, "mcp-session-id": "never-issued-0123456789abcdef" })))
          .status;
        break;
      case "ended session": {
        const session = await openSession(port);
        // A server that issues no session (SDK v2 serves 2025 traffic statelessly) has none to end.
        if (session === undefined) return { probe: probe.name, answer: "n/a", refused: undefined };
        const ended = await send(port, "DELETE", {
          "mcp-session-id": session.id,
          "mcp-protocol-version": session.version,
        });
        if (ended.status === 405) return { probe: probe.name, answer: "n/a", refused: undefined };
        const id = ++nextId;
        answer = (await send(port, "POST", {
          ...POST_HEADERS,
          accept,
          "mcp-session-id": session.id,
          "mcp-protocol-version": session.version,
        }, echoCallBody(id))).status;
        break;
      }
      case "no session":
        answer = (await call((h) => {
          const { "mcp-session-id": _, ...rest } = h;
          return rest;
        })).status;
        break;
      case "foreign Origin":
        answer = (await call((h) => ({ ...h, origin: EVIL_ORIGIN }))).status;
        break;
      case "rebinding Host":
        answer = (await call((h) => ({
          ...h,
          host: "evil.example.com",
          origin: "http://evil.example.com",
        }))).status;
        break;
      case "bad version":
        answer = (await call((h) => ({ ...h, "mcp-protocol-version": "1999-01-01" }))).status;
        break;
      case "text/plain":
        answer = (await call((h) => ({ ...h, "content-type": "text/plain" }))).status;
        break;
      case "depth 100k": {
        const deep = "[".repeat(100_000) + "]".repeat(100_000);
        const id = ++nextId;
        answer = (await call(
          (h) => h,
          `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","deep":${deep}}}}`,
        )).status;
        break;
      }
      case "8 MiB body": {
        const id = ++nextId;
        answer = (await call(
          (h) => h,
          `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${
            "x".repeat(8 * 1024 * 1024)
          }"}}}`,
        )).status;
        break;
      }
      default:
        throw new Error(`no sender for probe ${probe.name}`);
    }
    return judge(probe, answer);
  };
  const outcomes: ProbeOutcome[] = [];
  if (together) outcomes.push(...await Promise.all(REFUSAL_PROBES.map(outcomeOf)));
  else for (const probe of REFUSAL_PROBES) outcomes.push(await outcomeOf(probe));
  return { control: controlled, outcomes };
}

/** One table cell: "404 ✓", "200 ✗", "n/a". */
function cell(outcome: ProbeOutcome): string {
  if (outcome.refused === undefined) return "n/a";
  return `${outcome.answer} ${outcome.refused ? "✓" : "✗"}`;
}

/**
 * The probes as a Markdown table: a row per server, a column per probe, and
 * a line per probe naming its rule.
 */
export function refusalTable(
  rows: readonly { runtime: string; server: string; refusals: ServerRefusals }[],
): string {
  const lines = [
    `| runtime | server | control | ${REFUSAL_PROBES.map((p) => p.name).join(" | ")} |`,
    `|---|---|---|${REFUSAL_PROBES.map(() => "---").join("|")}|`,
  ];
  for (const { runtime, server, refusals } of rows) {
    lines.push(
      `| ${runtime} | ${server} | ${refusals.control ? "200 ✓" : "✗"} | ${
        refusals.outcomes.map(cell).join(" | ")
      } |`,
    );
  }
  lines.push("");
  for (const probe of REFUSAL_PROBES) lines.push(`- **${probe.name}**: ${probe.rule}.`);
  return lines.join("\n");
}
