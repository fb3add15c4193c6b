/**
 * The shape a sessionful-revision POST must have, checked the same way by
 * the sessionful pipeline and the stateless mode: `initialize` alone (never
 * in a batch), and batches only in 2025-03-26, the one revision that has
 * them. The MCP-Protocol-Version header is checked in
 * src/legacy/protocol_version.ts. It decides nothing about sessions or what
 * the messages ask for.
 * @module
 */

import { type Refusal, refuse } from "../../http/refusal.ts";
import type { ClassifiedMessage } from "../../jsonrpc/messages.ts";

/** The revision that allows JSON-RPC batches. */
const BATCH_VERSION = "2025-03-26";

/** The `initialize` request among `messages`, if any. */
export function findInitialize(
  messages: readonly ClassifiedMessage[],
): ClassifiedMessage | undefined {
  // A loop, not find(): every sessionful POST asks this, and a closure each time costs.
  for (const message of messages) {
    if (message.kind === "request" && message.message.method === "initialize") return message;
  }
  return undefined;
}

/** The 400 of an `initialize` sent inside a batch. */
export function initializeInBatch(): Refusal {
  return refuse(400, "Invalid Request: initialize must not be part of a batch", {
    step: "jsonrpc",
  });
}

/** The 400 of a batch in a revision other than 2025-03-26; undefined when `version` allows it. */
export function batchRefusal(version: string): Refusal | undefined {
  if (version === BATCH_VERSION) return undefined;
  return refuse(400, "Invalid Request: batches are only allowed for protocol version 2025-03-26", {
    step: "jsonrpc",
  });
}
