/**
 * Prints, one a line, the test files of the arguments that run on one runtime under
 * `npm test` (`tests/rooms.ts` says which room runs where), the files of `SLOW_FILES` first
 * (a runner starts files in the order given: the longest start early, the short ones fill
 * the end), the others in the order given. `scripts/test_all.sh`
 * calls it once per runtime; `TEST_ALL_RUNTIMES=1` there skips it. With `--moved`, it
 * prints instead the Markdown list of docs/development.md: each folder's files that
 * do not run on every runtime, with the runtimes they run on.
 *
 *   node_modules/node24/bin/node scripts/test_rooms.ts deno tests/e2e/redis/failover_test.ts
 *   node_modules/node24/bin/node scripts/test_rooms.ts --moved $(find tests -name '*_test.ts')
 */

import { EVERY_RUNTIME, type Runtime, runtimesOf, SLOW_FILES } from "../tests/rooms.ts";

const [runtime, ...files] = process.argv.slice(2);
if (runtime === "--moved") {
  const groups = new Map<string, string[]>();
  for (const file of [...files].sort()) {
    const runtimes = runtimesOf(file);
    if (runtimes.length === EVERY_RUNTIME.length) continue;
    const slash = file.lastIndexOf("/");
    const key = `${file.slice(0, slash + 1)}\t${runtimes.join(", ")}`;
    groups.set(key, [...(groups.get(key) ?? []), file.slice(slash + 1).replace(/_test\.ts$/, "")]);
  }
  for (const [key, names] of groups) {
    const [folder, runtimes] = key.split("\t");
    console.log(`- \`${folder}\` (${names.length}; ${runtimes} only): ${names.join(", ")}`);
  }
} else if (EVERY_RUNTIME.includes(runtime as Runtime)) {
  const slow = (file: string) => Object.hasOwn(SLOW_FILES, file.replace(/^\.\//, ""));
  const here = files.filter((file) => runtimesOf(file).includes(runtime as Runtime));
  for (const file of [...here.filter(slow), ...here.filter((file) => !slow(file))]) {
    console.log(file);
  }
} else {
  console.error(`usage: test_rooms.ts <${EVERY_RUNTIME.join("|")}|--moved> <test files...>`);
  process.exit(2);
}
