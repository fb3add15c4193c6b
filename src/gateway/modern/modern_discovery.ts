/**
 * How the gateway picks the revision it speaks to an upstream, and reads a
 * 2026-07-28 upstream's lists: `server/discover` first (unless the upstream
 * is forced to 2025); an upstream that answers it with 2026-07-28 among its
 * versions is spoken to in independent requests, any other answer of a
 * server that does not know it (a 4xx, a JSON-RPC error) falls back to a
 * 2025 session (never with `protocol: "2026-07-28"`). A transport failure is
 * a failure (the upstream is down: discovery retries), never a fallback;
 * but where the endpoint says silence is a refusal (stdio: a 2025 server may
 * leave an unknown request unanswered), no answer within its deadline is one.
 * The session of a 2026 upstream keeps only its listen stream
 * (modern_listen.ts); the calls themselves are modern_calls.ts's.
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";
import type { Principal } from "../../protocol/context/request_context.ts";
import { FIRST_MODERN_PROTOCOL_VERSION } from "../../protocol/eras.ts";
import type { ModernEndpoint } from "./modern_endpoint.ts";
import { ListenStream } from "./modern_listen.ts";
import { exchangeModern, NotAnAnswer } from "../../client/modern_request.ts";
import { upstreamError } from "../upstream_failure.ts";
import type { ListKind } from "../sessions/upstream_connection.ts";
import { GATEWAY_CLIENT_INFO } from "../gateway_defaults.ts";

/** The statuses of a server that does not serve 2026-07-28 requests. */
const NOT_MODERN = new Set([400, 404, 405, 406, 415]);

/** The longest a discover or a list page may take, ms. */
const READ_TIMEOUT_MS = 30_000;

/** The capabilities a 2026 upstream declared in `server/discover`. */
export type ServerCapabilities = Record<string, Record<string, unknown> | undefined>;

/** Sends one request as `principal` with no client capabilities; the result, or the upstream's error. */
async function ask(
  endpoint: ModernEndpoint,
  principal: Principal,
  method: string,
  params: Record<string, unknown>,
  timeoutMs = READ_TIMEOUT_MS,
): Promise<Record<string, unknown>> {
  const signal = AbortSignal.timeout(timeoutMs);
  const post = (body: string, headers: Record<string, string>, signal: AbortSignal) =>
    endpoint.post(principal, body, headers, signal);
  const answer = await exchangeModern(post, {
    id: 1,
    method,
    params,
    capabilities: {},
    clientInfo: GATEWAY_CLIENT_INFO,
  }, signal);
  if ("error" in answer) throw upstreamError(answer.error);
  return answer.result;
}

/**
 * The upstream's `server/discover` capabilities when it serves 2026-07-28,
 * undefined when it is a server of the 2025 revisions (fall back), or throws.
 *
 * @example
 * ```ts ignore (internal: needs a live 2026-07-28 upstream endpoint)
 * const capabilities = await negotiate(upstream.modern, GATEWAY_PRINCIPAL);
 * ```
 */
export async function negotiate(
  endpoint: ModernEndpoint,
  principal: Principal,
): Promise<ServerCapabilities | undefined> {
  const forced = endpoint.protocol === FIRST_MODERN_PROTOCOL_VERSION;
  const silence = endpoint.discoverTimeoutMs;
  let result: Record<string, unknown>;
  try {
    result = await ask(endpoint, principal, "server/discover", {}, silence);
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    const refused = error instanceof NotAnAnswer
      ? NOT_MODERN.has(error.status) || silence !== undefined
      : (error as { code?: unknown }).code !== undefined ||
        (silence !== undefined && name === "TimeoutError");
    if (refused && !forced) return undefined;
    throw error;
  }
  const versions = Array.isArray(result.supportedVersions) ? result.supportedVersions : [];
  if (!versions.includes(FIRST_MODERN_PROTOCOL_VERSION)) {
    if (forced) throw new Error("The upstream does not serve 2026-07-28");
    return undefined;
  }
  const capabilities = isPlainObject(result.capabilities) ? result.capabilities : {};
  return capabilities as ServerCapabilities;
}

/**
 * The discovery side of a 2026-07-28 upstream: its capabilities, its lists
 * read in requests of their own (a list source, as readCatalog reads a
 * 2025 session), and its listen stream.
 *
 * @example
 * ```ts ignore (internal: needs a live 2026-07-28 upstream endpoint and its capabilities)
 * const session = new ModernSession(endpoint, capabilities, { principal, onListChanged, retryMs: 1_000, maxRetryMs: 60_000 });
 * ```
 */
export class ModernSession {
  /** Never dead: there is no session to lose (a broken listen stream reopens itself). */
  readonly dead = false;
  readonly #endpoint: ModernEndpoint;
  readonly #principal: Principal;
  readonly #capabilities: ServerCapabilities;
  readonly #listen: ListenStream;

  /** The session of an upstream that declared `capabilities`; list changes go to `onListChanged`. */
  constructor(
    endpoint: ModernEndpoint,
    capabilities: ServerCapabilities,
    settings: {
      principal: Principal;
      onListChanged(kind: ListKind): void;
      retryMs: number;
      maxRetryMs: number;
    },
  ) {
    this.#endpoint = endpoint;
    this.#principal = settings.principal;
    // `resources.subscribe` as discover declared it: subscriptions go over listen streams
    // (modern_subscriptions.ts).
    this.#capabilities = capabilities;
    const kinds = (["tools", "prompts", "resources"] as const).filter((kind) =>
      capabilities[kind]?.listChanged === true
    );
    this.#listen = ListenStream.open(endpoint, { ...settings, kinds });
  }

  /** What the upstream declared. */
  get serverCapabilities(): ServerCapabilities {
    return this.#capabilities;
  }

  /** One page of list `method` from `cursor`. */
  page(method: string, cursor: string | undefined): Promise<Record<string, unknown>> {
    return ask(this.#endpoint, this.#principal, method, cursor === undefined ? {} : { cursor });
  }

  /** Ends the listen stream. */
  close(_graceMs: number): Promise<void> {
    this.#listen.close();
    return Promise.resolve();
  }
}
