#!/usr/bin/env bash
# The release rehearsal: runs the checks (one version everywhere, erasable syntax, layers, format,
# lint, types and docs), builds the API reference and both packages, and dry-runs both publishes:
# `deno publish --dry-run` (JSR, the primary target) and `npm publish --dry-run` on the packed
# tarball. Publishes nothing and reaches no network beyond npm registry reads; a real release runs
# the two publish commands it prints at the end, by hand.
# Usage: npm run release [-- --allow-dirty]   (--allow-dirty: rehearse on uncommitted changes)
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
NODE="${NODE24:-$PWD/node_modules/node24/bin/node}"
DENO="$PWD/node_modules/.bin/deno"
dirty=()
if [ "${1:-}" = "--allow-dirty" ]; then dirty=(--allow-dirty); fi
entries=$("$NODE" -e 'console.log(Object.values(JSON.parse(require("fs").readFileSync("deno.json","utf8")).exports).join(" "))')

echo "== one version: deno.json, CHANGELOG.md, the npm package.json"
"$NODE" scripts/check_versions.ts
echo "== erasable syntax, layer rules"
"$NODE" scripts/check_erasable.ts
"$NODE" scripts/check_layers.ts
"$NODE" scripts/check_store_callers.ts
echo "== format, lint, types, docs"
"$DENO" fmt --check
"$DENO" lint
# shellcheck disable=SC2046,SC2086
"$DENO" check --doc mod.ts $(find src examples -name "*.ts")
# shellcheck disable=SC2086
"$DENO" doc --lint $entries
echo "== API reference (dist/api)"
"$NODE" scripts/docs_api.ts | tail -1
echo "== npm package (dist/npm)"
packed=$("$NODE" scripts/pack_npm.ts)
echo "$packed" | tail -2
tarball=$(echo "$packed" | tail -1)
"$NODE" scripts/check_versions.ts --tarball "$tarball"
echo "== JSR: deno publish --dry-run"
"$DENO" publish --dry-run "${dirty[@]}"
echo "== npm: npm publish --dry-run $tarball"
npm publish --dry-run --access public --ignore-scripts "$tarball"
version=$("$NODE" -p 'JSON.parse(require("fs").readFileSync("deno.json","utf8")).version')
echo
echo "release $version rehearsed. To publish for real: deno publish && npm publish --access public $tarball"
