/**
 * Reads what bench/lab/cache_profile.ts records: a `valgrind --tool=callgrind
 * --cache-sim=yes --branch-sim=yes --dump-instr=yes` dump, whose costs are
 * per instruction address, and V8's perf map (`--perf-basic-prof`), which
 * names the JIT code at those addresses. Together they give each function's
 * own instructions, simulated cache misses and mispredicted branches, where
 * callgrind alone names only symbols (none in Deno's stripped binary, none
 * for JIT code). It reads files; it runs nothing.
 * @module
 */

/** One piece of JIT code in a perf map: where it starts, its size, its name. */
export interface MappedCode {
  start: number;
  size: number;
  name: string;
}

/**
 * The entries of a perf map (`<start hex> <size hex> <name>` per line),
 * ordered by start for {@linkcode nameAt}.
 *
 * @example
 * ```ts
 * import { nameAt, parsePerfMap } from "./callgrind.ts";
 * const map = parsePerfMap("7f00 20 JS:*walk file:///src/entry/steps.ts:339:25\n");
 * nameAt(map, 0x7f10); // "JS:*walk file:///src/entry/steps.ts:339:25"
 * ```
 */
export function parsePerfMap(text: string): MappedCode[] {
  const code: MappedCode[] = [];
  for (const line of text.split("\n")) {
    const first = line.indexOf(" ");
    const second = line.indexOf(" ", first + 1);
    if (first === -1 || second === -1) continue;
    const start = parseInt(line.slice(0, first), 16);
    const size = parseInt(line.slice(first + 1, second), 16);
    if (Number.isNaN(start) || Number.isNaN(size)) continue;
    code.push({ start, size, name: line.slice(second + 1) });
  }
  return code.sort((a, b) => a.start - b.start);
}

/** The name of the code that holds `address` in `map` (sorted by start), or undefined. */
export function nameAt(map: readonly MappedCode[], address: number): string | undefined {
  let low = 0;
  let high = map.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (map[middle].start <= address) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (found === -1) return undefined;
  const code = map[found];
  return address < code.start + code.size ? code.name : undefined;
}

/** What one function did in the window, summed over its instructions. */
export interface FunctionCost {
  /** Instructions executed. */
  instructions: number;
  /** First-level instruction cache misses. */
  i1Misses: number;
  /** First-level data cache misses, reads and writes. */
  d1Misses: number;
  /** Last-level misses, instructions and data. */
  llMisses: number;
  /** Conditional and indirect branches mispredicted. */
  mispredicts: number;
}

/**
 * A cycle estimate: one per instruction, 10 more per first-level miss or
 * misprediction, 100 more per last-level miss (KCachegrind's weights). A
 * model that ranks code by how it uses the caches, not a cycle count.
 */
export function cycleEstimate(cost: FunctionCost): number {
  return cost.instructions + 10 * (cost.i1Misses + cost.d1Misses + cost.mispredicts) +
    100 * cost.llMisses;
}

/** The events of a callgrind dump that {@linkcode FunctionCost} adds up, per field. */
const EVENTS: Record<keyof FunctionCost, readonly string[]> = {
  instructions: ["Ir"],
  i1Misses: ["I1mr"],
  d1Misses: ["D1mr", "D1mw"],
  llMisses: ["ILmr", "DLmr", "DLmw"],
  mispredicts: ["Bcm", "Bim"],
};

/** A zero cost, to add into. */
function noCost(): FunctionCost {
  return { instructions: 0, i1Misses: 0, d1Misses: 0, llMisses: 0, mispredicts: 0 };
}

/**
 * The sum of `costs`: a window's whole cost from its functions' own.
 *
 * @example
 * ```ts
 * import { totalCost } from "./callgrind.ts";
 * totalCost([{ instructions: 5, i1Misses: 1, d1Misses: 0, llMisses: 0, mispredicts: 0 }]).instructions; // 5
 * ```
 */
export function totalCost(costs: Iterable<FunctionCost>): FunctionCost {
  const total = noCost();
  for (const cost of costs) {
    for (const field of Object.keys(total) as (keyof FunctionCost)[]) total[field] += cost[field];
  }
  return total;
}

/** A position field of a cost line: absolute (`0x…`, decimal), relative (`+n`, `-n`) or the same (`*`). */
function position(field: string, previous: number): number {
  const first = field.charCodeAt(0);
  if (first === 0x2a) return previous; // *
  if (first === 0x2b) return previous + parseInt(field.slice(1)); // +
  if (first === 0x2d) return previous - parseInt(field.slice(1)); // -
  return field.startsWith("0x") ? parseInt(field, 16) : Number(field);
}

/**
 * Each function's own cost in a callgrind dump recorded with
 * `--dump-instr=yes` (positions `instr line`), keyed by
 * `label(object, symbol, address)`: the caller decides how code is named
 * (by the perf map for JIT code, by symbol elsewhere). A call's inclusive
 * cost (the line after `calls=`) is not added: each instruction counts once,
 * where it ran.
 *
 * @example
 * ```ts
 * import { selfCosts } from "./callgrind.ts";
 * const dump = "positions: instr line\nevents: Ir I1mr\nob=(1) /bin/x\nfn=(1) f\n0x10 1 5 1\n+2 * 3\n";
 * selfCosts(dump, (_object, symbol) => symbol).get("f")?.instructions; // 8
 * ```
 */
export function selfCosts(
  dump: string,
  label: (object: string, symbol: string, address: number) => string,
): Map<string, FunctionCost> {
  const names = { ob: new Map<string, string>(), fn: new Map<string, string>() };
  /** A compressed name (`(id) name` the first time, `(id)` after): the name. */
  const named = (kind: "ob" | "fn", text: string): string => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(text);
    if (match === null) return text;
    if (match[2] !== undefined) names[kind].set(match[1], match[2]);
    return names[kind].get(match[1]) ?? text;
  };
  let fields: (keyof FunctionCost | undefined)[] = [];
  let positions = 1;
  let object = "";
  let symbol = "";
  let address = 0;
  let callCost = false;
  const costs = new Map<string, FunctionCost>();
  for (const text of dump.split("\n")) {
    if (text.startsWith("positions:")) {
      positions = text.slice("positions:".length).trim().split(/\s+/).length;
    } else if (text.startsWith("events:")) {
      const events = text.slice("events:".length).trim().split(/\s+/);
      fields = events.map((event) =>
        (Object.keys(EVENTS) as (keyof FunctionCost)[]).find((field) =>
          EVENTS[field].includes(event)
        )
      );
    } else if (text.startsWith("ob=")) {
      object = named("ob", text.slice(3));
    } else if (text.startsWith("cob=")) {
      named("ob", text.slice(4));
    } else if (text.startsWith("fn=")) {
      symbol = named("fn", text.slice(3));
    } else if (text.startsWith("cfn=")) {
      named("fn", text.slice(4));
    } else if (text.startsWith("calls=")) {
      callCost = true;
    } else if (/^[0-9+\-*]/.test(text)) {
      // The first position is the instruction's address; the others (its source line) are not read.
      const parts = text.split(" ");
      address = position(parts[0], address);
      if (callCost) {
        callCost = false; // the call's inclusive cost: counted where it ran
        continue;
      }
      const key = label(object, symbol, address);
      let cost = costs.get(key);
      if (cost === undefined) costs.set(key, cost = noCost());
      for (let i = positions; i < parts.length; i++) {
        const field = fields[i - positions];
        if (field !== undefined) cost[field] += Number(parts[i]);
      }
    }
  }
  return costs;
}
