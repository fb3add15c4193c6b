/**
 * Seals the `requestState` of 2026-07-28 multi-round-trip requests. The
 * client holds the state between rounds and echoes it back, so it is
 * attacker-controlled: it is encrypted and authenticated (AES-256-GCM), and
 * the authenticated data binds it to the principal (owner key), the method,
 * its target (tool or prompt name, resource URI) and a SHA-256 digest of the
 * request's other params. It expires. Keys are a list: the first seals, all
 * open, so a previous key keeps working during rotation; each token names
 * its key by a short id. Without keys, one random key is made per process.
 * Limits: no replay store (a state can be presented again until it
 * expires; bind one-time effects to something else); the size is capped
 * before any crypto.
 * @module
 */

/** What a state is bound to: presented with any other binding, it does not open. */
export interface RequestStateBinding {
  /** The principal's owner key (kind and id). */
  ownerKey: string;
  /** The JSON-RPC method. */
  method: string;
  /** The tool or prompt name, or the resource URI. */
  target: string;
  /** The request's params; `_meta`, `inputResponses` and `requestState` are left out of the digest. */
  params: Record<string, unknown>;
}

/**
 * How states are sealed.
 *
 * @example
 * ```ts
 * import { createMcpHandler, type RequestStateOptions } from "@tether/mcp";
 * const requestState: RequestStateOptions = { keys: ["a secret of at least thirty-two bytes!"], ttlMs: 5 * 60_000 };
 * const handler = createMcpHandler({ name: "app", version: "1.0.0", tools: [], stateless: { requestState } });
 * ```
 */
export interface RequestStateOptions {
  /**
   * Secrets of at least 32 bytes (strings count in UTF-8); the first seals, all open.
   * @default {one random key per process}
   */
  keys?: readonly (string | Uint8Array)[];
  /**
   * How long a state stays valid, ms.
   * @default {600_000}
   */
  ttlMs?: number;
  /**
   * The longest state accepted or produced, characters.
   * @default {65_536}
   */
  maxBytes?: number;
  /**
   * The clock, ms since the epoch.
   * @default {`Date.now`}
   */
  now?: () => number;
}

export type { RequestStateRefusalReason } from "../../protocol/request_state_refusal.ts";
import type { RequestStateRefusalReason } from "../../protocol/request_state_refusal.ts";
import { decodeBase64Url, encodeBase64Url } from "../../protocol/base64.ts";

/** The outcome of opening a state; the reason is for logs only, never for the client. */
export type OpenResult =
  | { ok: true; payload: unknown }
  | { ok: false; reason: RequestStateRefusalReason };

/** Thrown by {@linkcode RequestStateCodec.seal} when the token would be longer than `maxBytes`. */
export class RequestStateTooLargeError extends RangeError {
  /** The limit, bytes (`requestState.maxBytes`). */
  readonly limit: number;

  /** `size`: the length the token would have had, bytes. */
  constructor(size: number, limit: number) {
    super(`requestState would be ${size} bytes, over the ${limit} limit`);
    this.name = "RequestStateTooLargeError";
    this.limit = limit;
  }
}

interface SealingKey {
  id: string;
  key: CryptoKey;
}

const VERSION = "v1";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const DIGEST_EXCLUDED = new Set(["_meta", "inputResponses", "requestState"]);

/** JSON with object keys sorted at every level, so equal params digest equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
    return `{${
      keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")
    }}`;
  }
  return JSON.stringify(value) ?? "null";
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

async function deriveKey(secret: Uint8Array<ArrayBuffer>): Promise<SealingKey> {
  const material = await crypto.subtle.importKey("raw", secret, "HKDF", false, [
    "deriveKey",
    "deriveBits",
  ]);
  const salt = encoder.encode("tether.requestState.v1");
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode("aes-256-gcm") },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  const idBits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode("key-id") },
    material,
    64,
  );
  return { id: encodeBase64Url(new Uint8Array(idBits)), key };
}

/**
 * Seals and opens request states.
 *
 * @example
 * ```ts
 * import { RequestStateCodec } from "./request_state.ts";
 * const codec = await RequestStateCodec.create({ keys: ["a secret of at least thirty-two bytes!"] });
 * const binding = { ownerKey: "user:alice", method: "tools/call", target: "book", params: { arguments: {} } };
 * const token = await codec.seal({ step: 1 }, binding);
 * (await codec.open(token, binding)).ok; // true
 * ```
 */
export class RequestStateCodec {
  /** True when no key was given and this process made its own. */
  readonly generatedKey: boolean;
  #keys: SealingKey[];
  #ttlMs: number;
  #maxBytes: number;
  #now: () => number;

  private constructor(
    keys: SealingKey[],
    generated: boolean,
    ttlMs: number,
    maxBytes: number,
    now: () => number,
  ) {
    this.#keys = keys;
    this.generatedKey = generated;
    this.#ttlMs = ttlMs;
    this.#maxBytes = maxBytes;
    this.#now = now;
  }

  /** Checks the options and derives the keys. Throws a RangeError for a short key or a bad bound. */
  static async create(options: RequestStateOptions = {}): Promise<RequestStateCodec> {
    const ttlMs = options.ttlMs ?? 10 * 60_000;
    if (typeof ttlMs !== "number" || !Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new RangeError("requestState ttlMs must be a finite positive number");
    }
    const maxBytes = options.maxBytes ?? 64 * 1024;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
      throw new RangeError("requestState maxBytes must be a positive integer");
    }
    const secrets: Uint8Array<ArrayBuffer>[] = [];
    for (const [index, key] of (options.keys ?? []).entries()) {
      // Copied, so a caller mutating its buffer later changes nothing here.
      const bytes = typeof key === "string" ? encoder.encode(key) : new Uint8Array(key);
      if (bytes.byteLength < 32) {
        throw new RangeError(`requestState key ${index} is shorter than 32 bytes`);
      }
      secrets.push(bytes);
    }
    const generated = secrets.length === 0;
    if (generated) secrets.push(crypto.getRandomValues(new Uint8Array(32)));
    const keys = await Promise.all(secrets.map(deriveKey));
    return new RequestStateCodec(keys, generated, ttlMs, maxBytes, options.now ?? Date.now);
  }

  /** The data the seal authenticates: format version, key id and the binding. */
  async #associatedData(
    keyId: string,
    binding: RequestStateBinding,
  ): Promise<Uint8Array<ArrayBuffer>> {
    // fromEntries defines own properties: a "__proto__" param stays in the digest on every runtime.
    const salient = Object.fromEntries(
      Object.entries(binding.params).filter(([key]) => !DIGEST_EXCLUDED.has(key)),
    );
    const digest = encodeBase64Url(await sha256(canonicalJson(salient)));
    return encoder.encode(
      canonicalJson([VERSION, keyId, binding.ownerKey, binding.method, binding.target, digest]),
    );
  }

  /** The longest state accepted or produced, bytes (base64url: one byte per character). */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /**
   * Seals `payload` (JSON-serialisable) for the given binding. Throws a
   * {@linkcode RequestStateTooLargeError} (a RangeError) past the size cap.
   */
  async seal(payload: unknown, binding: RequestStateBinding): Promise<string> {
    const { id, key } = this.#keys[0];
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = encoder.encode(JSON.stringify({ p: payload, exp: this.#now() + this.#ttlMs }));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: await this.#associatedData(id, binding) },
      key,
      plain,
    );
    const token = `${VERSION}.${id}.${encodeBase64Url(iv)}.${
      encodeBase64Url(new Uint8Array(sealed))
    }`;
    if (token.length > this.#maxBytes) {
      throw new RequestStateTooLargeError(token.length, this.#maxBytes);
    }
    return token;
  }

  /** Opens a state presented with `binding`; every failure is `ok: false` with a reason for logs. */
  async open(token: unknown, binding: RequestStateBinding): Promise<OpenResult> {
    if (typeof token !== "string") return { ok: false, reason: "malformed" };
    if (token.length > this.#maxBytes) return { ok: false, reason: "too-large" };
    const parts = token.split(".");
    if (parts.length !== 4 || parts[0] !== VERSION) return { ok: false, reason: "malformed" };
    const [, keyId, ivText, sealedText] = parts;
    const iv = decodeBase64Url(ivText);
    const sealed = decodeBase64Url(sealedText);
    if (
      iv === undefined || iv.byteLength !== 12 || sealed === undefined || sealed.byteLength < 16
    ) return { ok: false, reason: "malformed" };
    const key = this.#keys.find((candidate) => candidate.id === keyId);
    if (key === undefined) return { ok: false, reason: "unknown-key" };
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData: await this.#associatedData(keyId, binding) },
        key.key,
        sealed,
      );
    } catch {
      // Tampering and a different binding both fail the GCM tag.
      return { ok: false, reason: "bad-seal" };
    }
    let body: { p?: unknown; exp?: unknown };
    try {
      body = JSON.parse(decoder.decode(plain));
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (typeof body.exp !== "number" || body.exp <= this.#now()) {
      return { ok: false, reason: "expired" };
    }
    return { ok: true, payload: body.p };
  }
}
