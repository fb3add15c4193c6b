/**
 * Cheap header checks run before a body is read: Host and Origin (DNS
 * rebinding), Accept and Content-Type. Each returns a refusal (naming its
 * step) or `undefined` to go on. They inspect headers only and never touch the body.
 * @module
 */

import { type Refusal, refuse } from "./refusal.ts";

/**
 * A compiled Host/Origin policy. `hosts` holds lower-case host names (no port)
 * or `host:port` pairs; `"*"` disables the Host check. `origins` holds full
 * origins (`https://app.example.com`); `"*"` accepts any Origin.
 */
export interface OriginPolicy {
  hosts: ReadonlySet<string>;
  origins: ReadonlySet<string>;
  anyHost: boolean;
  anyOrigin: boolean;
  /** Decides an Origin the list does not name (the `cors` option's `allowOrigin`); never throws. */
  allowOrigin?: (origin: string) => boolean;
  /** The last Host header value found allowed: a client sends the same one on every request. */
  lastAllowedHost?: string;
}

/**
 * Compiles the allow-lists once at startup; `allowOrigin` decides an Origin
 * they do not list (it must not throw). The handler passes `security.allowedHosts`
 * or its default from `config/defaults.ts` (loopback only).
 *
 * @example
 * ```ts
 * import { compileOriginPolicy } from "./guards.ts";
 * const policy = compileOriginPolicy(["mcp.example.com"], ["https://app.example.com"]);
 * ```
 */
export function compileOriginPolicy(
  allowedHosts: readonly string[],
  allowedOrigins: readonly string[] = [],
  allowOrigin?: (origin: string) => boolean,
): OriginPolicy {
  const hosts = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const origins = new Set(allowedOrigins.map(serialisedOrigin));
  const policy: OriginPolicy = {
    hosts,
    origins,
    anyHost: hosts.has("*"),
    anyOrigin: origins.has("*"),
  };
  if (allowOrigin !== undefined) policy.allowOrigin = allowOrigin;
  return policy;
}

/**
 * `origin` as a browser sends it: lower case, no trailing slash, no default
 * port (`https://App.example.com:443/` → `https://app.example.com`), so a list
 * entry matches by scheme, host and port whatever way it was written.
 */
function serialisedOrigin(origin: string): string {
  const lower = origin.toLowerCase().replace(/\/$/, "");
  if (lower === "*") return lower;
  try {
    const { origin: serialised } = new URL(lower);
    return serialised === "null" ? lower : serialised;
  } catch {
    return lower;
  }
}

/** Splits `host[:port]` (with IPv6 brackets) into its name, lower-cased. */
export function hostName(host: string): string {
  return nameOfLowerCaseHost(host.toLowerCase());
}

function nameOfLowerCaseHost(lower: string): string {
  if (lower.startsWith("[")) {
    const end = lower.indexOf("]");
    return end === -1 ? lower : lower.slice(0, end + 1);
  }
  const colon = lower.indexOf(":");
  return colon === -1 ? lower : lower.slice(0, colon);
}

function hostAllowed(policy: OriginPolicy, host: string): boolean {
  if (host === policy.lastAllowedHost) return true;
  const lower = host.toLowerCase();
  const allowed = policy.hosts.has(nameOfLowerCaseHost(lower)) || policy.hosts.has(lower);
  if (allowed) policy.lastAllowedHost = host;
  return allowed;
}

/**
 * DNS-rebinding guard. A Host outside the allow-list → 403 (a browser tricked
 * into resolving an attacker's name to 127.0.0.1 still sends the attacker's
 * name). A present Origin must be listed (matched by scheme, host and port), be
 * granted by the policy's `allowOrigin`, or be the server's own host and port on
 * the request's scheme or https: → 403 otherwise.
 * Requests without Origin (native clients, curl) pass the Origin check.
 * `headers` is `request.headers`, passed when the caller holds it already
 * (each read of `request.headers` costs a little on Deno.serve).
 */
export function checkHostAndOrigin(
  request: Request,
  policy: OriginPolicy,
  headers: Headers = request.headers,
): Refusal | undefined {
  const host = headers.get("host") ?? new URL(request.url).host;
  if (!policy.anyHost && !hostAllowed(policy, host)) {
    return refuse(403, "Forbidden: Host not allowed", { step: "host-origin" });
  }
  const origin = headers.get("origin");
  if (origin === null || policy.anyOrigin) return undefined;
  const normalised = origin.toLowerCase();
  if (policy.origins.has(normalised)) return undefined;
  if (policy.allowOrigin?.(normalised) === true) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(normalised);
  } catch {
    return originNotAllowed();
  }
  // A listed origin written another way (an explicit default port): browsers serialise without it.
  if (parsed.origin !== normalised && policy.origins.has(parsed.origin)) return undefined;
  // Same-origin browser pages (the Origin names this very host and port) are allowed when that host
  // is, on the request's own scheme or https: (a TLS-terminating proxy in front shows the handler an
  // http: URL). A plain-http page is never the own origin of an https: request (a network attacker
  // can write into it), and no other scheme ever is (chrome-extension://127.0.0.1:8787 is not us).
  const scheme = parsed.protocol;
  if (scheme !== "https:" && !(scheme === "http:" && request.url.startsWith("http:"))) {
    return originNotAllowed();
  }
  const originHost = parsed.host;
  if (originHost === host.toLowerCase() && (policy.anyHost || hostAllowed(policy, originHost))) {
    return undefined;
  }
  return originNotAllowed();
}

function originNotAllowed(): Refusal {
  return refuse(403, "Forbidden: Origin not allowed", { step: "host-origin" });
}

/** The Accept header conforming clients send: answered without parsing. */
const COMMON_ACCEPT = "application/json, text/event-stream";

/**
 * True when `accept` lists `type` (lower-case `type/subtype`) with a quality
 * above zero. Media ranges are parsed (RFC 9110 §12.5.1): the most specific
 * range that matches decides (an exact type over `type/*`, which beats any-type), `q=0`
 * means "not acceptable", and a range must name the type exactly, so
 * `application/json-seq` is not `application/json`.
 */
function acceptsType(accept: string, type: string): boolean {
  if (accept === COMMON_ACCEPT) return true;
  const slash = type.indexOf("/");
  const wildcard = type.slice(0, slash) + "/*";
  let specificity = 0;
  let quality = 0;
  for (const part of accept.split(",")) {
    const [rawRange, ...parameters] = part.split(";");
    const range = rawRange.trim().toLowerCase();
    const rank = range === type ? 3 : range === wildcard ? 2 : range === "*/*" ? 1 : 0;
    if (rank <= specificity) continue;
    specificity = rank;
    quality = 1;
    for (const parameter of parameters) {
      const equals = parameter.indexOf("=");
      if (equals === -1 || parameter.slice(0, equals).trim().toLowerCase() !== "q") continue;
      const value = Number(parameter.slice(equals + 1).trim());
      quality = Number.isNaN(value) ? 1 : value;
    }
  }
  return quality > 0;
}

/**
 * `Accept` guard for POST: the client must accept both `application/json` and
 * `text/event-stream`. With `strict` false a missing header or one naming only
 * one of them (curl, some SDKs) is let through; a header that accepts neither
 * is still refused. `headers` as in {@linkcode checkHostAndOrigin}.
 */
export function checkPostAccept(
  request: Request,
  strict: boolean,
  headers: Headers = request.headers,
): Refusal | undefined {
  const accept = headers.get("accept");
  if (accept === null) return strict ? notAcceptable() : undefined;
  const json = acceptsType(accept, "application/json");
  const sse = acceptsType(accept, "text/event-stream");
  if (json && sse) return undefined;
  if (!strict && (json || sse)) return undefined;
  return notAcceptable();
}

/** `Accept` guard for GET: the listening stream needs `text/event-stream`. */
export function checkGetAccept(request: Request): Refusal | undefined {
  const accept = request.headers.get("accept");
  if (accept !== null && acceptsType(accept, "text/event-stream")) return undefined;
  return refuse(406, "Not Acceptable: GET requires Accept: text/event-stream", { step: "accept" });
}

function notAcceptable(): Refusal {
  return refuse(
    406,
    "Not Acceptable: client must accept application/json and text/event-stream",
    { step: "accept" },
  );
}

/** `Content-Type` guard: POST bodies must be `application/json` (parameters allowed); `headers` as in {@linkcode checkHostAndOrigin}. */
export function checkContentType(
  request: Request,
  headers: Headers = request.headers,
): Refusal | undefined {
  const type = headers.get("content-type");
  if (type === "application/json") return undefined;
  if (type !== null) {
    const base = type.split(";")[0].trim().toLowerCase();
    if (base === "application/json") return undefined;
  }
  return refuse(415, "Unsupported Media Type: Content-Type must be application/json", {
    step: "content-type",
  });
}
