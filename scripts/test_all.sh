#!/usr/bin/env bash
# Runs the test suite on Node 24 (the current LTS) and Node 22 (the oldest
# supported), both stripping types natively (no tsx), on Deno and on Bun: every
# file on Node 24, and on the others the rooms tests/rooms.ts gives them (what
# depends on the runtime); prints one line per runtime, the slowest files of
# each (scripts/test_times.ts) and a total, and fails if any runtime fails.
# The suite mostly waits (sockets, child processes, Redis rigs), so runtimes run
# at once in lanes, each printing its whole log when it ends: TEST_LANES=3 (the
# default: Node 24, which has the most files and runs NODE24_CONCURRENCY of them
# at a time (default 2); Node 22 then Deno; Bun), 2 (Node 24 then Bun beside
# Node 22 then Deno), 4 (all at once); TEST_LANES=1 runs them one after the
# other with live output.
# Usage: npm test   (or: bash scripts/test_all.sh [test files or folders...]);
# npm run test:unit runs tests/unit and tests/contracts (no sockets, no child processes) with
# TEST_MODE=unit: each Node runs every file in one process (no per-file process start-up), Deno
# runs them through DENO_JOBS modules that import them (one worker each, not one per file) and
# skips type-checking the tests (as Node and Bun do; the full run checks them).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
# Each Node is named by its path: node_modules/.bin/node is whichever of the two npm linked last,
# and the machine's own Node may be older than 22.18 (no type stripping).
NODE24="${NODE24:-$PWD/node_modules/node24/bin/node}"
NODE22="${NODE22:-$PWD/node_modules/node22/bin/node}"
for needed in "$NODE24" "$NODE22" node_modules/.bin/deno node_modules/.bin/bun; do
  if [ ! -x "$needed" ]; then echo "test_all: missing $needed (run npm ci)" >&2; exit 2; fi
done
# With no arguments: the end-to-end rooms first, then the in-process ones, so the long files
# start early and the short ones fill the end (a runner starts files in the order given).
files=()
if [ "$#" -eq 0 ]; then
  mapfile -t files < <(find tests/e2e -name '*_test.ts' | sort)
  mapfile -t -O "${#files[@]}" files < <(find tests -name '*_test.ts' -not -path 'tests/e2e/*' | sort)
fi
for target in "$@"; do
  if [ -d "$target" ]; then mapfile -t -O "${#files[@]}" files < <(find "$target" -name '*_test.ts' | sort)
  else files+=("$target"); fi
done
logs=$(mktemp -d)
status=0
# Each runtime runs the rooms tests/rooms.ts gives it (every test on Node 24; what depends on
# the runtime on all four); TEST_ALL_RUNTIMES=1 runs every file given on every runtime.
for runtime in node24 node22 deno bun; do
  if [ "${TEST_ALL_RUNTIMES:-}" = 1 ]; then printf '%s\n' "${files[@]}"
  else "$NODE24" scripts/test_rooms.ts "$runtime" "${files[@]}"; fi >"$logs/$runtime.files" || exit 2
done
files_of() { mapfile -t runtime_files <"$logs/$1.files"; }

unit=false
[ "${TEST_MODE:-}" = unit ] && unit=true
run_node() { # label binary
  local isolation=() runtime_files
  files_of "$1"
  if $unit; then # Node 22 has the flag under its experimental name
    if [ "$1" = node22 ]; then isolation=(--experimental-test-isolation=none)
    else isolation=(--test-isolation=none); fi
  fi
  local concurrency=2
  [ "$1" = node24 ] && concurrency="${NODE24_CONCURRENCY:-2}"
  "$2" --test "${isolation[@]}" --test-concurrency="$concurrency" --test-reporter=spec \
    --test-reporter-destination=stdout --test-reporter=./scripts/file_times_reporter.ts \
    --test-reporter-destination="$logs/$1.times" "${runtime_files[@]}"
}
# Two test files at a time on every runtime, as Node's --test-concurrency=2: the suite mostly
# waits (sockets, child processes, Redis), so two files overlap their waits.
# A worker per file loads the module graph again each time: in unit mode that was 3/4 of Deno's
# CPU, so the files go round-robin into DENO_JOBS entry modules (a failure's stack still names its file).
deno_targets() {
  local runtime_files
  files_of deno
  if ! $unit; then printf '%s\n' "${runtime_files[@]}"; return; fi
  local jobs="${DENO_JOBS:-2}" index=0 file path
  for file in "${runtime_files[@]}"; do
    case "$file" in /*) path="$file" ;; *) path="$PWD/$file" ;; esac
    printf 'import "%s";\n' "$path" >>"$logs/deno_unit_$((index % jobs)).ts"
    index=$((index + 1))
  done
  for ((i = 0; i < jobs && i < index; i++)); do echo "$logs/deno_unit_$i.ts"; done
}
run_deno() {
  local deno_check=() deno_files=()
  $unit && deno_check=(--no-check)
  mapfile -t deno_files < <(deno_targets)
  DENO_JOBS="${DENO_JOBS:-2}" NO_COLOR=1 deno test -A --parallel "${deno_check[@]}" \
    --junit-path="$logs/deno.xml" "${deno_files[@]}"
}
# Bun's runner fails a test, or a hook such as a rig's start, past its --timeout (5 s unless
# given); Node's and Deno's runners set none, and every wait in a test has its own deadline. At
# 30 s, a before() starting workerd or the Inspector CLI beside the other lanes was cut on a loaded
# machine while the same file passed on the other runtimes: 120 s is a hang guard, not a judge.
run_bun() {
  local runtime_files
  files_of bun
  bun test --parallel=2 --timeout 120000 --reporter=junit --reporter-outfile="$logs/bun.xml" \
    "${runtime_files[@]/#/./}"
}
version_of() {
  case "$1" in
    node24) "$NODE24" --version ;;
    node22) "$NODE22" --version ;;
    deno) deno --version | head -1 ;;
    bun) bun --version ;;
  esac
}
run_runtime() { # label: runs that runtime's suite, its output on stdout
  if [ ! -s "$logs/$1.files" ]; then echo "no test file of these runs on $1"; return 0; fi
  case "$1" in
    node24) run_node node24 "$NODE24" ;;
    node22) run_node node22 "$NODE22" ;;
    deno) run_deno ;;
    bun) run_bun ;;
  esac
}
lanes="${TEST_LANES:-3}"
if [ "$lanes" = 1 ]; then
  for runtime in node24 node22 deno bun; do
    echo "== $runtime $(version_of "$runtime")"
    start=$SECONDS
    run_runtime "$runtime" 2>&1 | tee "$logs/$runtime" || status=1
    echo "== $runtime took $((SECONDS - start)) s"
  done
else
  lane() { # runtimes...: one after the other; each log printed whole when it ends
    for runtime in "$@"; do
      local start=$SECONDS code=0
      run_runtime "$runtime" >"$logs/$runtime" 2>&1 || code=$?
      [ "$code" -ne 0 ] && echo "$runtime" >>"$logs/failed"
      {
        flock 9
        echo "== $runtime $(version_of "$runtime")"
        cat "$logs/$runtime"
        echo "== $runtime took $((SECONDS - start)) s (exit $code)"
      } 9>"$logs/print.lock"
    done
  }
  # Progress while the lanes run (their logs print whole only when each ends): every
  # TEST_PROGRESS_SECONDS (default 60; 0 for none), the tests (Node: and suites) each runtime has
  # passed and failed so far.
  live() { # runtime: "passed failed" so far, from its reporter's per-test lines
    local log="$logs/$1" ok bad
    [ -f "$log" ] || { echo "waiting"; return; }
    case "$1" in
      node24 | node22) ok='^ *✔ ' bad='^ *✖ ' ;;
      deno) ok=' \.\.\. ok' bad=' \.\.\. FAILED' ;;
      bun) ok='^\(pass\) ' bad='^\(fail\) ' ;;
    esac
    echo "$(grep -Ec "$ok" "$log") ok, $(grep -Ec "$bad" "$log") failing"
  }
  progress() {
    local every="${TEST_PROGRESS_SECONDS:-60}" line runtime
    [ "$every" -gt 0 ] || return 0
    while sleep "$every"; do
      line="-- $((SECONDS / 60)) min:"
      for runtime in node24 node22 deno bun; do line="$line $runtime $(live "$runtime");"; done
      { flock 9; echo "${line%;}"; } 9>"$logs/print.lock"
    done
  }
  case "$lanes" in
    2) lane node24 bun & lane node22 deno & ;;
    3) lane node24 & lane node22 deno & lane bun & ;;
    *) lane node24 & lane node22 & lane deno & lane bun & ;;
  esac
  lane_pids=$(jobs -p)
  progress &
  ticker=$!
  for pid in $lane_pids; do wait "$pid"; done
  kill "$ticker" 2>/dev/null
  wait "$ticker" 2>/dev/null
  [ -s "$logs/failed" ] && status=1
fi

count() { grep -Eo "$2" "$logs/$1" | tail -1 | grep -Eo '[0-9]+' | head -1 || echo 0; }
declare -A pass fail
for node in node24 node22; do
  pass[$node]=$(count "$node" '^ℹ pass [0-9]+'); fail[$node]=$(count "$node" '^ℹ fail [0-9]+')
done
# Deno counts each describe() as one test with steps: count the steps, as Node and Bun do.
pass[deno]=$(grep -Eo '[0-9]+ passed( \([0-9]+ steps\))?' "$logs/deno" | tail -1 | grep -Eo '[0-9]+' | tail -1)
fail[deno]=$(grep -Eo '[0-9]+ failed( \([0-9]+ steps\))?' "$logs/deno" | tail -1 | grep -Eo '[0-9]+' | tail -1)
pass[bun]=$(count bun '^ *[0-9]+ pass'); fail[bun]=$(count bun '^ *[0-9]+ fail')
# The failures again, just above the totals (a CI log may keep only its tail): each runtime's
# failing tests by name, with the first lines of their errors.
failures() { # runtime: its failing tests, from its own reporter's summary
  case "$1" in
    node24 | node22) sed -n '/^✖ failing tests:/,$p' "$logs/$1" | grep -v '^ℹ ' ;;
    deno) sed -n '/^ *ERRORS *$/,/^ *FAILURES *$/p' "$logs/$1" | head -n 40
      sed -n '/^ *FAILURES *$/,/^FAILED/p' "$logs/$1" | grep -F '=>' ;;
    bun) grep -B 16 '^(fail) ' "$logs/$1" | grep -Ev '^\(pass\) |^ +[a-zA-Z]+: .*,$|^ *code: ' ;;
  esac | grep -Ev '^ +at (async |.*node:(internal|async_hooks|test)|Test\.|Suite\.)'
}
for runtime in node24 node22 deno bun; do
  if [ "${fail[$runtime]:-0}" != 0 ] || grep -qx "$runtime" "$logs/failed" 2>/dev/null; then
    echo
    echo "== failed on $runtime:"
    failures "$runtime" | head -n 60
  fi
done
echo
passed=0
failed=0
for runtime in node24 node22 deno bun; do
  echo "$runtime: ${pass[$runtime]:-0} passed, ${fail[$runtime]:-0} failed"
  passed=$((passed + ${pass[$runtime]:-0}))
  failed=$((failed + ${fail[$runtime]:-0}))
done
# Where the time went: each runtime's slowest files, and any over a file's budget.
echo
"$NODE24" scripts/test_times.ts "$logs" --slowest "${TEST_SLOWEST:-20}" || true
rm -rf "$logs"
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "total: $passed passed, $failed failed, in $SECONDS s"
exit "$status"
