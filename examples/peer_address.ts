/**
 * The peer address each request being served came from, as examples/serve.ts
 * saw it. Its own module, free of any server, so a handler that keys on it
 * (the everything fixture's rate limit) can be bundled for a host that serves
 * requests itself (Cloudflare Workers) without pulling in a Node server.
 * @module
 */

/** The peer address per request (a WeakMap: nothing outlives its request). */
const peers = new WeakMap<Request, string>();

/** Records the address `request` came from (called by the server that accepted it). */
export function recordPeerAddress(request: Request, address: string): void {
  peers.set(request, address);
}

/**
 * The IP address of the peer `request` came from, as examples/serve.ts's
 * server saw it (Deno: `info.remoteAddr`, Bun: `server.requestIP()`, Node:
 * the socket); undefined for a request it did not serve. Behind a proxy this
 * is the proxy's address: see docs/sessions-and-security.md on keying a rate limit there.
 */
export function peerAddress(request: Request): string | undefined {
  return peers.get(request);
}
