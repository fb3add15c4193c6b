/**
 * What stands between the requests and one authorization server: after a
 * failed attempt (its metadata, keys or introspection endpoint unreachable,
 * or answering nonsense) the issuer is not asked again for
 * `retryIntervalMs`, whatever the requests bring, and until it has answered
 * once more only one attempt is in flight (the others wait for it). While it
 * is failing, callers get an {@linkcode IssuerUnavailableError} (a 503 with
 * `Retry-After`), reported once per outage. It does not decide what a
 * failure is beyond "the work threw something other than an
 * `InvalidTokenError`", nor cache answers.
 * @module
 */

import { InvalidTokenError } from "../auth/invalid_token_error.ts";
import { IssuerUnavailableError } from "../auth/issuer_unavailable_error.ts";

/** Options of {@linkcode IssuerGate}. */
export interface IssuerGateOptions {
  /** How long after a failed attempt the issuer is left alone, ms. */
  retryIntervalMs: number;
  /** The clock, ms. */
  now: () => number;
}

/**
 * The attempts made to one issuer.
 *
 * @example
 * ```ts
 * import { IssuerGate } from "./issuer_gate.ts";
 * const gate = new IssuerGate("https://auth.example.com", { retryIntervalMs: 30_000, now: Date.now });
 * const metadata = await gate.attempt(() => fetch("https://auth.example.com/jwks"));
 * ```
 */
export class IssuerGate {
  readonly #name: string;
  readonly #options: IssuerGateOptions;
  /** False until an attempt succeeds, and again after one fails. */
  #answering = false;
  #retryAt = -Infinity;
  /** While the issuer is not known to answer: the one attempt in flight. */
  #probe: Promise<unknown> | undefined;
  /** This outage was reported (the first caller that saw it carried it). */
  #reported = false;

  /** A gate for the issuer `name` (used in messages). */
  constructor(name: string, options: IssuerGateOptions) {
    this.#name = name;
    this.#options = options;
  }

  /** True while the issuer is left alone after a failure. */
  resting(): boolean {
    return this.#options.now() < this.#retryAt;
  }

  /**
   * The result of `work` (which asks the issuer), or an
   * {@linkcode IssuerUnavailableError} without asking while the issuer is
   * resting, or when it fails. An `InvalidTokenError` from `work` passes
   * through (the issuer answered: the token is bad).
   */
  async attempt<T>(work: () => Promise<T>): Promise<T> {
    if (this.resting()) throw this.#unavailable(undefined);
    if (!this.#answering && this.#probe !== undefined) {
      // Someone is finding out whether the issuer answers: its outcome is ours.
      await this.#probe.catch(() => undefined);
      if (!this.#answering) throw this.#unavailable(undefined);
    }
    const running = work();
    if (!this.#answering) {
      const probe = running.finally(() => {
        if (this.#probe === probe) this.#probe = undefined;
      });
      this.#probe = probe;
      probe.catch(() => undefined);
    }
    try {
      const value = await running;
      this.#answering = true;
      this.#reported = false;
      return value;
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        this.#answering = true;
        throw error;
      }
      this.#answering = false;
      this.#retryAt = Math.max(this.#retryAt, this.#options.now() + this.#options.retryIntervalMs);
      throw this.#unavailable(error);
    }
  }

  /** The error for a caller turned away; only the first of an outage is reported. */
  #unavailable(cause: unknown): IssuerUnavailableError {
    const retryAfterMs = Math.max(1_000, this.#retryAt - this.#options.now());
    const error = new IssuerUnavailableError(
      `The authorization server ${this.#name} cannot be reached`,
      {
        ...(cause === undefined ? {} : { cause }),
        retryAfterSeconds: retryAfterMs / 1000,
        alreadyReported: this.#reported,
      },
    );
    this.#reported = true;
    return error;
  }
}
