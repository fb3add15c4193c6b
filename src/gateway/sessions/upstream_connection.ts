/**
 * One upstream MCP session: a session client over one transport, opened for
 * one downstream session (or one principal, statelessly), probed when a
 * stream breaks, ended when the upstream forgets it or dies, and telling
 * its owner what the upstream says of the session (lists and subscribed
 * resources changed). What the upstream asks or logs during a call goes to
 * that call (call_routes.ts finds it, call_relay_handlers.ts relays it). It
 * does not decide when to open, reuse or close: upstream_slot.ts does.
 * @module
 */

import { HttpStatusError } from "../../client/rpc_errors.ts";
import { SessionClient } from "../../client/session_client.ts";
import type { HandlerContext, Principal } from "../../protocol/context/request_context.ts";
import type { ClientCapabilities } from "../../protocol/types.ts";
import { CallRelay, type RelayBounds } from "../call_relay.ts";
import { CallRoutes } from "./call_routes.ts";
import { relayCallMessages, relayedCapabilities } from "./call_relay_handlers.ts";
import type { OpenedTransport, Upstream } from "../upstream.ts";
import { GATEWAY_CLIENT_INFO } from "../gateway_defaults.ts";

/** The lists an upstream may announce as changed. */
export type ListKind = "tools" | "prompts" | "resources";

/** What an upstream connection needs besides its upstream. */
export interface ConnectionSettings {
  /** Who the upstream session is for (given to the credentials hook). */
  principal: Principal;
  /** The downstream client's capabilities: the upstream sees those it can relay. */
  capabilities: ClientCapabilities;
  /** The largest message relayed either way, bytes. */
  maxRelayBytes: number;
  /** How long a probe may take, ms (after a response stream of a running call broke). */
  probeTimeoutMs: number;
  /** Told when the upstream announces a list changed. */
  onListChanged?(kind: ListKind): void;
  /** Told once when the transport ends, whoever ended it. */
  onClosed?(): void;
  /**
   * The resource URIs the downstream session subscribed to, kept across the
   * upstream sessions of one slot: a new session subscribes to them again.
   */
  subscriptions?: Set<string>;
  /** Told when the upstream says a subscribed resource changed. */
  onResourceUpdated?(uri: string): void;
  /** What one call may relay. Default: nothing bounded but sizes (a session that runs no calls). */
  relayBounds?: RelayBounds;
  /** Told of each upstream message dropped or refused (unattributable, or past a bound). */
  onDropped?(): void;
}

/** No bounds: for sessions that run no downstream calls (discovery). */
const UNBOUNDED: RelayBounds = {
  maxProgress: Infinity,
  maxLogs: Infinity,
  maxOutstanding: Infinity,
};

/**
 * True when `error` says the upstream no longer knows the session: the
 * HTTP transport's `404` ("Session not found"), answered before the request
 * ran, so the session is over and the request safe to send again. A
 * JSON-RPC error, whatever its words, came from a request that reached the
 * upstream: never this.
 *
 * @example
 * ```ts
 * import { isSessionGone } from "./upstream_connection.ts";
 * console.log(isSessionGone(new Error("Session not found"))); // false
 * ```
 */
export function isSessionGone(error: unknown): boolean {
  return error instanceof HttpStatusError && error.status === 404;
}

/** A live upstream session. */
export class UpstreamConnection {
  /** The client bound to the upstream session. */
  readonly client: SessionClient;
  /** The upstream's name. */
  readonly upstream: string;
  readonly #opened: OpenedTransport;
  readonly #settings: ConnectionSettings;
  /** The downstream calls running on this session, and the upstream requests each sent. */
  readonly #routes = new CallRoutes(() => this.#settings.onDropped?.());
  #dead = false;
  /** True once the upstream said it forgot the session (404). */
  #forgotten = false;
  /** Closes a forgotten session whose calls outlast a probe's time. */
  #forgottenTimer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(upstream: string, opened: OpenedTransport, settings: ConnectionSettings) {
    this.upstream = upstream;
    this.#opened = opened;
    this.#settings = settings;
    this.client = new SessionClient(opened.transport, {
      clientInfo: GATEWAY_CLIENT_INFO,
      capabilities: relayedCapabilities(settings.capabilities),
    });
  }

  /** Opens an upstream session (`initialize`) for `settings.principal`. */
  static async open(upstream: Upstream, settings: ConnectionSettings): Promise<UpstreamConnection> {
    const opened = await upstream.connect(settings.principal);
    const connection = new UpstreamConnection(upstream.name, opened, settings);
    connection.#routes.watchSends(opened.transport);
    connection.#relay();
    try {
      await connection.client.connect();
      // A recreated session takes over the subscriptions of the one it replaces.
      for (const uri of settings.subscriptions ?? []) {
        await connection.client.request("resources/subscribe", { uri });
      }
    } catch (error) {
      await connection.close(0);
      throw error;
    }
    return connection;
  }

  /** The subscriptions of this session's slot (kept across recreations), if it relays them. */
  get subscriptions(): Set<string> | undefined {
    return this.#settings.subscriptions;
  }

  /** True once the transport has ended (the upstream died or the session was closed). */
  get dead(): boolean {
    return this.#dead;
  }

  /** One page of list `method` (a discovery session's catalog reads it). */
  page(method: string, cursor: string | undefined): Promise<Record<string, unknown>> {
    return this.client.request(method, cursor === undefined ? {} : { cursor });
  }

  /** What the upstream declared in `initialize`. */
  get serverCapabilities(): Record<string, unknown> | undefined {
    return this.client.serverCapabilities;
  }

  /**
   * Runs `call` for `ctx`: what the upstream relays about the requests
   * `call` sends (synchronously, as the session client's methods do) goes to
   * `ctx`, within the relay bounds. `call` receives the call's relay (for
   * progress).
   */
  async track<T>(ctx: HandlerContext, call: (relay: CallRelay) => Promise<T>): Promise<T> {
    const relay = new CallRelay(ctx, this.#settings.relayBounds ?? UNBOUNDED, this.#routes.dropped);
    const running = this.#routes.start(relay, call);
    try {
      return await running;
    } finally {
      this.#routes.finish(relay);
      if (this.#forgottenTimer !== undefined && this.#routes.running === 0) {
        clearTimeout(this.#forgottenTimer);
        setTimeout(() => void this.close(0), 0);
      }
    }
  }

  /**
   * Ends the session at once because the upstream no longer knows it: it is
   * dead from now (the slot opens a new one), and closed without a `DELETE`.
   */
  gone(): void {
    this.#ended();
    if (this.#forgotten) return;
    this.#forgotten = true;
    // Closed on a later turn, once no call runs on it: a request in flight gets its own 404
    // (and is sent again on a new session), not "closed". At most a probe's time later.
    if (this.#routes.running === 0) return void setTimeout(() => void this.close(0), 0);
    this.#forgottenTimer = setTimeout(() => void this.close(0), this.#settings.probeTimeoutMs);
  }

  /** True when the upstream answers `ping` within `timeoutMs`. */
  async probe(timeoutMs: number): Promise<boolean> {
    if (this.#dead) return false;
    try {
      await this.client.ping(timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Ends the upstream session: politely (HTTP `DELETE`, stdio stdin closed
   * and SIGTERM) for up to `graceMs`, then by force (stdio: the process
   * group killed). Idempotent; resolves once ended.
   */
  close(graceMs: number): Promise<void> {
    return this.#closing ??= this.#close(graceMs);
  }

  async #close(graceMs: number): Promise<void> {
    // Closing now: a forgotten session's pending close has nothing left to do.
    clearTimeout(this.#forgottenTimer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
    const polite = (async () => {
      if (!this.#dead) await this.#opened.end?.().catch(() => {});
      await this.client.close().catch(() => {});
    })();
    await Promise.race([polite, grace]);
    clearTimeout(timer);
    this.#opened.kill?.();
    this.#ended();
  }

  /** Probes when calls are waiting (or `anyway`); a failed probe ends the session, failing them now. */
  async #checkAlive(anyway: boolean): Promise<void> {
    if ((this.#routes.running === 0 && !anyway) || this.#dead || this.#closing !== undefined) {
      return;
    }
    // A probe answered 404 ended the session already (gone): its calls get their own answers.
    if (!await this.probe(this.#settings.probeTimeoutMs) && !this.#forgotten) await this.close(0);
  }

  #ended(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#settings.onClosed?.();
  }

  #relay(): void {
    const client = this.client;
    const capabilities = relayedCapabilities(this.#settings.capabilities);
    client.onclose = () => {
      this.#ended();
      // The upstream died under us: end the rest (stdio: the process group) at once.
      if (this.#closing === undefined) this.#opened.kill?.();
    };
    client.onerror = (error) => {
      // Failures surface on the calls and nothing of them is relayed; a session the upstream
      // forgot (404) ends now, so the next call opens a new one.
      if (isSessionGone(error)) this.gone();
    };
    this.#opened.onStreamEnd?.((oversized, unanswered) => {
      // An upstream over the size limit broke the protocol: the session ends, failing its calls.
      if (oversized) return void this.close(0);
      // After the answers the stream carried are taken: calls still waiting may wait on a dead
      // upstream; calls failed for want of an answer may have been cut off by one.
      setTimeout(() => void this.#checkAlive(unanswered), 0);
    });
    relayCallMessages(client, this.#routes, capabilities, this.#settings.maxRelayBytes);
    client.setNotificationHandler("notifications/resources/updated", (params) => {
      const uri = params.uri;
      // Only what this downstream session subscribed to: an upstream cannot push other URIs.
      if (typeof uri === "string" && this.#settings.subscriptions?.has(uri)) {
        this.#settings.onResourceUpdated?.(uri);
      }
    });
    const changed = (kind: ListKind) => () => this.#settings.onListChanged?.(kind);
    client.setNotificationHandler("notifications/tools/list_changed", changed("tools"));
    client.setNotificationHandler("notifications/prompts/list_changed", changed("prompts"));
    client.setNotificationHandler("notifications/resources/list_changed", changed("resources"));
  }
}
