/**
 * A bus that records what a handler publishes (and delivers nothing), to
 * show that a message never reached the bus. Not a test file itself.
 * @module
 */
import type { BusListener, BusMessage, MessageBus } from "../../src/storage/mod.ts";

/** Records every published message; `subscribe` never delivers. */
export class RecordingBus implements MessageBus {
  /** Every message published, in order, as the bus would carry it (JSON text). */
  readonly published: string[] = [];

  /** Records `message`. */
  publish(message: BusMessage): Promise<void> {
    this.published.push(JSON.stringify(message));
    return Promise.resolve();
  }

  /** Accepts the listener and never calls it. */
  subscribe(_listener: BusListener): Promise<() => void> {
    return Promise.resolve(() => {});
  }

  /** The types of the messages published. */
  types(): string[] {
    return this.published.map((text) => (JSON.parse(text) as BusMessage).type);
  }
}
