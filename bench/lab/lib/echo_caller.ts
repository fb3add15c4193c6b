/**
 * The echo call one connection sends, one after another, for the scripts
 * that watch a single server warm up or run (bench/lab/tier_up.ts,
 * bench/lab/cache_profile.ts): which bench servers they can start, and a caller
 * that opens the session a legacy server needs and checks every answer.
 * @module
 */

import http from "node:http";
import { keepAlivePost } from "./keep_alive_post.ts";
import * as protocol from "../../lib/protocol.ts";

/** A bench server these scripts start: its file in bench/servers, its arguments, its era. */
export interface EchoServer {
  file: string;
  args: readonly string[];
  /** True when it is called with 2026-07-28 stateless calls; false: one session's legacy calls. */
  modern: boolean;
}

/** The servers by name: tether in either era, and the floors. */
export const ECHO_SERVERS: Readonly<Record<string, EchoServer>> = {
  tether: { file: "tether.ts", args: [], modern: false },
  "tether-2026": { file: "tether.ts", args: [], modern: true },
  floor: { file: "floor.ts", args: [], modern: true },
  "floor-guarded": { file: "floor.ts", args: ["--guarded", "true"], modern: true },
  "floor-legacy": { file: "floor.ts", args: ["--era", "legacy"], modern: false },
  "floor-legacy-guarded": {
    file: "floor.ts",
    args: ["--era", "legacy", "--guarded", "true"],
    modern: false,
  },
};

/** The server named `name`, or a throw that lists the names. */
export function echoServer(name: string): EchoServer {
  const server = ECHO_SERVERS[name];
  if (server === undefined) {
    throw new Error(`--server: one of ${Object.keys(ECHO_SERVERS).join(", ")}`);
  }
  return server;
}

/** Sends echo call `n` and throws unless it is answered 200 with its id. */
export type EchoCall = (n: number) => Promise<void>;

/**
 * A caller of `server` on `port` over one kept-alive connection: a legacy
 * server's session is opened first. `close` ends the connection.
 *
 * @example
 * ```ts
 * import { echoCaller, echoServer } from "./echo_caller.ts";
 * const { call, close } = await echoCaller(8787, echoServer("tether-2026"));
 * for (let n = 1; n <= 100; n++) await call(n);
 * close();
 * ```
 */
export async function echoCaller(
  port: number,
  server: EchoServer,
): Promise<{ call: EchoCall; close: () => void }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body: string, headers: Record<string, string>) =>
    keepAlivePost(agent, port, protocol.MCP_PATH, body, headers);
  let headers: Record<string, string> = {
    ...protocol.POST_HEADERS,
    ...protocol.modernCallHeaders("echo"),
  };
  let body = (n: number) => protocol.modernEchoCallBody(n);
  if (!server.modern) {
    const [status, , session] = await post(protocol.initializeBody("echo-caller"), {
      ...protocol.INIT_HEADERS,
    });
    if (status !== 200 || session === undefined) throw new Error(`initialize answered ${status}`);
    headers = { ...protocol.POST_HEADERS, "mcp-session-id": session };
    await post(protocol.INITIALIZED_BODY, headers);
    body = protocol.echoCallBody;
  }
  const call = async (n: number) => {
    const [status, text] = await post(body(n), headers);
    if (status !== 200 || !text.includes(`"id":${n}`)) {
      throw new Error(`call ${n} answered ${status} ${text.slice(0, 200)}`);
    }
  };
  return { call, close: () => agent.destroy() };
}
