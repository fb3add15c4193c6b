/**
 * How the gateway tests' servers authenticate a downstream caller:
 * `Bearer down-<user>` is `<user>`, any other caller anonymous. Web APIs
 * only (a Worker bundles it too). Not a test file itself.
 * @module
 */

/** The user a `Bearer down-<user>` request is, or `undefined` (anonymous). */
export function downstreamUser(request: Request): { id: string } | undefined {
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
  return token?.startsWith("down-") ? { id: token.slice(5) } : undefined;
}
