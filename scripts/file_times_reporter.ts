/**
 * A `node --test` reporter that writes one line per test file: its path and
 * its wall time in milliseconds. With a process per file (the default) the
 * runner reports the file itself as a test whose duration is the child's
 * whole run; with `--test-isolation=none` (the unit mode) there is no such
 * event, and the file's time is its top-level tests' durations summed.
 * `scripts/test_all.sh` adds it beside the spec reporter, and
 * `scripts/test_times.ts` reads what it wrote. It judges nothing: a slow file
 * is reported, never failed.
 *
 *   node --test --test-reporter=spec --test-reporter-destination=stdout \
 *     --test-reporter=./scripts/file_times_reporter.ts \
 *     --test-reporter-destination=/tmp/node24.times tests/unit/jsonrpc/messages_test.ts
 */

/** One event of `node:test`'s reporter stream, the fields read here. */
interface TestEvent {
  type: string;
  data?: {
    file?: string;
    name?: string;
    nesting?: number;
    details?: { duration_ms?: number };
  };
}

/**
 * The reporter: consumes the event stream, yields `path<TAB>ms` lines at its end.
 *
 * @example
 * ```ts ignore (a reporter is loaded by node --test, not called)
 * for await (const line of fileTimesReporter(events)) process.stdout.write(line);
 * ```
 */
export default async function* fileTimesReporter(
  source: AsyncIterable<TestEvent>,
): AsyncGenerator<string> {
  const whole = new Map<string, number>();
  const summed = new Map<string, number>();
  for await (const { type, data } of source) {
    const file = data?.file;
    if (!file || data.nesting !== 0) continue;
    const ms = data.details?.duration_ms ?? 0;
    // The file's own entry is named by its path relative to where the runner started.
    if (type === "test:complete" && data.name && file.endsWith(data.name)) whole.set(file, ms);
    else if (type === "test:pass" || type === "test:fail") {
      summed.set(file, (summed.get(file) ?? 0) + ms);
    }
  }
  // A test's `file` is where it was declared: a helper module that declares tests for its
  // callers (a contract suite, a rig's `describe`) shows up there too. With a process per file
  // the files' own entries are the whole story, so the summed ones are left out.
  for (const [file, ms] of whole.size > 0 ? whole : summed) yield `${file}\t${Math.round(ms)}\n`;
}
