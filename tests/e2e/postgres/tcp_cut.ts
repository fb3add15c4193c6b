/**
 * A TCP relay on a free loopback port in front of a test Postgres whose connections can be cut
 * at once (both ends destroyed, no goodbye): what a dead network path or a killed proxy does to
 * a client mid-statement, without restarting the server. Not a test file itself.
 * @module
 */

import { connect, createServer, type Socket } from "node:net";

/** A running relay. */
export interface TcpCut {
  readonly port: number;
  /** Destroys every relayed connection now; new ones are relayed again. */
  cut(): void;
  /** Stops accepting: new connections are refused, relayed ones go on. */
  refuse(): void;
  /** How many times the clients have sent `text` (within one chunk) since the relay started. */
  sent(text: string): number;
  close(): Promise<void>;
}

/** Relays 127.0.0.1:<free port> to 127.0.0.1:`targetPort`. */
export async function startTcpCut(targetPort: number): Promise<TcpCut> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  };
  const chunks: string[] = [];
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    client.on("data", (chunk: Uint8Array) => chunks.push(new TextDecoder().decode(chunk)));
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  let closed: Promise<void> | undefined;
  // Stops listening at once; the callback waits for the relayed connections to end.
  const refuse = () => void (closed ??= new Promise((resolve) => server.close(() => resolve())));
  return {
    port,
    cut,
    refuse,
    sent: (text) => chunks.filter((chunk) => chunk.includes(text)).length,
    close: () => {
      cut();
      refuse();
      return closed!;
    },
  };
}
