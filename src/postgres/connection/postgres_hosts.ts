/**
 * Multi-host URLs (`postgres://u@primary:5432,standby:5432/db?target_session_attrs=read-write`):
 * the option that makes postgres.js connect only to the server that takes writes. postgres.js
 * 3.4 tries the hosts in turn on every (re)connect, so a pool and a listener on such a URL follow
 * a promoted standby by themselves; but it judges `read-write` by `default_transaction_read_only`
 * alone, which a hot standby of PostgreSQL 14+ reports `off`, and would stay on the standby.
 * It does not choose hosts nor retry statements itself.
 * @module
 */

/** What postgres.js takes besides the URL: `target_session_attrs`, when the URL asks for one. */
export interface HostChoice {
  target_session_attrs?: "primary";
}

/**
 * The postgres.js option for `url`'s `target_session_attrs`: `read-write` and `primary` become
 * `primary` (a server not in recovery: what libpq's `read-write` skips too, since a standby
 * refuses every write), anything else is left to postgres.js (which refuses unknown values).
 *
 * @example
 * ```ts
 * import { hostChoice } from "./postgres_hosts.ts";
 * hostChoice("postgres://u@10.0.0.1:5432,10.0.0.2:5432/app?target_session_attrs=read-write");
 * // { target_session_attrs: "primary" }
 * hostChoice("postgres://u@db:5432/app"); // {}
 * ```
 */
export function hostChoice(url: string): HostChoice {
  const query = url.slice(url.indexOf("?") + 1).split("#")[0];
  if (!url.includes("?")) return {};
  for (const pair of query.split("&")) {
    const [name, value = ""] = pair.split("=");
    if (name !== "target_session_attrs") continue;
    const wanted = safeDecode(value);
    return wanted === "read-write" || wanted === "primary"
      ? { target_session_attrs: "primary" }
      : {};
  }
  return {};
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
