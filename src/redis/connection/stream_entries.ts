/**
 * Reading Redis stream replies in either protocol: RESP2 gives arrays, RESP3
 * clients may give objects or maps. Internal to the Redis backends.
 * @module
 */

/** One entry of a Redis stream: its id and its fields. */
export interface StreamEntry {
  /** The entry id, `<ms>-<seq>`. */
  id: string;
  /** Its field/value pairs. */
  fields: Record<string, string>;
}

/** Entries of an `XRANGE`/`XREVRANGE` reply: RESP2 `[id, [field, value, …]]` or RESP3 `{ id, message }`. */
export function entriesOf(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry) => {
    if (Array.isArray(entry)) {
      const flat = entry[1] as unknown[];
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
      return { id: String(entry[0]), fields };
    }
    const { id, message } = entry as { id: string; message: Record<string, string> };
    return { id: String(id), fields: message };
  });
}

/** Entries of an `XREAD` reply for one stream: RESP2 `[[key, entries]]`, RESP3 a map; `null` when it timed out. */
export function streamEntriesOf(reply: unknown): StreamEntry[] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    const first = reply[0] as unknown;
    if (Array.isArray(first)) return entriesOf(first[1]);
    const named = first as { name?: string; messages?: unknown } | undefined;
    return entriesOf(named?.messages);
  }
  if (reply instanceof Map) return entriesOf([...reply.values()][0]);
  return entriesOf(Object.values(reply as Record<string, unknown>)[0]);
}

/**
 * Entries of an `XREAD` reply over several streams, by stream key: RESP2
 * `[[key, entries], …]`, RESP3 a map or `{ name, messages }` objects; empty
 * when it timed out.
 */
export function streamsOf(reply: unknown): Map<string, StreamEntry[]> {
  const streams = new Map<string, StreamEntry[]>();
  if (reply === null || reply === undefined) return streams;
  if (reply instanceof Map) {
    for (const [key, entries] of reply) streams.set(String(key), entriesOf(entries));
  } else if (Array.isArray(reply)) {
    for (const item of reply as unknown[]) {
      if (Array.isArray(item)) streams.set(String(item[0]), entriesOf(item[1]));
      else {
        const { name, messages } = item as { name: string; messages: unknown };
        streams.set(String(name), entriesOf(messages));
      }
    }
  } else {
    for (const [key, entries] of Object.entries(reply as Record<string, unknown>)) {
      streams.set(key, entriesOf(entries));
    }
  }
  return streams;
}
