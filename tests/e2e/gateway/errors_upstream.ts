/**
 * A hostile MCP upstream for the gateway's error tests, served on a free
 * loopback port of the test's runtime: a small Streamable HTTP server (JSON
 * answers, one session) whose tools fail the way a broken or malicious
 * upstream does: a 500 whose body holds secrets, redirects within and out
 * of its origin, a wrong content type, SSE streams that end without the
 * answer (with and without an event id to resume from). It records the
 * requests that reached it.
 */

import { type RunningServer, serveHandler } from "../../../examples/serve.ts";

/** What a leak would show: the upstream's insides. */
export const SECRETS = ["db01.corp.internal", "5432", "hunter2", "svc", "reroute", "text/html"];

/** The tools it lists and what each does to a call. */
export const HOSTILE_TOOLS = {
  /** Answers `500` with a body naming a host and a password. */
  boom: "an HTTP 500 with secrets in its body",
  /** Answers `307` to a path of its own origin that answers the call. */
  moved: "a redirect within its origin",
  /** Answers `302` to another host. */
  away: "a redirect to another host",
  /** Answers `200` with an HTML body. */
  html: "a wrong content type",
  /** Answers a JSON-RPC error of its own. */
  refused: "a JSON-RPC error response",
  /** Refuses with `-32021` (a client capability not declared), secrets beside it in `data`. */
  undeclared: "a refusal of an undeclared client capability",
  /** Answers a result with `isError`. */
  failed: "a tool error result",
  /** Opens an SSE stream, sends a log message, ends it without the answer. */
  cut: "an SSE stream that ends without the answer",
  /** Opens an SSE stream with an event id and a retry, ends it; the resume answers. */
  resumable: "an SSE stream resumed with Last-Event-ID",
  /** As `resumable`, but the resume is refused with `405`. */
  unresumable: "an SSE stream whose resume is refused",
  /** Answers normally. */
  fine: "an answer",
} as const;

/** A running hostile upstream. */
export interface HostileUpstream extends RunningServer {
  /** The paths of the requests that reached it, with their method (`POST /mcp`). */
  requests: string[];
  /** The `Last-Event-ID` headers of the resumes it received. */
  resumes: string[];
}

const SESSION = "hostile-session";

function json(body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    headers: { "content-type": "application/json", "mcp-session-id": SESSION, ...headers },
  });
}

function sse(text: string): Response {
  return new Response(text, {
    headers: { "content-type": "text/event-stream", "mcp-session-id": SESSION },
  });
}

function answer(id: unknown, text: string): Record<string, unknown> {
  return { jsonrpc: "2.0", id, result: { content: [{ type: "text", text }] } };
}

/**
 * Answers call `id` of tool `name`; `primed` keeps, by the event id a
 * resumable stream primed with, the call its resume answers.
 */
function call(id: unknown, name: string, origin: string, primed: Map<string, unknown>): Response {
  switch (name) {
    case "boom":
      return new Response(
        "upstream internal error at db01.corp.internal:5432 user=svc password=hunter2",
        { status: 500, headers: { "content-type": "text/plain" } },
      );
    case "moved":
      return new Response(null, {
        status: 307,
        headers: { location: `${origin}/reroute?password=hunter2` },
      });
    case "away":
      return new Response(null, {
        status: 302,
        headers: { location: "http://db01.corp.internal:5432/admin?password=hunter2" },
      });
    case "html":
      return new Response("<h1>db01.corp.internal password=hunter2</h1>", {
        headers: { "content-type": "text/html" },
      });
    case "refused":
      return json({ jsonrpc: "2.0", id, error: { code: -32602, message: "No such region: mars" } });
    case "undeclared":
      return json({
        jsonrpc: "2.0",
        id,
        error: {
          code: -32021,
          message: "This tool needs sampling, which the client did not declare",
          data: { requiredCapabilities: { sampling: {} }, host: "db01.corp.internal" },
        },
      });
    case "failed":
      return json({
        jsonrpc: "2.0",
        id,
        result: { content: [{ type: "text", text: "the upstream says no" }], isError: true },
      });
    case "cut": {
      const log = {
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "info", data: "working" },
      };
      return sse(`data: ${JSON.stringify(log)}\n\n`);
    }
    case "resumable":
    case "unresumable": {
      const eventId = `${name}-${String(id)}`;
      primed.set(eventId, id);
      return sse(`id: ${eventId}\nretry: 20\ndata: \n\n`);
    }
    default:
      return json(answer(id, "fine"));
  }
}

function tools(): Record<string, unknown>[] {
  return Object.entries(HOSTILE_TOOLS).map(([name, description]) => ({
    name,
    description,
    inputSchema: { type: "object" },
  }));
}

/** Serves the hostile upstream on a free port (endpoint `/mcp`). */
export async function startHostileUpstream(): Promise<HostileUpstream> {
  const requests: string[] = [];
  const resumes: string[] = [];
  const primed = new Map<string, unknown>();
  let origin = "";
  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    requests.push(`${request.method} ${url.pathname}`);
    if (url.pathname === "/reroute") {
      const message = await request.json() as { id: unknown };
      return json(answer(message.id, "rerouted"));
    }
    if (request.method === "DELETE") return new Response(null, { status: 200 });
    if (request.method === "GET") {
      const lastEventId = request.headers.get("last-event-id");
      if (lastEventId === null) return new Response(null, { status: 405 });
      resumes.push(lastEventId);
      const id = primed.get(lastEventId);
      primed.delete(lastEventId);
      if (id === undefined || lastEventId.startsWith("unresumable")) {
        return new Response(null, { status: 405 });
      }
      return sse(`id: ${lastEventId}-answer\ndata: ${JSON.stringify(answer(id, "resumed"))}\n\n`);
    }
    const message = await request.json() as {
      id?: unknown;
      method?: string;
      params?: { name?: string; protocolVersion?: string };
    };
    if (message.id === undefined) return new Response(null, { status: 202 });
    switch (message.method) {
      case "initialize":
        return json({
          jsonrpc: "2.0",
          id: message.id,
          result: {
            protocolVersion: message.params?.protocolVersion,
            capabilities: { tools: {} },
            serverInfo: { name: "hostile", version: "1.0.0" },
          },
        });
      case "tools/list":
        return json({ jsonrpc: "2.0", id: message.id, result: { tools: tools() } });
      case "tools/call":
        return call(message.id, message.params?.name ?? "", origin, primed);
      case "ping":
        return json({ jsonrpc: "2.0", id: message.id, result: {} });
      default:
        return json({
          jsonrpc: "2.0",
          id: message.id,
          error: { code: -32601, message: "Method not found" },
        });
    }
  };
  const running = await serveHandler(handler, 0);
  origin = running.url;
  return { ...running, requests, resumes };
}
