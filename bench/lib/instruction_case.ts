/**
 * One case of bench/instructions.ts, run under valgrind: calls a handler in
 * process `count` times with built `Request`s and checks every answer.
 *
 *   <runtime> bench/lib/instruction_case.ts <tree> <bare|legacy|2026> <count>
 *
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
} from "./protocol.ts";

const argv = typeof Deno !== "undefined" ? Deno.args : process.argv.slice(2);
const [tree, mode, countArg] = argv;
const count = Number(countArg);
if (!["bare", "legacy", "2026"].includes(mode) || !(count > 0)) {
  throw new Error("usage: instruction_case.ts <tree> <bare|legacy|2026> <count>");
}
const { createMcpHandler } = await import(`${tree}/mod.ts`);
const { echoTool } = await import(`${tree}/bench/lib/echo_tool.ts`);
const URL_ = `http://127.0.0.1${MCP_PATH}`;

const tether = createMcpHandler({
  name: "bench-instructions",
  version: "1.0.0",
  tools: [echoTool],
});

let handler: (request: Request) => Promise<Response> = tether;
let headers: Record<string, string> = { ...POST_HEADERS };
let body = (id: number) => echoCallBody(ID_SLOT).replace(ID_SLOT, String(id));
if (mode === "bare") handler = bareEchoHandler;
else if (mode === "2026") {
  headers = { ...POST_HEADERS, ...modernCallHeaders("echo") };
  body = (id: number) => modernEchoCallBody(ID_SLOT).replace(ID_SLOT, String(id));
} else {
  const init = await tether(
    new Request(URL_, { method: "POST", headers: INIT_HEADERS, body: initializeBody(1) }),
  );
  await init.text();
  headers = { ...POST_HEADERS, "mcp-session-id": init.headers.get("mcp-session-id")! };
  await (await tether(
    new Request(URL_, { method: "POST", headers, body: INITIALIZED_BODY }),
  )).text();
}

for (let id = 10; id < 10 + count; id++) {
  const text = body(id);
  // Host and Content-Length, as every HTTP/1.1 client sends them.
  const request = new Request(URL_, {
    method: "POST",
    headers: { ...headers, host: "127.0.0.1", "content-length": String(text.length) },
    body: text,
  });
  const response = await handler(request);
  const answer = await response.text();
  if (response.status !== 200 || !answer.includes(`"id":${id}`)) {
    throw new Error(`${mode}: unexpected answer ${response.status} ${answer}`);
  }
}
await tether.close();
