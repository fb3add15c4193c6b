#!/usr/bin/env bash
# Runs the whole test suite on Node (20, via tsx), Deno and Bun, one after the
# other, prints one summary line, and fails if any runtime fails.
# Usage: npm test   (or: bash scripts/test_all.sh [test files...])
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
# node_modules/.bin holds the Node 22 used by the conformance CLI; tests run on the machine's Node.
NODE="${npm_node_execpath:-$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -v node_modules/.bin | paste -sd:) command -v node)}"
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find tests -name '*_test.ts' | sort); fi
logs=$(mktemp -d)
status=0

echo "== node $("$NODE" --version)"
"$NODE" --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}" 2>&1 | tee "$logs/node" || status=1
echo "== deno $(deno --version | head -1)"
NO_COLOR=1 deno test -A "${files[@]}" 2>&1 | tee "$logs/deno" || status=1
echo "== bun $(bun --version)"
bun test --timeout 30000 "${files[@]/#/./}" 2>&1 | tee "$logs/bun" || status=1

count() { grep -Eo "$2" "$logs/$1" | tail -1 | grep -Eo '[0-9]+' | head -1 || echo 0; }
node_pass=$(count node '^ℹ pass [0-9]+'); node_fail=$(count node '^ℹ fail [0-9]+')
# Deno counts each describe() as one test with steps: count the steps, as Node and Bun do.
deno_pass=$(grep -Eo '[0-9]+ passed( \([0-9]+ steps\))?' "$logs/deno" | tail -1 | grep -Eo '[0-9]+' | tail -1)
deno_fail=$(grep -Eo '[0-9]+ failed( \([0-9]+ steps\))?' "$logs/deno" | tail -1 | grep -Eo '[0-9]+' | tail -1)
bun_pass=$(count bun '^ *[0-9]+ pass'); bun_fail=$(count bun '^ *[0-9]+ fail')
echo
echo "node: ${node_pass:-0} passed, ${node_fail:-0} failed"
echo "deno: ${deno_pass:-0} passed, ${deno_fail:-0} failed"
echo "bun: ${bun_pass:-0} passed, ${bun_fail:-0} failed"
passed=$(( ${node_pass:-0} + ${deno_pass:-0} + ${bun_pass:-0} ))
failed=$(( ${node_fail:-0} + ${deno_fail:-0} + ${bun_fail:-0} ))
rm -rf "$logs"
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "total: $passed passed, $failed failed"
exit "$status"
