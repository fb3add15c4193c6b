/**
 * The error a `verifyAccessToken` function (the `oauth` option) throws when
 * the authorization server it needs cannot be reached (its metadata, keys or
 * introspection endpoint): the handler answers `503` with `Retry-After` and
 * a JSON-RPC error body, neither a `401` (the token may be good) nor a `500`.
 * It says nothing of the token itself (that is `InvalidTokenError`).
 * @module
 */

/**
 * Thrown by a token verifier while the issuer is unreachable. The handler
 * reports it to `onError` unless `alreadyReported` (the verifiers of
 * `@tether/mcp/oauth` report an outage once, not once per request).
 *
 * @example
 * ```ts
 * import { IssuerUnavailableError } from "@tether/mcp";
 * const verifyAccessToken = async (token: string) => {
 *   const answer = await fetch("https://auth.example.com/check", { method: "POST", body: token })
 *     .catch((error) => {
 *       throw new IssuerUnavailableError("auth.example.com unreachable", { cause: error });
 *     });
 *   return answer.ok ? { id: await answer.text(), scopes: [], claims: {} } : null;
 * };
 * ```
 */
export class IssuerUnavailableError extends Error {
  /** Seconds a client should wait before it retries (at least 1). */
  readonly retryAfterSeconds: number;
  /** True when this outage was reported already: the handler does not report it again. */
  readonly alreadyReported: boolean;

  /** An error saying the issuer is unreachable; `retryAfterSeconds` defaults to 30. */
  constructor(
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; alreadyReported?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "IssuerUnavailableError";
    this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds ?? 30));
    this.alreadyReported = options.alreadyReported ?? false;
  }
}
