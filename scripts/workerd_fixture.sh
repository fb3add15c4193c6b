#!/usr/bin/env bash
# Serves the everything fixture (examples/everything.ts, through
# examples/cloudflare/worker.ts) on workerd, Cloudflare Workers' runtime from
# npm, at http://127.0.0.1:$PORT/mcp, in the foreground until SIGTERM or
# SIGINT. esbuild bundles the Worker into one module; a capnp config written
# to a temporary directory binds it. No nodejs_compat flag: the Worker runs
# on web APIs alone.
#
# Usage: PORT=8787 bash scripts/workerd_fixture.sh
# Environment:
#   PORT           the port (default 8787; 0 picks a free one). Prints
#                  "tether everything fixture listening on http://127.0.0.1:PORT/mcp"
#                  once workerd accepts connections.
#   WORKERD_MODE   durable-object (default): every request goes to one Durable
#                  Object (examples/cloudflare/worker.ts's McpObject), which
#                  serves everything, both eras whole. isolate: no object; the
#                  handler created at the Worker's module scope serves each
#                  request in the isolate (the settings below do not apply).
#   SESSION_IDLE_MS, SESSION_MAX, BODY_TIMEOUT_MS, RATE_LIMIT_PER_MINUTE,
#   REQUIRE_HEADER, MAX_CONCURRENT_REQUESTS, MCP_STATE_KEY
#                  passed to the Worker as text bindings when set, and read by
#                  the object's handler as the fixture reads them. workerd
#                  reports no peer address, so RATE_LIMIT_PER_MINUTE is one
#                  bucket for all clients.
#   REDIS_URL, REDIS_PREFIX, INSTANCE_TIMEOUT_MS, POSTGRES_URL
#                  not passed: a Worker has no Redis or Postgres client here
#                  (node-redis and postgres.js's Node build need TCP sockets);
#                  the Durable Object is the shared state.
#   UPSTREAM_URL   passed as a text binding too (durable-object), for a gateway Worker such as
#                  tests/e2e/edge/gateway_worker.ts.
#   ALLOW_LOOPBACK 1: the Worker's fetches may reach loopback and private addresses (workerd's
#                  default outbound network is public addresses only), e.g. an upstream the
#                  test serves on 127.0.0.1. Default: public only.
#   WORKER_CONDITIONS  extra esbuild export conditions, comma-separated (wrangler bundles with
#                  workerd,worker,browser; the SDK client's pkce-challenge needs browser). Default: none.
#   WORKER_ENTRY   the Worker module to bundle (default examples/cloudflare/worker.ts; another
#                  one, such as tests/e2e/edge/three_schemas_worker.ts, runs with WORKERD_MODE=isolate,
#                  or exports McpObject and runs with durable-object, as tests/e2e/edge/telemetry_worker.ts)
#   WORKERD, ESBUILD  the binaries (default: workerd from npm's @cloudflare/workerd-linux-64 or
#                     -linux-arm64 package, an optional dependency; node_modules/.bin/esbuild)
#   NODE24         the Node that picks a free port for PORT=0 (default: node_modules/node24/bin/node)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
# The platform package itself (the `workerd` meta-package lists macOS and Windows builds the registry
# mirror here does not hold, which `npm ci` refuses): Linux, x64 or arm64.
case "$(uname -m)" in aarch64 | arm64) workerd_arch=arm64 ;; *) workerd_arch=64 ;; esac
WORKERD="${WORKERD:-$ROOT/node_modules/@cloudflare/workerd-linux-$workerd_arch/bin/workerd}"
ESBUILD="${ESBUILD:-$ROOT/node_modules/.bin/esbuild}"
MODE="${WORKERD_MODE:-durable-object}"
ENTRY="${WORKER_ENTRY:-examples/cloudflare/worker.ts}"
for needed in "$WORKERD" "$ESBUILD"; do
  if [ ! -x "$needed" ]; then echo "workerd_fixture: missing $needed (run npm ci)" >&2; exit 2; fi
done
case "$MODE" in
  durable-object | isolate) ;;
  *) echo "workerd_fixture: WORKERD_MODE must be durable-object or isolate, got $MODE" >&2; exit 2 ;;
esac

port="${PORT:-8787}"
if [ "$port" = 0 ]; then
  # workerd reports no bound port: ask the kernel for a free one, then bind it.
  port="$("${NODE24:-$ROOT/node_modules/node24/bin/node}" -e '
    const server = require("node:net").createServer();
    server.listen(0, "127.0.0.1", () => { console.log(server.address().port); server.close(); });')"
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/tether-workerd.XXXXXX")"
workerd_pid=""
cleanup() {
  if [ -n "$workerd_pid" ]; then
    kill -TERM "$workerd_pid" 2>/dev/null || true
    wait "$workerd_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# The fixture loads serve.ts (a Node/Deno/Bun server), the Redis backend and the OpenTelemetry SDK
# (otel.ts, with OTEL_EXPORTER_OTLP_ENDPOINT) only when it is the program's entry point, never on a
# Worker: leave them out of the bundle.
"$ESBUILD" "$ENTRY" --bundle --format=esm --platform=neutral \
  --main-fields=module,main --external:./serve.ts --external:../src/redis/mod.ts --external:../src/postgres/mod.ts \
  --external:./otel.ts --external:cloudflare:workers \
  ${WORKER_CONDITIONS:+--conditions="$WORKER_CONDITIONS"} \
  --outfile="$dir/worker.js" --log-level=warning

capnp_string() { # value → a capnp string literal
  local escaped="${1//\\/\\\\}"
  printf '"%s"' "${escaped//\"/\\\"}"
}

bindings=()
objects=""
if [ "$MODE" = durable-object ]; then
  bindings+=('(name = "MCP_OBJECT", durableObjectNamespace = "McpObject")')
  objects='durableObjectNamespaces = [ (className = "McpObject", uniqueKey = "tether-everything") ],
  durableObjectStorage = (inMemory = void),'
  for name in SESSION_IDLE_MS SESSION_MAX BODY_TIMEOUT_MS RATE_LIMIT_PER_MINUTE REQUIRE_HEADER \
    MAX_CONCURRENT_REQUESTS MAX_CONCURRENT_REQUESTS_PER_PRINCIPAL MAX_SESSIONS_PER_PRINCIPAL \
    MAX_ANONYMOUS_SESSIONS RATE_LIMIT_PER_PRINCIPAL MCP_STATE_KEY UPSTREAM_URL; do
    value="${!name:-}"
    [ -n "$value" ] && bindings+=("(name = \"$name\", text = $(capnp_string "$value"))")
  done
fi
binding_list=""
for binding in "${bindings[@]+"${bindings[@]}"}"; do
  binding_list="${binding_list:+$binding_list, }$binding"
done

services='(name = "main", worker = .worker)'
if [ "${ALLOW_LOOPBACK:-}" = 1 ]; then
  # Replaces workerd's default "internet" service (the Worker's global outbound).
  services="$services, (name = \"internet\", network = (allow = [\"public\", \"private\", \"local\"]))"
fi

cat >"$dir/config.capnp" <<EOF
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ $services ],
  sockets = [ (name = "http", address = "127.0.0.1:$port", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2026-11-01",
  bindings = [ $binding_list ],
  $objects
);
EOF

"$WORKERD" serve "$dir/config.capnp" &
workerd_pid=$!
for _ in $(seq 1 300); do # up to 30 s
  if ! kill -0 "$workerd_pid" 2>/dev/null; then
    wait "$workerd_pid" || exit $?
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "tether everything fixture ($MODE) listening on http://127.0.0.1:$port/mcp"
    break
  fi
  sleep 0.1
done
# `wait` returns early when a trapped signal arrives, so the trap runs at once.
wait "$workerd_pid"
