/**
 * The error an `authenticate` function throws to refuse a request. It carries
 * the HTTP response to send (401 with `WWW-Authenticate` by default).
 * @module
 */

import { httpError } from "../http/error_response.ts";

/**
 * Options of {@linkcode AuthenticationError}.
 *
 * @example
 * ```ts
 * import { AuthenticationError, type AuthenticationErrorOptions } from "@tether/mcp";
 * const options: AuthenticationErrorOptions = { status: 403, wwwAuthenticate: 'Bearer error="insufficient_scope"' };
 * const refusal = new AuthenticationError("Needs the mcp:write scope", options);
 * ```
 */
export interface AuthenticationErrorOptions {
  /** The `WWW-Authenticate` header, e.g. `Bearer resource_metadata="https://..."`. Default `Bearer`. */
  wwwAuthenticate?: string;
  /** 401 (missing or bad credentials, default) or 403 (insufficient scope). */
  status?: 401 | 403;
}

/**
 * Thrown by `authenticate` to refuse a request.
 *
 * @example
 * ```ts
 * import { AuthenticationError, createMcpHandler } from "@tether/mcp";
 * const handler = createMcpHandler({
 *   name: "demo",
 *   version: "1.0.0",
 *   auth: {
 *     authenticate(request) {
 *       const token = request.headers.get("authorization");
 *       if (token !== "Bearer s3cret") {
 *         throw new AuthenticationError("Invalid token", { wwwAuthenticate: 'Bearer error="invalid_token"' });
 *       }
 *       return { id: "alice" };
 *     },
 *   },
 * });
 * ```
 */
export class AuthenticationError extends Error {
  /** The response the handler sends. */
  readonly response: Response;

  /** Creates the error and its response. */
  constructor(message = "Unauthorized", options: AuthenticationErrorOptions = {}) {
    super(message);
    this.name = "AuthenticationError";
    const status = options.status ?? 401;
    this.response = httpError(status, message, {
      headers: { "www-authenticate": options.wwwAuthenticate ?? "Bearer" },
    });
  }
}
