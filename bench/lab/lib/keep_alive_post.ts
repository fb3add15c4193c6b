/**
 * One POST to a bench server over a kept-alive connection (node:http), the
 * way the drivers that count or trace a server send their calls one at a
 * time: no fetch, whose pooling and body streams would add work and noise of
 * their own to the driving process.
 * @module
 */

import http from "node:http";

/** A POST's answer: its status, its body as text, and its `Mcp-Session-Id` when it has one. */
export type PostAnswer = [status: number, text: string, session: string | undefined];

/**
 * POSTs `body` to `path` on 127.0.0.1:`port` through `agent` (create it with
 * `keepAlive: true`), with `headers` and the body's Content-Length.
 *
 * @example
 * ```ts ignore
 * const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
 * const [status, text] = await keepAlivePost(agent, 8787, "/mcp", "{}", { "content-type": "application/json" });
 * ```
 */
export function keepAlivePost(
  agent: http.Agent,
  port: number,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<PostAnswer> {
  return new Promise<PostAnswer>((resolve, reject) => {
    const request = http.request({
      host: "127.0.0.1",
      port,
      path,
      method: "POST",
      agent,
      headers: { ...headers, "content-length": Buffer.byteLength(body) },
    }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => {
        const session = response.headers["mcp-session-id"];
        resolve([
          response.statusCode ?? 0,
          text,
          typeof session === "string" ? session : undefined,
        ]);
      });
    });
    request.on("error", reject);
    request.end(body);
  });
}
