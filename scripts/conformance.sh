#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# the version pinned in package.json) with `--suite all` (every scenario, the
# extensions' too: tasks), `--requirements 2025-11-25` and
# `--requirements 2026-07-28` (both eras, one endpoint) against
# examples/everything.ts served by each runtime: Deno, Bun and Node (24, stripping
# types natively), and on request workerd (Cloudflare Workers' runtime, through
# scripts/workerd_fixture.sh: the fixture in one Durable Object).
# Exits non-zero if any runtime fails. Needs `npm ci` first.
#
# gateway-deno, gateway-bun and gateway-node run the same suite through
# examples/gateway.ts (GATEWAY_NAMESPACE=none) in front of examples/everything.ts,
# both on that runtime, the gateway speaking 2025-11-25 to it (UPSTREAM_PROTOCOL=2025);
# gateway-modern-<runtime> lets the gateway negotiate (2026-07-28 with this upstream), where
# nothing may fail. What a 2025-11-25 upstream cannot carry is listed, with why, in
# scripts/conformance_gateway_expected.yml (the CLI's --expected-failures: any other
# failure, or a listed check that passes, fails).
#
# Usage: bash scripts/conformance.sh [deno|bun|node|workerd|gateway-<runtime>|gateway-modern-<runtime> ...]
#        (default: deno bun node)
# Environment:
#   NODE22                  Node >= 22 binary for the CLI (default: node_modules/node22/bin/node)
#   NODE24                  Node that runs the fixture (default: node_modules/node24/bin/node)
#   CONFORMANCE_BASE_PORT   serve on BASE, BASE+1, BASE+2 (default: 0 = a free port picked by the OS)
#   CONFORMANCE_TIMEOUT     seconds one CLI run may take (default 300)
#   CONFORMANCE_OUT         directory for logs and checks.json (default: a temp dir)
#   CONFORMANCE_REQUIREMENTS  requirement sets to run (default: "2025-11-25 2026-07-28")
#   CONFORMANCE_SUITE_ALL   1 (default) also runs `--suite all`; 0 skips it
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

runtimes=("$@")
[ "${#runtimes[@]}" -eq 0 ] && runtimes=(deno bun node)

CLI="$ROOT/node_modules/@modelcontextprotocol/conformance/dist/index.js"
NODE22="${NODE22:-$ROOT/node_modules/node22/bin/node}"
# Both Nodes are named by path: node_modules/.bin/node is whichever of the two npm linked last.
NODE24="${NODE24:-$ROOT/node_modules/node24/bin/node}"
BASE_PORT="${CONFORMANCE_BASE_PORT:-0}"
RUN_TIMEOUT="${CONFORMANCE_TIMEOUT:-300}"
# Both protocol eras are served on one endpoint: each requirement set must pass.
REQUIREMENTS="${CONFORMANCE_REQUIREMENTS:-2025-11-25 2026-07-28}"
# Each run: its name and the CLI's selection arguments.
RUNS=()
[ "${CONFORMANCE_SUITE_ALL:-1}" = "1" ] && RUNS+=("suite-all|--suite all")
for requirements in $REQUIREMENTS; do RUNS+=("$requirements|--requirements $requirements"); done
OUT="${CONFORMANCE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tether-conformance.XXXXXX")}"
mkdir -p "$OUT"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 NO_COLOR=1

for needed in "$CLI" "$NODE22" "$NODE24"; do
  if [ ! -e "$needed" ]; then echo "conformance: missing $needed (run npm ci)" >&2; exit 2; fi
done
if ! "$NODE22" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
  echo "conformance: $NODE22 is not Node >= 22 (the CLI needs fs.globSync)" >&2
  exit 2
fi

server_pids=()
stop_server() {
  local pid
  # Each fixture runs in its own process group (setsid), so any children it spawned go too.
  for pid in "${server_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  server_pids=()
}
servers_alive() {
  local pid
  for pid in "${server_pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

start_process() { # port log command...
  local port="$1" log="$2"
  shift 2
  if command -v setsid >/dev/null; then
    PORT="$port" setsid "$@" </dev/null >"$log" 2>&1 &
  else
    PORT="$port" "$@" </dev/null >"$log" 2>&1 &
  fi
  server_pids+=($!)
}

runtime_command() { # runtime file → the command that runs file on runtime
  case "$1" in
    deno) echo "$ROOT/node_modules/.bin/deno run -A $2" ;;
    bun) echo "$ROOT/node_modules/.bin/bun $2" ;;
    node) echo "$NODE24 $2" ;;
    *) return 1 ;;
  esac
}

start_server() { # runtime port log → sets url once the server answers
  local command
  case "$1" in
    gateway-*)
      # examples/everything.ts on a free port, then examples/gateway.ts in front of it (its
      # entries under their own names), both on the runtime named last.
      local gateway_runtime="${1##*-}" upstream_protocol=2025
      [[ "$1" == gateway-modern-* ]] && upstream_protocol=auto
      if ! command="$(runtime_command "$gateway_runtime" examples/everything.ts)"; then
        echo "conformance: unknown runtime $1" >&2
        return 1
      fi
      local upstream_log="${3%.log}-upstream.log" upstream_url
      # shellcheck disable=SC2086 # the command is words without spaces inside
      start_process 0 "$upstream_log" $command
      if ! upstream_url="$(wait_for_server "$upstream_log")"; then
        cat "$upstream_log" >&2
        return 1
      fi
      command="$(runtime_command "$gateway_runtime" examples/gateway.ts)"
      # shellcheck disable=SC2086
      UPSTREAM_URL="$upstream_url" UPSTREAM_PROTOCOL="$upstream_protocol" GATEWAY_NAMESPACE=none \
        start_process "$2" "$3" $command
      ;;
    workerd) start_process "$2" "$3" bash "$ROOT/scripts/workerd_fixture.sh" ;;
    workerd-isolate)
      start_process "$2" "$3" env WORKERD_MODE=isolate bash "$ROOT/scripts/workerd_fixture.sh"
      ;;
    *)
      if ! command="$(runtime_command "$1" examples/everything.ts)"; then
        echo "conformance: unknown runtime $1" >&2
        return 1
      fi
      # shellcheck disable=SC2086
      start_process "$2" "$3" $command
      ;;
  esac
  url="$(wait_for_server "$3")"
}

wait_for_server() { # log → prints the MCP URL once the server answers
  local url=""
  for _ in $(seq 1 300); do # up to 30 s (first runs compile and cache)
    if ! servers_alive; then return 1; fi
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$1" | head -1)"
    if [ -n "$url" ] && "$NODE22" -e '
      fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
        .then(() => process.exit(0), () => process.exit(1));' "$url" 2>/dev/null; then
      echo "$url"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

status=0
summary=()
index=0
for runtime in "${runtimes[@]}"; do
  port=0
  [ "$BASE_PORT" -ne 0 ] && port=$((BASE_PORT + index))
  index=$((index + 1))
  log="$OUT/$runtime-server.log"
  behind=""
  [[ "$runtime" == gateway-* ]] && behind=" behind examples/gateway.ts"
  echo "== $runtime: starting examples/everything.ts$behind"
  url=""
  if ! start_server "$runtime" "$port" "$log"; then
    echo "conformance: the $runtime server did not come up; its log:" >&2
    cat "$log" >&2 2>/dev/null
    stop_server
    status=1
    summary+=("$runtime: FAILED (server did not start)")
    continue
  fi
  for run in "${RUNS[@]}"; do
    requirements="${run%%|*}"
    read -r -a selection <<<"${run#*|}"
    baseline=()
    # Through a gateway that negotiates (2026-07-28 with this upstream) nothing may fail;
    # through a 2025-11-25 upstream, what that revision cannot carry is listed with why.
    if [[ "$runtime" == gateway-* && "$runtime" != gateway-modern-* ]]; then
      baseline=(--expected-failures "$ROOT/scripts/conformance_gateway_expected.yml")
    fi
    echo "== $runtime: conformance ${selection[*]} against $url"
    result="$OUT/$runtime-$requirements-conformance.txt"
    timeout --kill-after=10 "$RUN_TIMEOUT" "$NODE22" "$CLI" server --url "$url" "${selection[@]}" \
      "${baseline[@]}" -o "$OUT/$runtime-$requirements-results" </dev/null >"$result" 2>&1
    code=$?
    # The per-scenario lines and the totals; the full output stays in $result.
    sed 's/\x1b\[[0-9;]*m//g' "$result" | grep -E '^(✓|✗|Total:|Not scored|  [✓✗~])' || true
    # The exit code counts the scored scenarios only: a failed check anywhere fails the run too
    # (with a baseline, the CLI's exit code already counts every check against it).
    failed_checks="$(sed 's/\x1b\[[0-9;]*m//g' "$result" |
      sed -n 's/^Total: [0-9]* passed, \([0-9]*\) failed.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')"
    [ "$code" -eq 0 ] && [ "${#baseline[@]}" -eq 0 ] && [ "$failed_checks" -ne 0 ] && code=1
    if [ "$code" -eq 0 ]; then
      summary+=("$runtime $requirements: passed")
    else
      [ "$code" -eq 124 ] && echo "conformance: timed out after ${RUN_TIMEOUT}s" >&2
      echo "conformance: $runtime $requirements failed (exit $code); full output: $result" >&2
      sed 's/\x1b\[[0-9;]*m//g' "$result" |
        grep -E 'FAILURE|WARNING|Failed to run|Stale baseline|Unexpected failures|^  [✓✗] ' | head -40 >&2 || true
      status=1
      summary+=("$runtime $requirements: FAILED (exit $code)")
    fi
  done
  # The fixture must have survived every scenario, the unimplemented extensions included.
  if ! servers_alive; then
    echo "conformance: the $runtime server died during the run; its log:" >&2
    tail -40 "$log" >&2
    status=1
    summary+=("$runtime: FAILED (server died)")
  fi
  stop_server
done

echo "== conformance summary (logs in $OUT)"
printf '  %s\n' "${summary[@]}"
exit "$status"
