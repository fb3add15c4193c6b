#!/usr/bin/env bash
# Runs the whole test suite on Node (20, via tsx), Deno and Bun, one after the
# other, and fails if any runtime fails. Usage: npm test   (or bash scripts/test_all.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
# node_modules/.bin holds the Node 22 used by the conformance CLI; tests run on the machine's Node.
NODE="${npm_node_execpath:-$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -v node_modules/.bin | paste -sd:) command -v node)}"
mapfile -t files < <(find tests -name '*_test.ts' | sort)
status=0
echo "== node $("$NODE" --version)"
"$NODE" --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}" || status=1
echo "== deno $(deno --version | head -1)"
deno test -A --quiet "${files[@]}" || status=1
echo "== bun $(bun --version)"
bun test --timeout 30000 "${files[@]/#/./}" || status=1
if [ "$status" -eq 0 ]; then echo "all runtimes passed"; else echo "a runtime FAILED"; fi
exit "$status"
