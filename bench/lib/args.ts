/**
 * `--name value` options of the bench scripts that take a few (tree_pair.ts,
 * gateway_cost.ts): the value after the flag, or a fallback.
 */

/** An option reader over `argv`: the value after `--name`, else `fallback`. */
export function optionReader(argv: readonly string[]): (name: string, fallback: string) => string {
  return (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? fallback : argv[i + 1];
  };
}
