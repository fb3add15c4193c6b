/**
 * The wrk side of a bench target: the traffic it sends and the check each response must pass
 * (`WrkTraffic`, `WrkCheck`), and the Lua script wrk runs for it (ids, the session rotation, the
 * checks, the counts printed at the end). Text only; bench/lib/wrk.ts runs wrk with it.
 * @module
 */

/** What makes one response right (besides status 200 and a pending id). */
export interface WrkCheck {
  /** Substrings every right body contains; `{id}` stands for the response's JSON-RPC id. */
  contains: readonly string[];
  /** Substrings a right body never contains. */
  excludes?: readonly string[];
  /** Exactly `count` occurrences of `needle`, the last one before `before`. */
  occurrences?: { needle: string; count: number; before: string };
  /** The body's minimum length in bytes. */
  minBytes?: number;
}

/** The traffic of one target: a request shape and its check. */
export interface WrkTraffic {
  headers: Readonly<Record<string, string>>;
  /** Session ids rotated over the requests as Mcp-Session-Id; empty for none. */
  sessions: readonly string[];
  /** The request body with `{id}` where the request id goes (any number of times). */
  body: string;
  check: WrkCheck;
  /**
   * The session-creation workload instead of one request shape: `body` is
   * the initialize request (`{id}` for its id), `headers` its headers; each
   * right initialize answer (status 200, a pending id, the `check` strings,
   * and a session id when `sessionful`) queues its session id, and the next
   * request of any connection is then `notifications/initialized` with
   * `followHeaders` and that session id, which must answer 202. One right
   * pair is one "ok" (a session made).
   */
  init?: {
    sessionful: boolean;
    followBody: string;
    followHeaders: Readonly<Record<string, string>>;
  };
  /**
   * The shortest slice for this target, seconds: for a server whose answers
   * take about a second (fastmcp's initialize), so a slice completes some.
   */
  minSlice?: number;
}

/** A server and the traffic to drive it with. */
export interface WrkTarget extends WrkTraffic {
  port: number;
  pid: number;
  /**
   * Every process whose CPU is the server's, read at each slice's start (a gateway and its
   * upstreams, their subprocesses among them); default `[pid]`. A process that ends inside the
   * slice counts for nothing.
   */
  pids?: () => readonly number[];
  path: string;
  connections: number;
}

function lua(text: string): string {
  return JSON.stringify(text); // JSON escapes are valid Lua escapes for these ASCII strings
}

/** A Lua expression for `text` with every `{id}` replaced by the Lua variable `name`. */
function withId(text: string, name: string): string {
  return text.split("{id}").map(lua).join(` .. ${name} .. `);
}

/**
 * The Lua script of the session-creation workload (see
 * {@linkcode WrkTraffic.init}). A session id issued to one connection may be
 * used on another: sessions are not bound to connections.
 */
function initScript(
  target: WrkTarget,
  init: NonNullable<WrkTraffic["init"]>,
  stopAfter: number | undefined,
): string {
  const table = (headers: Readonly<Record<string, string>>) =>
    Object.entries(headers).map(([name, value]) => `[${lua(name)}] = ${lua(value)}`).join(", ");
  const tests = target.check.contains.map((needle) =>
    `if not string.find(body, ${withId(needle, "id")}, 1, true) then return false end`
  );
  return `
local counter = 0
local pending = {}
local issued, head, tail = {}, 1, 0
local threads = {}
local first_headers = { ${table(target.headers)} }
local follow_headers = { ${table(init.followHeaders)} }
bad = 0
made = 0
first_bad = ""

function setup(thread) table.insert(threads, thread) end

function request()
  if head <= tail then
    local sid = issued[head]
    issued[head] = nil
    head = head + 1
    if sid ~= "" then follow_headers["mcp-session-id"] = sid else follow_headers["mcp-session-id"] = nil end
    return wrk.format("POST", ${lua(target.path)}, follow_headers, ${lua(init.followBody)})
  end
  counter = counter + 1
  pending[counter] = true
  local id = counter
  return wrk.format("POST", ${lua(target.path)}, first_headers, ${withId(target.body, "id")})
end

local function session_of(headers)
  for name, value in pairs(headers) do
    if string.lower(name) == "mcp-session-id" then return value end
  end
  return nil
end

local function right(status, headers, body)
  if status == 202 then made = made + 1; return true end
  if status ~= 200 then return false end
  local at = string.find(body, '"id":', 1, true)
  if not at then return false end
  local id = string.match(body, "^%d+", at + 5)
  if not id or not pending[tonumber(id)] then return false end
  pending[tonumber(id)] = nil
  ${tests.join("\n  ")}
  local sid = session_of(headers)
  if ${init.sessionful ? "not sid" : "false"} then return false end
  tail = tail + 1
  issued[tail] = sid or ""
  return true
end

function response(status, headers, body)
  if not right(status, headers, body) then
    bad = bad + 1
    if bad == 1 then first_bad = "status " .. status .. ": " .. string.sub(body, 1, 300) end
  end
  ${enough(stopAfter)}
end

function done(summary, latency)
  local total, ok, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    ok = ok + thread:get("made")
    if sample == "" then sample = thread:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    "TETHER_BAD %d\\nTETHER_OK %d\\nTETHER_REQUESTS %d\\nTETHER_ERRORS %d\\nTETHER_TIMEOUTS %d\\nTETHER_P50 %f\\nTETHER_P99 %f\\n",
    total, ok, summary.requests, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write("TETHER_BAD_SAMPLE " .. string.gsub(sample, "\\n", "\\\\n") .. "\\n")
end
`;
}

/** The marker a script writes to stderr once it has had `stopAfter` answers (wrk.ts stops wrk). */
export const ENOUGH_MARKER = "TETHER_ENOUGH";

/**
 * The Lua lines that end a thread's requests after `stopAfter` answers, right or wrong, and tell
 * the driver (on stderr, unbuffered) to stop wrk before its duration; none without a cap.
 */
function enough(stopAfter: number | undefined): string {
  if (stopAfter === undefined) return "";
  return `answered = (answered or 0) + 1
  if answered == ${stopAfter} then
    io.stderr:write("${ENOUGH_MARKER}\\n")
    io.stderr:flush()
    wrk.thread:stop()
  end`;
}

/**
 * The Lua script of one target; `sessionsPath` holds its session ids, one a line. With
 * `stopAfter`, its thread stops after that many answers (a smoke run's few requests).
 */
export function script(
  target: WrkTarget,
  sessionsPath: string | undefined,
  stopAfter?: number,
): string {
  if (target.init !== undefined) return initScript(target, target.init, stopAfter);
  const headers = Object.entries(target.headers).map(([name, value]) =>
    `[${lua(name)}] = ${lua(value)}`
  ).join(", ");
  const { check } = target;
  const tests = [
    ...(check.minBytes === undefined ? [] : [`if #body < ${check.minBytes} then return false end`]),
    ...check.contains.map((needle) =>
      `if not string.find(body, ${withId(needle, "id")}, 1, true) then return false end`
    ),
    ...(check.excludes ?? []).map((needle) =>
      `if string.find(body, ${withId(needle, "id")}, 1, true) then return false end`
    ),
  ];
  if (check.occurrences !== undefined) {
    const { needle, count, before } = check.occurrences;
    tests.push(`
  local seen, last, at = 0, 0, string.find(body, ${lua(needle)}, 1, true)
  while at do seen = seen + 1; last = at; at = string.find(body, ${lua(needle)}, at + 1, true) end
  local result = string.find(body, ${withId(before, "id")}, 1, true)
  if seen ~= ${count} or not result or last > result then return false end`);
  }
  return `
local counter = 0
local pending = {}
local threads = {}
local headers = { ${headers} }
local sessions = {}
${
    sessionsPath === undefined
      ? ""
      : `for line in io.lines(${lua(sessionsPath)}) do sessions[#sessions + 1] = line end`
  }
local session_count = #sessions
bad = 0
first_bad = ""

function setup(thread) table.insert(threads, thread) end

function request()
  counter = counter + 1
  pending[counter] = true
  if session_count > 0 then headers["mcp-session-id"] = sessions[counter % session_count + 1] end
  local id = counter
  return wrk.format("POST", ${lua(target.path)}, headers, ${withId(target.body, "id")})
end

local function right(status, body)
  if status ~= 200 then return false end
  local at = string.find(body, '"id":', 1, true)
  if not at then return false end
  local id = string.match(body, "^%d+", at + 5)
  if not id or not pending[tonumber(id)] then return false end
  pending[tonumber(id)] = nil
  ${tests.join("\n  ")}
  return true
end

function response(status, _, body)
  if not right(status, body) then
    bad = bad + 1
    if bad == 1 then first_bad = "status " .. status .. ": " .. string.sub(body, 1, 300) end
  end
  ${enough(stopAfter)}
end

function done(summary, latency)
  local total, sample = 0, ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    if sample == "" then sample = thread:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    "TETHER_BAD %d\\nTETHER_REQUESTS %d\\nTETHER_ERRORS %d\\nTETHER_TIMEOUTS %d\\nTETHER_P50 %f\\nTETHER_P99 %f\\n",
    total, summary.requests, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write("TETHER_BAD_SAMPLE " .. string.gsub(sample, "\\n", "\\\\n") .. "\\n")
end
`;
}
