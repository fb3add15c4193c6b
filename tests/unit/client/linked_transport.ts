/**
 * A test helper of tests/unit/client: an in-memory link of two
 * `MessageTransport` ends (what one sends reaches the other a microtask
 * later), and a `SessionClient` over it whose peer answers `initialize`.
 */

import type { MessageTransport } from "../../../src/client/message_transport.ts";
import { SessionClient } from "../../../src/client/session_client.ts";

// deno-lint-ignore no-explicit-any
type Field = any;

/** A JSON-RPC message as the tests read it. */
export type Message = {
  id?: string | number;
  method?: string;
  params?: Field;
  result?: Field;
  error?: Field;
};

/** One end of an in-memory link: what it sends reaches the other end a microtask later. */
export class End implements MessageTransport {
  other!: End;
  received: Message[] = [];
  version: string | undefined;
  #waiters: { match(message: Message): boolean; resolve(message: Message): void }[] = [];
  onmessage?: (message: object, extra?: object) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  start(): Promise<void> {
    return Promise.resolve();
  }
  send(message: object): Promise<void> {
    return this.deliver(message);
  }
  /** Sends `message`, delivered with `extra`. */
  deliver(message: object, extra?: object): Promise<void> {
    queueMicrotask(() => this.other.#take(message as Message, extra));
    return Promise.resolve();
  }
  /** Hands `message` to the other end now, within this call (two in a row share a turn). */
  deliverNow(message: object, extra?: object): void {
    this.other.#take(message as Message, extra);
  }
  #take(message: Message, extra?: object): void {
    this.received.push(message);
    this.#waiters = this.#waiters.filter((w) => !(w.match(message) && (w.resolve(message), true)));
    this.onmessage?.(message, extra);
  }
  /** The first message received (or to come) that `match`es. */
  next(match: (message: Message) => boolean): Promise<Message> {
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
  close(): Promise<void> {
    this.onclose?.();
    return Promise.resolve();
  }
  setProtocolVersion(version: string): void {
    this.version = version;
  }
}

/** A client and its peer; the peer answers `initialize` with `version` and passes on the rest. */
export function linked(
  version = "2025-11-25",
  onRequest: (message: Message, peer: End) => void = () => {},
) {
  const near = new End();
  const peer = new End();
  near.other = peer;
  peer.other = near;
  peer.onmessage = (value) => {
    const message = value as Message;
    if (message.method === "initialize") {
      void peer.send({
        jsonrpc: "2.0",
        id: message.id,
        result: {
          protocolVersion: version,
          capabilities: { tools: { listChanged: true } },
          serverInfo: { name: "peer", version: "1" },
        },
      });
    } else if (message.method !== undefined && message.id !== undefined) onRequest(message, peer);
  };
  const client = new SessionClient(near, {
    clientInfo: { name: "unit", version: "0.1" },
    capabilities: { sampling: {} },
  });
  return { client, near, peer };
}

/** A connected client whose peer answers each request with `answer(message)` when it gives one. */
export async function connected(
  answer: (message: Message, peer: End) => object | undefined = () => undefined,
) {
  const link = linked("2025-11-25", (message, peer) => {
    const reply = answer(message, peer);
    if (reply !== undefined) void peer.send(reply);
  });
  await link.client.connect();
  return link;
}

/** Matches the answer to request `id`. */
export const answerTo = (id: unknown) => (message: Message) => message.id === id && !message.method;

/** Matches a message of `method`. */
export const named = (method: string) => (message: Message) => message.method === method;
