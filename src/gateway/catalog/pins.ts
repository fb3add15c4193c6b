/**
 * Pinned definitions, against an upstream that changes a tool under its
 * users (a "rug pull"): every read of an upstream's lists is checked
 * against a pin set (upstream → kind → its own name → digest) before it is
 * served; a drifted entry is hidden, or kept with its calls refused, and
 * reported once per drift. A legacy pin (`sha256:`, from before pins
 * covered `_meta` and icons) that matches is carried over to the listed
 * digest, reported once. It cannot see what an upstream tells one
 * caller's own session apart from the gateway's discovery session.
 * @module
 */

import { GATEWAY_DEFAULTS } from "../gateway_defaults.ts";
import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import type { UpstreamCatalog } from "./catalog.ts";
import { listedEntry, sameListingAs } from "./definition_origins.ts";
import { isLegacyPin, KEY_FIELD, legacyPinDigest, pinDigest, type PinKind } from "./pin_digest.ts";
import { KINDS, parsePinSet, type PinSet, quoted, type UpstreamPins } from "./pin_set.ts";

/**
 * The `pins` option of `createGateway`.
 *
 * @example
 * ```ts
 * import type { PinOptions } from "@tether/mcp/gateway";
 * const strict: PinOptions = { set: {}, onDrift: "hide", unpinned: "hide" };
 * const firstUse: PinOptions = {}; // pins what each upstream lists at its first read
 * ```
 */
export interface PinOptions {
  /**
   * The pins. Absent: trust on first use, each upstream's first read (at
   * startup, or when it first answers) is pinned for the gateway's life.
   * @default {undefined (trust on first use)}
   */
  set?: PinSet;
  /**
   * A pinned entry whose digest differs: `"hide"` serves none of it;
   * `"refuse"` lists it as the upstream lists it now (its new description
   * reaches the model) and refuses its calls, reads and completions.
   * @default {"hide"}
   */
  onDrift?: "hide" | "refuse";
  /**
   * An entry of a pinned kind that is not in the set: served (`"allow"`) or not (`"hide"`).
   * @default {"hide"}
   */
  unpinned?: "allow" | "hide";
  /**
   * The kinds pinned; the others are served unchecked.
   * @default {["tools", "prompts"]}
   */
  kinds?: readonly PinKind[];
}

/**
 * What the pin check reports through the gateway's `onEvent`, once per
 * entry and listed digest: `pin-drift`, a pinned entry listed with another
 * digest (told to `onError` too); `pin-unpinned`, an entry not in the set;
 * `pin-legacy`, a legacy `sha256:` pin (which does not cover `_meta` and
 * icons) that matched, now held as the listed `v2:sha256:` digest.
 * `name` is the upstream's own name (a resource's URI, a template's URI template).
 *
 * @example
 * ```ts
 * import type { PinEvent } from "@tether/mcp/gateway";
 * const line = (event: PinEvent) => `${event.type} ${event.upstream} ${event.kind} ${event.name}: ${event.action}`;
 * ```
 */
export type PinEvent =
  | {
    type: "pin-drift";
    upstream: string;
    kind: PinKind;
    name: string;
    /** The digest in the pin set. */
    pinned: string;
    /** The digest of what the upstream lists now. */
    listed: string;
    action: "hidden" | "refused";
  }
  | {
    type: "pin-unpinned";
    upstream: string;
    kind: PinKind;
    name: string;
    listed: string;
    action: "hidden" | "allowed";
  }
  | {
    type: "pin-legacy";
    upstream: string;
    kind: PinKind;
    name: string;
    /** The legacy `sha256:` digest in the pin set. */
    pinned: string;
    /** The `v2:sha256:` digest it is carried over to: `_meta` and icons pinned as listed now. */
    listed: string;
    action: "served";
  };

/** Where the pin check reports. */
export interface PinReport {
  /** Told each {@linkcode PinEvent}. */
  onEvent(event: PinEvent): void;
  /** Told each drift, as an error. */
  onError(error: unknown): void;
}

/** Digests by listed entry, so an entry is digested once however often it is checked. */
const digests = new WeakMap<object, Promise<string>>();
const legacyDigests = new WeakMap<object, Promise<string>>();

/** The digest (or, `legacy`, the legacy digest) of the listed entry `definition` was made of. */
function digestOf(kind: PinKind, definition: object, legacy = false): Promise<string> {
  const cache = legacy ? legacyDigests : digests;
  let digest = cache.get(definition);
  if (digest === undefined) {
    digest = (legacy ? legacyPinDigest : pinDigest)(kind, listedEntry(definition) ?? {});
    cache.set(definition, digest);
  }
  return digest;
}

/** The upstream's own key of `definition` (its name, URI or URI template). */
function keyOf(kind: PinKind, definition: object): string {
  return String(listedEntry(definition)?.[KEY_FIELD[kind]] ?? "");
}

/** The copy of a drifted definition served under `onDrift: "refuse"`: every call refused, nothing sent upstream. */
function refused(kind: PinKind, definition: object): object {
  const said = `The upstream changed this ${
    kind === "tools" ? "tool" : kind === "prompts" ? "prompt" : "resource"
  } since it was pinned; the gateway does not call it`;
  const refuse = () => {
    // A tool's throw becomes its `isError` result; the others' a JSON-RPC error.
    throw kind === "tools" ? new Error(said) : new McpError(ErrorCode.InvalidRequest, said);
  };
  const copy: Record<string, unknown> = { ...definition };
  if (kind === "tools") copy.handler = refuse;
  else if (kind === "prompts") Object.assign(copy, { handler: refuse, complete: undefined });
  else Object.assign(copy, { read: refuse, subscribe: undefined, unsubscribe: undefined });
  if (kind === "resourceTemplates") copy.complete = undefined;
  return copy;
}

/** The pin check of a gateway: every read passes through {@linkcode Pins.check}. */
export class Pins {
  readonly #enforced: boolean;
  #set: PinSet;
  readonly #firstUse: boolean;
  readonly #onDrift: "hide" | "refuse";
  readonly #unpinned: "allow" | "hide";
  readonly #kinds: readonly PinKind[];
  readonly #report: PinReport;
  /** Each upstream's newest read, as listed (before the check). */
  readonly #reads = new Map<string, Partial<UpstreamCatalog>>();
  /** The digest each entry was last reported with (entries that match are not here). */
  readonly #reported = new Map<string, string>();

  /** A check by `options` (none: nothing is checked; what is read is still known to {@linkcode Pins.listed}). */
  constructor(options: PinOptions | undefined, report: PinReport) {
    this.#enforced = options !== undefined;
    this.#set = options?.set === undefined ? {} : parsePinSet(options.set);
    this.#firstUse = options !== undefined && options.set === undefined;
    this.#onDrift = options?.onDrift ?? GATEWAY_DEFAULTS.PinOptions.onDrift;
    this.#unpinned = options?.unpinned ?? GATEWAY_DEFAULTS.PinOptions.unpinned;
    this.#kinds = options?.kinds ?? ["tools", "prompts"];
    for (const kind of this.#kinds) {
      if (!KINDS.includes(kind)) throw new TypeError(`Gateway: pins.kinds has an unknown kind`);
    }
    this.#report = report;
  }

  /**
   * `catalog`, a fresh read of `upstream`'s lists, as the gateway may
   * serve it: drifted and unpinned entries of the pinned kinds hidden or
   * refused as the options say, each reported once.
   */
  async check(
    upstream: string,
    catalog: Partial<UpstreamCatalog>,
  ): Promise<Partial<UpstreamCatalog>> {
    this.#reads.set(upstream, { ...this.#reads.get(upstream), ...catalog });
    if (!this.#enforced) return catalog;
    if (this.#firstUse && !Object.hasOwn(this.#set, upstream)) {
      const first = await this.#digests(catalog); // before the spread: reads run at once
      this.#set = { ...this.#set, [upstream]: first };
    }
    const pins: UpstreamPins = Object.hasOwn(this.#set, upstream) ? this.#set[upstream] : {};
    const checked: Partial<UpstreamCatalog> = { ...catalog };
    for (const kind of this.#kinds) {
      const list = catalog[kind] as object[] | undefined;
      if (list === undefined) continue;
      const table = pins[kind] ?? {};
      const kept: object[] = [];
      let changed = false;
      const listed = await Promise.all(list.map((definition) => digestOf(kind, definition)));
      for (const [index, definition] of list.entries()) {
        const name = keyOf(kind, definition);
        let pinned = Object.hasOwn(table, name) ? table[name] : undefined;
        if (pinned !== undefined && isLegacyPin(pinned)) {
          pinned = await this.#carryOver(upstream, kind, name, pinned, definition, listed[index]);
        }
        const entry = this.#judge(upstream, kind, name, pinned, listed[index]);
        if (entry === "serve") kept.push(definition);
        else if (entry === "refuse") kept.push(refused(kind, definition));
        changed ||= entry !== "serve";
      }
      if (changed) (checked as Record<string, object[]>)[kind] = sameListingAs(kept, list);
    }
    return checked;
  }

  /** The pin set of what the upstreams list now (their newest reads), the pinned kinds only. */
  async listed(): Promise<PinSet> {
    const reads = [...this.#reads];
    return Object.fromEntries(
      await Promise.all(
        reads.map(async ([upstream, read]) => [upstream, await this.#digests(read)]),
      ),
    );
  }

  /** The pins of every entry of the pinned kinds in `catalog`. */
  async #digests(catalog: Partial<UpstreamCatalog>): Promise<UpstreamPins> {
    const pins: UpstreamPins = {};
    for (const kind of this.#kinds) {
      const list = (catalog[kind] ?? []) as object[];
      const entries = await Promise.all(
        list.map(async (definition) => [keyOf(kind, definition), await digestOf(kind, definition)]),
      );
      pins[kind] = Object.fromEntries(entries);
    }
    return pins;
  }

  /**
   * A legacy pin of `upstream`'s `name`: when it matches the legacy digest
   * of `definition`, the pin becomes `listed` (so `_meta` and icons are
   * pinned as this read lists them) and a `pin-legacy` event is told; the
   * pin to judge by is returned.
   */
  async #carryOver(
    upstream: string,
    kind: PinKind,
    name: string,
    pinned: string,
    definition: object,
    listed: string,
  ): Promise<string> {
    if (pinned !== await digestOf(kind, definition, true)) return pinned;
    // The set's tables are this check's own copies (parsePinSet), so the pin is replaced in place.
    this.#set[upstream][kind]![name] = listed;
    this.#report.onEvent({
      type: "pin-legacy",
      upstream,
      kind,
      name,
      pinned,
      listed,
      action: "served",
    });
    return listed;
  }

  /** What becomes of one entry; a drift or an unpinned entry is reported once per digest. */
  #judge(
    upstream: string,
    kind: PinKind,
    name: string,
    pinned: string | undefined,
    listed: string,
  ): "serve" | "hide" | "refuse" {
    const key = JSON.stringify([upstream, kind, name]);
    if (pinned === listed) {
      this.#reported.delete(key);
      return "serve";
    }
    const fresh = this.#reported.get(key) !== listed;
    this.#reported.set(key, listed);
    if (pinned === undefined) {
      const action = this.#unpinned === "allow" ? "allowed" : "hidden";
      if (fresh) {
        this.#report.onEvent({ type: "pin-unpinned", upstream, kind, name, listed, action });
      }
      return this.#unpinned === "allow" ? "serve" : "hide";
    }
    const action = this.#onDrift === "refuse" ? "refused" : "hidden";
    if (fresh) {
      this.#report.onEvent({ type: "pin-drift", upstream, kind, name, pinned, listed, action });
      this.#report.onError(
        new Error(
          `Gateway: upstream ${quoted(upstream)} changed ${kind} ${quoted(name)} since it was ` +
            `pinned; it is ${action === "hidden" ? "not served" : "served with its calls refused"}`,
        ),
      );
    }
    return this.#onDrift === "refuse" ? "refuse" : "hide";
  }
}
