/**
 * One DPoP proof (RFC 9449 §4.2) read and checked on its own, with Web
 * Crypto (no JOSE library in the core): a compact JWS of `typ` `dpop+jwt`,
 * an allowed asymmetric `alg`, a public `jwk` in its header that verifies
 * the signature, and the claims `jti`, `htm`, `htu`, `iat` and `ath` matched
 * to the request and its access token. Its key's thumbprint (RFC 7638) is
 * the answer, for the caller to compare with the token's `cnf.jkt`. Not
 * here: the token, replays and nonces (dpop_gate.ts).
 * @module
 */

import { decodeBase64Url, encodeBase64Url } from "../protocol/base64.ts";

/** Why a proof is refused: a fixed text for `error_description` and the log, never the proof's content. */
export type DpopProofFault =
  | "malformed"
  | "typ"
  | "alg"
  | "jwk"
  | "signature"
  | "jti"
  | "htm"
  | "htu"
  | "iat"
  | "ath";

/** What a proof must match. */
export interface DpopExpectation {
  /** The algorithms accepted. */
  algorithms: readonly string[];
  /** The request's method. */
  method: string;
  /** The URL the proof must name (normalised by {@linkcode normalizeHtu}). */
  htu: string;
  /** The access token, whose hash `ath` must be. */
  token: string;
  /** The time, ms since the epoch. */
  now: number;
  /** How old `iat` may be, seconds. */
  maxAgeSeconds: number;
  /** How far ahead `iat` may be, seconds. */
  clockSkewSeconds: number;
}

/** A proof that passed: its key's thumbprint, `jti`, `iat` (s) and `nonce` (unchecked here). */
export interface DpopProof {
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  readonly nonce: unknown;
}

/** The `jti` length kept: a longer one is refused rather than stored. */
const MAX_JTI_LENGTH = 256;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Web Crypto's names for each JWS algorithm tether verifies. */
const ALGORITHMS: Record<string, { kty: string; imported: unknown; verify: unknown }> = {
  ES256: ec("P-256", "SHA-256"),
  ES384: ec("P-384", "SHA-384"),
  ES512: ec("P-521", "SHA-512"),
  RS256: rsa("RSASSA-PKCS1-v1_5", "SHA-256", 0),
  RS384: rsa("RSASSA-PKCS1-v1_5", "SHA-384", 0),
  RS512: rsa("RSASSA-PKCS1-v1_5", "SHA-512", 0),
  PS256: rsa("RSA-PSS", "SHA-256", 32),
  PS384: rsa("RSA-PSS", "SHA-384", 48),
  PS512: rsa("RSA-PSS", "SHA-512", 64),
  EdDSA: { kty: "OKP", imported: { name: "Ed25519" }, verify: { name: "Ed25519" } },
  Ed25519: { kty: "OKP", imported: { name: "Ed25519" }, verify: { name: "Ed25519" } },
};

function ec(namedCurve: string, hash: string) {
  return { kty: "EC", imported: { name: "ECDSA", namedCurve }, verify: { name: "ECDSA", hash } };
}

function rsa(name: string, hash: string, saltLength: number) {
  return { kty: "RSA", imported: { name, hash }, verify: { name, saltLength } };
}

/**
 * True for an algorithm a proof may use (asymmetric, one this module
 * verifies): `none` and the HMAC ones never are.
 *
 * @example
 * ```ts
 * import { isDpopAlgorithm } from "./dpop_proof.ts";
 * isDpopAlgorithm("ES256"); // true
 * isDpopAlgorithm("HS256"); // false
 * ```
 */
export function isDpopAlgorithm(alg: string): boolean {
  return Object.hasOwn(ALGORITHMS, alg);
}

/** The authority of an absolute URL as written (before the parser drops a user-info part). */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:[/\\]*([^/?#\\]*)/i;

/**
 * `url` as `htu` is compared (RFC 9449 §4.3): without query and fragment,
 * scheme and host in lower case, no default port; undefined for no URL.
 * RFC 9449 normalises dot segments and the port's spelling, nothing more:
 * a user-info part (`u:p@`), whitespace or a control character (which the
 * URL parser would drop or strip) is no URL here.
 *
 * @example
 * ```ts
 * import { normalizeHtu } from "./dpop_proof.ts";
 * normalizeHtu("HTTPS://MCP.example.com:443/mcp?x=1#f"); // "https://mcp.example.com/mcp"
 * normalizeHtu("https://u:p@mcp.example.com/mcp"); // undefined
 * ```
 */
export function normalizeHtu(url: unknown): string | undefined {
  if (typeof url !== "string" || !URL.canParse(url)) return undefined;
  if (hasSpaceOrControl(url)) return undefined;
  if (AUTHORITY.exec(url)?.[1].includes("@") ?? true) return undefined;
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** True when `text` holds whitespace or a control character anywhere. */
function hasSpaceOrControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return text.trim() !== text;
}

/**
 * The JWK thumbprint (RFC 7638, SHA-256, base64url) of a public key.
 *
 * @example
 * ```ts
 * import { jwkThumbprint } from "./dpop_proof.ts";
 * await jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
 * ```
 */
export async function jwkThumbprint(jwk: Record<string, unknown>): Promise<string> {
  const members = jwk.kty === "RSA"
    ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : jwk.kty === "EC"
    ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return await sha256Url(JSON.stringify(members));
}

/** base64url(SHA-256(text)): `ath` of a token, and keys of the replay cache. */
export async function sha256Url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return encodeBase64Url(new Uint8Array(digest));
}

/**
 * Checks `proof` (the `DPoP` header's value) against `expected`: the
 * proof's key thumbprint and claims, or the first fault found.
 *
 * @example
 * ```ts ignore (internal: needs a request and the expected method, URL and key)
 * const checked = await checkDpopProof(request.headers.get("dpop")!, expected);
 * if ("fault" in checked) console.log(checked.fault); // e.g. "htu"
 * ```
 */
export async function checkDpopProof(
  proof: string,
  expected: DpopExpectation,
): Promise<DpopProof | { fault: DpopProofFault }> {
  if (!COMPACT_JWS.test(proof)) return { fault: "malformed" };
  const [head, body, signature] = proof.split(".");
  const header = jsonOf(head);
  const claims = jsonOf(body);
  const signed = decodeBase64Url(signature);
  if (header === undefined || claims === undefined || signed === undefined) {
    return { fault: "malformed" };
  }
  if (header.typ !== "dpop+jwt") return { fault: "typ" };
  const alg = header.alg;
  if (typeof alg !== "string" || !expected.algorithms.includes(alg) || !isDpopAlgorithm(alg)) {
    return { fault: "alg" };
  }
  const jwk = publicJwkOf(header.jwk, ALGORITHMS[alg].kty);
  if (jwk === undefined) return { fault: "jwk" };
  if (!await verifies(alg, jwk, `${head}.${body}`, signed)) return { fault: "signature" };
  const { jti, htm, htu, iat, ath } = claims;
  if (typeof jti !== "string" || jti === "" || jti.length > MAX_JTI_LENGTH) return { fault: "jti" };
  if (htm !== expected.method) return { fault: "htm" };
  if (normalizeHtu(htu) !== expected.htu) return { fault: "htu" };
  const now = expected.now / 1000;
  if (
    typeof iat !== "number" || !Number.isFinite(iat) || iat < now - expected.maxAgeSeconds ||
    iat > now + expected.clockSkewSeconds
  ) {
    return { fault: "iat" };
  }
  if (ath !== await sha256Url(expected.token)) return { fault: "ath" };
  return { jkt: await jwkThumbprint(jwk), jti, iat, nonce: claims.nonce };
}

/** A base64url segment's JSON object, or undefined. */
function jsonOf(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64Url(segment);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/** The public members of a header's `jwk` of type `kty`; undefined for another type or a private key. */
function publicJwkOf(value: unknown, kty: string): Record<string, unknown> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const jwk = value as Record<string, unknown>;
  if (jwk.kty !== kty || "d" in jwk) return undefined; // a private key never travels in a proof
  const names = kty === "RSA" ? ["n", "e"] : kty === "EC" ? ["crv", "x", "y"] : ["crv", "x"];
  const members: Record<string, unknown> = { kty };
  for (const name of names) {
    if (typeof jwk[name] !== "string") return undefined;
    members[name] = jwk[name];
  }
  if (kty === "OKP" && jwk.crv !== "Ed25519") return undefined;
  // RSA keys under 2048 bits are refused, as jose refuses them.
  if (kty === "RSA" && (decodeBase64Url(jwk.n as string)?.length ?? 0) < 256) return undefined;
  return members;
}

/** True when `signature` over `input` verifies with `jwk` under `alg`. */
async function verifies(
  alg: string,
  jwk: Record<string, unknown>,
  input: string,
  signature: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const { imported, verify } = ALGORITHMS[alg];
  try {
    const key = await crypto.subtle.importKey(
      "jwk",
      jwk as JsonWebKey,
      imported as Parameters<typeof crypto.subtle.importKey>[2],
      false,
      ["verify"],
    );
    return await crypto.subtle.verify(
      verify as Parameters<typeof crypto.subtle.verify>[0],
      key,
      signature,
      new TextEncoder().encode(input),
    );
  } catch {
    return false; // a key Web Crypto refuses (wrong curve, bad coordinates) verifies nothing
  }
}
