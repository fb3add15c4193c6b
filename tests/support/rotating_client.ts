/**
 * The official SDK client behind a round-robin load balancer: every HTTP request it makes goes
 * to the next of several instances in turn, each request recorded with where it went. Shared by
 * the cross-instance tests on Redis and Postgres. Not a test file itself.
 * @module
 */

// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.d.ts"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="../../node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.d.ts"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** An instance a rotating client may reach: its name (for the record) and MCP endpoint. */
export interface RotationTarget {
  readonly name: string;
  readonly url: string;
}

/** One request the client made, and the instance it went to. */
export interface RoutedRequest {
  readonly instance: string;
  readonly method: string;
  /** The `Last-Event-ID` it carried (a resume), if any. */
  readonly lastEventId?: string;
}

/** A connected rotating client and the record of where its requests went. */
export interface RotatingClient {
  readonly client: Client;
  /** The JSON bodies of its POSTs, with where each went. */
  readonly posts: { instance: string; body: string }[];
  /** Every request, in the order made. */
  readonly requests: RoutedRequest[];
  close(): Promise<void>;
}

/** Options of {@linkcode rotatingClient}. */
export interface RotatingClientOptions {
  /** Runs before the client connects (its request handlers). */
  setup?: (client: Client) => void;
  /** Sees each request once its response's headers arrived. */
  onResponse?: (request: RoutedRequest) => void;
  /** How often a cut stream is resumed (`Last-Event-ID`), one second apart. Default 0. */
  maxRetries?: number;
}

/**
 * Connects an SDK client (capability `elicitation`) whose every request goes to the next of
 * `instances` in turn, as `Bearer token`.
 */
export async function rotatingClient(
  instances: readonly RotationTarget[],
  token: string,
  { setup, onResponse, maxRetries = 0 }: RotatingClientOptions = {},
): Promise<RotatingClient> {
  let turn = 0;
  const posts: { instance: string; body: string }[] = [];
  const requests: RoutedRequest[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(instances[0].url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
    reconnectionOptions: {
      initialReconnectionDelay: 1_000,
      maxReconnectionDelay: 1_000,
      reconnectionDelayGrowFactor: 1,
      maxRetries,
    },
    fetch: async (_input: string | URL, init?: RequestInit) => {
      const instance = instances[turn++ % instances.length];
      const method = init?.method ?? "GET";
      if (method === "POST" && typeof init?.body === "string") {
        posts.push({ instance: instance.name, body: init.body });
      }
      const lastEventId = new Headers(init?.headers).get("last-event-id") ?? undefined;
      const request = { instance: instance.name, method, lastEventId };
      requests.push(request);
      const response = await fetch(new URL(instance.url), init);
      onResponse?.(request);
      return response;
    },
  });
  const client = new Client({ name: "rotating", version: "1.0.0" }, {
    capabilities: { elicitation: {} },
  });
  client.onerror = () => {};
  setup?.(client);
  await client.connect(transport);
  return { client, posts, requests, close: () => client.close() };
}
