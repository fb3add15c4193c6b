/**
 * One case of bench/lab/instructions.ts, run under valgrind: calls a handler in
 * process `count` times with built `Request`s and checks every answer.
 *
 *   <runtime> bench/lab/lib/instruction_case.ts <tree> <bare|legacy|2026|scale-100|scale-100k> <count>
 *
 * `scale-100` and `scale-100k` hold 100 or 100,000 sessions (made first, in
 * process, as the bench's admin route makes them) and send the legacy call to
 * each in turn, as the scaling pair's wrk does: what holding 100,000 sessions
 * adds to a call's instructions.
 * `tree` is the checkout whose `mod.ts` is measured (this one, or a worktree
 * of another commit), so two commits run the same driver code.
 */

import {
  bareEchoHandler,
  echoCallBody,
  ID_SLOT,
  INIT_HEADERS,
  initializeBody,
  INITIALIZED_BODY,
  MCP_PATH,
  modernCallHeaders,
  modernEchoCallBody,
  POST_HEADERS,
} from "../../lib/protocol.ts";

const argv = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
const [tree, mode, countArg] = argv;
const count = Number(countArg);
/** The sessions a scale case holds and rotates its calls over. */
const SCALE_SESSIONS: Record<string, number> = { "scale-100": 100, "scale-100k": 100_000 };
if (
  !["bare", "legacy", "2026"].includes(mode) && SCALE_SESSIONS[mode] === undefined ||
  !(count > 0)
) {
  throw new Error(
    "usage: instruction_case.ts <tree> <bare|legacy|2026|scale-100|scale-100k> <count>",
  );
}
const { createMcpHandler } = await import(`${tree}/mod.ts`);
const { echoTool } = await import(`${tree}/bench/lib/echo_tool.ts`);
const URL_ = `http://127.0.0.1${MCP_PATH}`;

const tether = createMcpHandler({
  name: "bench-instructions",
  version: "1.0.0",
  tools: [echoTool],
  ...(SCALE_SESSIONS[mode] === undefined ? {} : { sessions: { maxSessions: 1_000_000 } }),
});

/** A new session (initialize, then initialized); its id. */
async function newSession(n: number): Promise<string> {
  const init = await tether(
    new Request(URL_, { method: "POST", headers: INIT_HEADERS, body: initializeBody(n) }),
  );
  await init.text();
  const id = init.headers.get("mcp-session-id")!;
  await (await tether(
    new Request(URL_, {
      method: "POST",
      headers: { ...POST_HEADERS, "mcp-session-id": id },
      body: INITIALIZED_BODY,
    }),
  )).text();
  return id;
}

let handler: (request: Request) => Promise<Response> = tether;
let headers: Record<string, string> = { ...POST_HEADERS };
/** The sessions the calls rotate over (the scale cases). */
const pool: string[] = [];
let body = (id: number) => echoCallBody(ID_SLOT).replace(ID_SLOT, String(id));
if (mode === "bare") handler = bareEchoHandler;
else if (mode === "2026") {
  headers = { ...POST_HEADERS, ...modernCallHeaders("echo") };
  body = (id: number) => modernEchoCallBody(ID_SLOT).replace(ID_SLOT, String(id));
} else if (SCALE_SESSIONS[mode] !== undefined) {
  const total = SCALE_SESSIONS[mode];
  let made = 0;
  const worker = async () => {
    while (made < total) pool.push(await newSession(++made));
  };
  await Promise.all(Array.from({ length: 64 }, worker)); // 64 at a time, as the admin route
} else {
  headers = { ...POST_HEADERS, "mcp-session-id": await newSession(1) };
}

for (let id = 10; id < 10 + count; id++) {
  const text = body(id);
  // Host and Content-Length, as every HTTP/1.1 client sends them.
  const request = new Request(URL_, {
    method: "POST",
    headers: {
      ...headers,
      host: "127.0.0.1",
      "content-length": String(text.length),
      ...(pool.length === 0 ? {} : { "mcp-session-id": pool[id % pool.length] }),
    },
    body: text,
  });
  const response = await handler(request);
  const answer = await response.text();
  if (response.status !== 200 || !answer.includes(`"id":${id}`)) {
    throw new Error(`${mode}: unexpected answer ${response.status} ${answer}`);
  }
}
await tether.close();
