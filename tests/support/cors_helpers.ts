/**
 * Helpers for the CORS tests: a browser's preflight, and assertions on the
 * grant an answer carries (or must not carry). Not a test file itself.
 * @module
 */

import assert from "node:assert/strict";
import { ENDPOINT } from "../helpers.ts";

/** The page origin the CORS tests allow. */
export const PAGE = "http://127.0.0.1:5173";
/** An origin no test allows. */
export const STRANGER = "https://evil.example";

/** A preflight as Chromium sends it before a cross-origin POST of the SDK client. */
export function preflightRequest(
  origin: string,
  options: { url?: string; method?: string; headers?: string; host?: string } = {},
): Request {
  const headers = new Headers({
    origin,
    "access-control-request-method": options.method ?? "POST",
  });
  if (options.headers !== undefined) headers.set("access-control-request-headers", options.headers);
  if (options.host !== undefined) headers.set("host", options.host);
  return new Request(options.url ?? ENDPOINT, { method: "OPTIONS", headers });
}

/** The header names of a comma-separated list, lower-cased. */
export function headerList(value: string | null): string[] {
  return value === null ? [] : value.split(",").map((name) => name.trim().toLowerCase());
}

/** Asserts `response` grants `origin` and exposes what an MCP page must read. */
export function assertGranted(response: Response, origin: string, credentials = false): void {
  const headers = response.headers;
  assert.equal(headers.get("access-control-allow-origin"), origin, "the origin is granted");
  assert.ok(headerList(headers.get("vary")).includes("origin"), "Vary names Origin");
  const exposed = headerList(headers.get("access-control-expose-headers"));
  for (
    const name of [
      "mcp-session-id",
      "mcp-protocol-version",
      "www-authenticate",
      "retry-after",
      "dpop-nonce",
    ]
  ) {
    assert.ok(exposed.includes(name), `${name} is exposed (got ${exposed.join(", ")})`);
  }
  assert.equal(
    headers.get("access-control-allow-credentials"),
    credentials ? "true" : null,
    "credentials as configured",
  );
}

/** Asserts `response` grants nothing: no Access-Control-* header at all. */
export function assertNotGranted(response: Response): void {
  const granted = [...response.headers.keys()].filter((name) =>
    name.toLowerCase().startsWith("access-control-")
  );
  assert.deepEqual(granted, [], "no Access-Control-* header");
}
