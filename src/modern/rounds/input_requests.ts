/**
 * Server→client requests in the 2026-07-28 era (multi-round-trip requests).
 * The server cannot call the client; instead `ctx.elicit`, `ctx.sample` and
 * `ctx.listRoots` look for an answer the client already gave (in this
 * request's `inputResponses`, or carried from earlier rounds in the sealed
 * `requestState`). A call without an answer is recorded and rejects; when the
 * handler has finished, the pipeline answers `resultType: "input_required"`
 * with every recorded request, and the client retries the same call with the
 * answers. So a handler runs again from the start on each round: code before
 * an `await ctx.elicit(...)` must be safe to repeat. A request of a kind the
 * client did not declare is recorded as a missing capability (`-32021`).
 * Scope: one handler run; nothing is kept between rounds but the sealed state.
 * @module
 */

import { ErrorCode, McpError } from "../../jsonrpc/error_codes.ts";
import { isPlainObject } from "../../jsonrpc/messages.ts";
import { CAPABILITY_OF, missingCapability } from "../../protocol/context/handler_context.ts";
import { answerProblem } from "../../protocol/schema/input_answers.ts";
import type { ClientCapabilities } from "../../protocol/types.ts";
import type { UrlElicitation } from "../../protocol/context/url_elicitation.ts";

/** One input request as sent in `inputRequests`. */
export interface InputRequest {
  method: string;
  params: Record<string, unknown>;
}

/** What is carried between rounds inside the sealed `requestState`. */
export interface CarriedInputs {
  /** Answers given so far, by key. */
  answers: Record<string, Record<string, unknown>>;
  /** The method asked under each key in the last round (to check the answers' shape). */
  asked: Record<string, string>;
}

/**
 * Merges the answers of this round into what earlier rounds carried, and
 * checks them: `inputResponses` must be an object of objects, and an answer
 * to a key asked last round must have that request's shape. Unknown keys are
 * ignored. Throws `-32602` otherwise.
 */
export function collectAnswers(
  inputResponses: unknown,
  carried: CarriedInputs | undefined,
): Record<string, Record<string, unknown>> {
  const answers: Record<string, Record<string, unknown>> = { ...carried?.answers };
  if (inputResponses === undefined) return answers;
  if (!isPlainObject(inputResponses)) {
    throw new McpError(ErrorCode.InvalidParams, "inputResponses must be an object");
  }
  for (const key of Object.keys(inputResponses)) {
    const answer = inputResponses[key];
    if (!isPlainObject(answer)) {
      throw new McpError(ErrorCode.InvalidParams, "Each inputResponses entry must be an object");
    }
    const asked = carried !== undefined && Object.hasOwn(carried.asked, key)
      ? carried.asked[key]
      : undefined;
    const problem = asked === undefined ? undefined : answerProblem(asked, answer);
    if (problem !== undefined) {
      throw new McpError(ErrorCode.InvalidParams, `Invalid inputResponses entry: ${problem}`);
    }
    answers[key] = answer;
  }
  return answers;
}

/** A URL-mode elicitation's params without `elicitationId`, which 2026-07-28 removed from the wire. */
function withoutElicitationId(
  method: string,
  params: Record<string, unknown>,
): Record<string, unknown> {
  if (method !== "elicitation/create" || !Object.hasOwn(params, "elicitationId")) return params;
  const { elicitationId: _, ...rest } = params;
  return rest;
}

/** The input requests of one handler run. */
export class InputRound {
  /** Requests without an answer, by key, in call order. */
  readonly pending: Record<string, InputRequest> = {};
  /** Answers the handler used in this run (carried to the next round). */
  readonly used: Record<string, Record<string, unknown>> = {};
  /** Capabilities the handler needed and the client did not declare. */
  missingCapabilities: ClientCapabilities | undefined;
  #answers: Record<string, Record<string, unknown>>;
  #capabilities: ClientCapabilities;
  #ordinals = new Map<string, number>();

  /** Starts a run with the answers known so far and this request's capabilities. */
  constructor(answers: Record<string, Record<string, unknown>>, capabilities: ClientCapabilities) {
    this.#answers = answers;
    this.#capabilities = capabilities;
  }

  /**
   * Answers a handler's server→client request from the known answers, or
   * records it and rejects. `key` defaults to the kind and its ordinal.
   */
  request(
    method: string,
    params: Record<string, unknown>,
    key?: string,
  ): Promise<Record<string, unknown>> {
    const kind = CAPABILITY_OF[method];
    if (kind === undefined) {
      return Promise.reject(
        new McpError(ErrorCode.InvalidRequest, `${method} cannot be asked of the client`),
      );
    }
    const missing = missingCapability(this.#capabilities, method, params);
    if (missing !== undefined) {
      this.missingCapabilities = { ...this.missingCapabilities, ...missing };
      return Promise.reject(
        new McpError(
          ErrorCode.MissingRequiredClientCapability,
          `The client did not declare the ${kind} capability`,
          {
            requiredCapabilities: missing,
          },
        ),
      );
    }
    const ordinal = (this.#ordinals.get(kind) ?? 0) + 1;
    this.#ordinals.set(kind, ordinal);
    const name = key ?? `${kind}-${ordinal}`;
    if (Object.hasOwn(this.#answers, name)) {
      const answer = this.#answers[name];
      const problem = answerProblem(method, answer);
      if (problem === undefined) {
        this.used[name] = answer;
        return Promise.resolve(answer);
      }
    }
    this.pending[name] = { method, params: withoutElicitationId(method, params) };
    return Promise.reject(
      new McpError(ErrorCode.RequestFailed, `Waiting for the client's answer to ${name}`),
    );
  }

  /**
   * Asks for URL-mode elicitations a handler declared required (it threw
   * `UrlElicitationRequiredError`), keyed by their ids, whatever was
   * answered before: only the handler knows whether the out-of-band step is
   * done, and it said it is not. Returns the ids the client already
   * declined or cancelled (the caller ends the request then, rather than ask
   * forever); a client without `elicitation.url` is recorded as missing it.
   */
  requireUrl(elicitations: readonly UrlElicitation[]): string[] {
    const refused: string[] = [];
    for (const { elicitationId, url, message } of elicitations) {
      // 2026-07-28 has no elicitationId on the wire: the key carries it.
      const params = { mode: "url", url, message };
      const missing = missingCapability(this.#capabilities, "elicitation/create", params);
      if (missing !== undefined) {
        this.missingCapabilities = { ...this.missingCapabilities, ...missing };
        continue;
      }
      const action = Object.hasOwn(this.#answers, elicitationId)
        ? this.#answers[elicitationId].action
        : undefined;
      if (action === "decline" || action === "cancel") refused.push(elicitationId);
      else this.pending[elicitationId] = { method: "elicitation/create", params };
    }
    return refused;
  }

  /** What the next round needs to carry: the answers used and what was asked. */
  carry(): CarriedInputs {
    const asked: Record<string, string> = {};
    for (const [key, request] of Object.entries(this.pending)) asked[key] = request.method;
    return { answers: this.used, asked };
  }
}
