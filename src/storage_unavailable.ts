/**
 * The error a shared store throws when it cannot be reached (as opposed to
 * one that answered with an error): the handler answers `503` with
 * `Retry-After` instead of `500`, so clients and load balancers retry, and
 * nothing falls back to memory silently.
 * @module
 */

/**
 * Thrown by a store, event log or bus when its backing service is
 * unreachable. The handler turns it into `503 Service Unavailable` with
 * `Retry-After` and a JSON-RPC error body, and reports it to `onError`.
 *
 * @example
 * ```ts
 * import { StorageUnavailableError } from "@tether/mcp";
 *
 * async function fetchRecord(send: () => Promise<string>): Promise<string> {
 *   try {
 *     return await send();
 *   } catch (error) {
 *     throw new StorageUnavailableError("sessions database unreachable", { cause: error });
 *   }
 * }
 * ```
 */
export class StorageUnavailableError extends Error {
  /** Seconds a client should wait before it retries. */
  readonly retryAfterSeconds: number;

  /** An error saying storage is unreachable; `retryAfterSeconds` defaults to 1. */
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = "StorageUnavailableError";
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }
}
