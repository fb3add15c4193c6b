/**
 * Serves a tether handler over stdio (newline-delimited JSON-RPC on stdin
 * and stdout), as desktop clients and gateways run local MCP servers: each
 * line is POSTed to the handler in process, in one 2025 session, and every
 * message of its answer (JSON or SSE) is written as a line; after
 * `initialize` a listening stream carries the session's notifications.
 * A bridge for the examples, not a transport of the library: no resumption,
 * no batching, nothing but one session.
 */

import type { McpHandler } from "../mod.ts";

const ENDPOINT = "http://localhost/mcp";

/** Where the bridge reads and writes (process.stdin and process.stdout by default). */
export interface StdioStreams {
  input: AsyncIterable<Uint8Array | string>;
  write(line: string): void;
}

/** Writes each `data:` of an SSE body as one line. */
async function relaySse(body: ReadableStream<Uint8Array>, write: (line: string) => void) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replaceAll("\r\n", "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart()).join("\n");
      if (data !== "") write(data);
    }
  }
}

/** Serves `handler` on `streams` until the input ends; then ends the session and closes it. */
export async function serveStdio(handler: McpHandler, streams: StdioStreams): Promise<void> {
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  const headers = (): Record<string, string> => ({
    accept: "application/json, text/event-stream",
    "content-type": "application/json",
    ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId }),
    ...(protocolVersion === undefined ? {} : { "mcp-protocol-version": protocolVersion }),
  });
  const answer = async (response: Response) => {
    const type = response.headers.get("content-type") ?? "";
    if (response.body === null) return;
    if (type.includes("text/event-stream")) return await relaySse(response.body, streams.write);
    const text = (await response.text()).trim();
    if (text !== "") streams.write(text);
  };
  const running = new Set<Promise<void>>();
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of streams.input) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (line === "") continue;
      let message: { method?: string; id?: unknown };
      try {
        message = JSON.parse(line);
      } catch {
        streams.write(JSON.stringify({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32700, message: "Parse error" },
        }));
        continue;
      }
      const response = await handler(
        new Request(ENDPOINT, { method: "POST", headers: headers(), body: line }),
      );
      if (message.method === "initialize") {
        sessionId = response.headers.get("mcp-session-id") ?? undefined;
        const text = await response.text();
        const data = text.includes("data:")
          ? text.split("\n").find((l) => l.startsWith("data:"))!.slice(5).trim()
          : text.trim();
        protocolVersion = JSON.parse(data)?.result?.protocolVersion;
        streams.write(data);
        continue;
      }
      if (message.method === "notifications/initialized" && sessionId !== undefined) {
        const listening = handler(new Request(ENDPOINT, { headers: headers() }))
          .then(answer, () => {});
        running.add(listening);
      }
      // Answers stream while later lines (replies to the server's requests) are read.
      const task = answer(response).catch(() => {});
      running.add(task);
      task.then(() => running.delete(task));
    }
  }
  if (sessionId !== undefined) {
    await handler(new Request(ENDPOINT, { method: "DELETE", headers: headers() }));
  }
  await handler.close();
}
