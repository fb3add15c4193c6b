/**
 * Runs one 2026-07-28 request through the dispatcher and gives its final
 * JSON-RPC response, encoded for the modern wire (wire_answer.ts): a retry
 * that carries a `requestState` or input responses has them opened first
 * (carried_state.ts), and a handler that asks the client something adds to
 * the run's input round instead of sending a server→client request. The run
 * owns its signal (cancellation, a closed stream, `close()`).
 *
 * It writes nothing and chooses no form for the answer: JSON or a stream,
 * and what a hang-up does, is the exchange that extends it (exchange.ts).
 * @module
 */

import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/messages.ts";
import {
  ownerKeyOf,
  type Principal,
  type RequestContext,
} from "../protocol/context/request_context.ts";
import { isPromiseLike, type MaybePromise } from "../protocol/maybe_async.ts";
import type { RequestTelemetry } from "../observe/telemetry/request_telemetry.ts";
import type { ModernEnvelope } from "./requests/envelope.ts";
import { NAMED_BY } from "./requests/param_headers.ts";
import { collectAnswers, InputRound } from "./rounds/input_requests.ts";
import type { RequestStateBinding } from "./rounds/request_state.ts";
import { openCarriedState } from "./rounds/carried_state.ts";
import { type ContextSource, ModernRequestContext } from "./request_context.ts";
import { encodeAnswer, failedAnswer, type WireDependencies, type WireRun } from "./wire_answer.ts";

/**
 * One modern request's run: its signal, its input round and its dispatch.
 * The exchange (exchange.ts) extends it with the answer's form and `emit`.
 *
 * @example
 * ```ts ignore (internal: extended by the modern exchange, which answers with what it runs)
 * class ModernExchange extends ModernRun<ModernExchangeDependencies> {
 *   answer(): MaybePromise<JsonRpcResponse> {
 *     return this.run();
 *   }
 * }
 * ```
 */
export abstract class ModernRun<Dependencies extends WireDependencies>
  implements WireRun, ContextSource {
  readonly deps: Dependencies;
  readonly request: JsonRpcRequest;
  readonly envelope: ModernEnvelope;
  readonly principal: Principal;
  /** Created when the signal is first read or the call aborted: most calls never need one. */
  #controller: AbortController | undefined;
  readonly ownerKey: string;
  /** The param naming the target, for the methods that may answer `input_required`. */
  readonly #inputTarget: string | undefined;
  /** The input requests of this run, once the handler asked (see {@linkcode inputRound}). */
  round: InputRound | undefined;
  /** The request's span and timing; undefined while no OpenTelemetry provider is registered. */
  protected readonly observed: RequestTelemetry | undefined;

  /** The run of `request`, sent by `principal` with `envelope`; `observed` traces it. */
  constructor(
    deps: Dependencies,
    request: JsonRpcRequest,
    envelope: ModernEnvelope,
    principal: Principal,
    observed: RequestTelemetry | undefined,
  ) {
    this.observed = observed;
    this.deps = deps;
    this.request = request;
    this.envelope = envelope;
    this.principal = principal;
    this.ownerKey = ownerKeyOf(principal);
    this.#inputTarget = NAMED_BY.get(request.method);
  }

  /** The request's id. */
  get id(): JsonRpcRequest["id"] {
    return this.request.id;
  }

  /** The request's method. */
  get method(): string {
    return this.request.method;
  }

  /** The call's signal (aborts on cancellation, a closed stream, or close()). */
  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  /** True once aborted (reading it creates nothing). */
  get aborted(): boolean {
    return this.#controller?.signal.aborted ?? false;
  }

  /** Aborts the call's signal with `reason`. */
  abort(reason: string): void {
    (this.#controller ??= new AbortController()).abort(reason);
  }

  /** Sends a message of the run to its client (the exchange knows where). */
  abstract emit(message: JsonRpcMessage): Promise<void>;

  /**
   * The final JSON-RPC response of the request, encoded for the modern wire:
   * at once when the dispatcher answers at once. Never throws, and its
   * promise never rejects.
   */
  protected run(): MaybePromise<JsonRpcResponse> {
    const params = this.request.params ?? {};
    if (
      this.#inputTarget !== undefined &&
      (params.requestState !== undefined || params.inputResponses !== undefined)
    ) {
      return this.#runWithState(params);
    }
    return this.#dispatch(params);
  }

  /** {@linkcode run} for a retry that carries a `requestState` or input responses: opened first. */
  async #runWithState(params: Record<string, unknown>): Promise<JsonRpcResponse> {
    const id = this.request.id;
    try {
      const carried = await openCarriedState(
        this.deps,
        id,
        params.requestState,
        this.binding(params),
      );
      if (carried !== undefined && "jsonrpc" in carried) return carried;
      this.round = new InputRound(
        collectAnswers(params.inputResponses, carried),
        this.envelope.clientCapabilities,
      );
    } catch (error) {
      return failedAnswer(this, error);
    }
    return await this.#dispatch(params);
  }

  /** The dispatcher's answer, encoded; at once when the dispatcher answers at once. */
  #dispatch(params: Record<string, unknown>): MaybePromise<JsonRpcResponse> {
    let response: MaybePromise<JsonRpcResponse>;
    try {
      const ctx: RequestContext = new ModernRequestContext(this);
      if (this.observed !== undefined) ctx.trace = this.observed;
      response = this.deps.dispatcher.handle(this.request, ctx);
    } catch (error) {
      return failedAnswer(this, error);
    }
    if (!isPromiseLike(response)) return encodeAnswer(this, response, params);
    return response.then(
      (answered) => encodeAnswer(this, answered, params),
      (error) => failedAnswer(this, error),
    );
  }

  /** This run's input requests, made on the first ask; undefined where it cannot ask. */
  inputRound(): InputRound | undefined {
    if (this.#inputTarget === undefined) return undefined;
    return this.round ??= new InputRound({}, this.envelope.clientCapabilities);
  }

  /** What a sealed `requestState` is bound to: the principal, the method and its target. */
  binding(params: Record<string, unknown>): RequestStateBinding {
    const target = params[this.#inputTarget!] ?? ""; // not a string: JSON text, never a throw
    return {
      ownerKey: this.ownerKey,
      method: this.request.method,
      target: typeof target === "string" ? target : JSON.stringify(target),
      params,
    };
  }
}
