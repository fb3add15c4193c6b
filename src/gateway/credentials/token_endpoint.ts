/**
 * One request to an OAuth token endpoint (RFC 6749 §3.2) with client
 * authentication `client_secret_basic` (§2.3.1), and the checks of its
 * URL and client at startup. A refusal's body is never read into an error:
 * what the authorization server says stays out of logs and answers. Each
 * request has a deadline (`timeoutMs`, the answer's body included) and its
 * answer a size bound (`maxResponseBytes`): a stalled or endless endpoint
 * fails that request, and nothing else waits on it.
 * @module
 */

import { GATEWAY_DEFAULTS } from "../gateway_defaults.ts";
import type { IssuedToken } from "./token_cache.ts";

const DEFAULT = GATEWAY_DEFAULTS.TokenClient;

/** The client tether authenticates as at the token endpoint. */
export interface TokenClient {
  /** The token endpoint (https, or http on a loopback host). */
  tokenEndpoint: string | URL;
  /** The client id. */
  clientId: string;
  /** The client secret (sent with `client_secret_basic`). */
  clientSecret: string;
  /** The fetch used for the token endpoint. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /**
   * How long one token request may take, its answer read whole, ms; past
   * it the request is aborted and fails (the caller's upstream reads as
   * unavailable).
   * @default {10_000}
   */
  timeoutMs?: number;
  /**
   * The most bytes of a token endpoint's answer read; a longer one fails
   * the request, unread past the bound.
   * @default {65_536}
   */
  maxResponseBytes?: number;
}

/** Loopback hosts, where plain http stays on the machine. */
const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * `value` as a token endpoint URL: https, or http on a loopback host (a
 * token sent in clear elsewhere could be read on the way), or a TypeError
 * naming `option`.
 *
 * @example
 * ```ts
 * import { checkTokenEndpoint } from "./token_endpoint.ts";
 * console.log(checkTokenEndpoint("tokenEndpoint", "https://auth.example.com/token").host);
 * ```
 */
export function checkTokenEndpoint(option: string, value: unknown): URL {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    throw new TypeError(`Option ${option} must be an absolute URL`);
  }
  const loopback = url.protocol === "http:" && LOOPBACK.has(url.hostname);
  if (url.protocol !== "https:" && !loopback) {
    throw new TypeError(`Option ${option} must be https (http only on a loopback host)`);
  }
  if (url.hash !== "") throw new TypeError(`Option ${option} must have no fragment`);
  return url;
}

/**
 * Checks a {@linkcode TokenClient} at startup (a TypeError names a bad
 * option) and returns how to ask its token endpoint for a token.
 *
 * @example
 * ```ts
 * import { tokenRequester } from "./token_endpoint.ts";
 * const request = tokenRequester({
 *   tokenEndpoint: "https://auth.example.com/token",
 *   clientId: "gateway",
 *   clientSecret: "s3cret",
 * });
 * console.log(typeof request); // "function"
 * ```
 */
export function tokenRequester(
  client: TokenClient,
): (parameters: Record<string, string>) => Promise<IssuedToken> {
  const endpoint = checkTokenEndpoint("tokenEndpoint", client.tokenEndpoint);
  for (const option of ["clientId", "clientSecret"] as const) {
    if (typeof client[option] !== "string" || client[option] === "") {
      throw new TypeError(`Option ${option} must be a non-empty string`);
    }
  }
  const timeoutMs = positive("timeoutMs", client.timeoutMs ?? DEFAULT.timeoutMs);
  const maxBytes = positive(
    "maxResponseBytes",
    client.maxResponseBytes ?? DEFAULT.maxResponseBytes,
  );
  // RFC 6749 §2.3.1: the id and secret are form-encoded before the Basic encoding.
  const basic = btoa(`${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`);
  const fetchToken = client.fetch ?? globalThis.fetch;
  return async (parameters) => {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`The token endpoint did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      return await Promise.race([
        ask(parameters, deadline.signal),
        new Promise<never>((_, reject) =>
          deadline.signal.addEventListener("abort", () => reject(deadline.signal.reason))
        ),
      ]);
    } finally {
      clearTimeout(timer);
      deadline.abort(); // a request still reading is let go
    }
  };

  async function ask(parameters: Record<string, string>, signal: AbortSignal) {
    const response = await fetchToken(endpoint, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams(parameters),
      redirect: "error",
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`The token endpoint refused the request (${response.status})`);
    }
    const text = await boundedText(response, maxBytes);
    let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error("The token endpoint answered no JSON");
    }
    const token = body?.access_token;
    if (typeof token !== "string" || token === "" || /[\r\n]/.test(token)) {
      throw new Error("The token endpoint answered no usable access_token");
    }
    if (typeof body.token_type === "string" && body.token_type.toLowerCase() !== "bearer") {
      throw new Error("The token endpoint answered a token that is not a bearer token");
    }
    const expires = body.expires_in;
    return typeof expires === "number" && expires > 0
      ? { token, expiresInSeconds: expires }
      : { token };
  }
}

/** The body as text, read up to `maxBytes`; a RangeError (and the body let go) past it. */
async function boundedText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const tooLong = () => new RangeError(`The token endpoint's answer is over ${maxBytes} bytes`);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLong();
  }
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      throw tooLong();
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(whole);
}

function positive(option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`Option ${option} must be a positive number`);
  }
  return value;
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
