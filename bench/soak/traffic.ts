/**
 * The hostile soak's traffic (bench/soak_hostile.ts): requests with a deadline tallied by answer,
 * sessions opened, the legacy and 2026-07-28 calls, the hostile loop and the bad-token loop.
 * @module
 */

export const REQUEST_DEADLINE_MS = 15_000;
export const LEGACY_VERSION = "2025-11-25";
export const MODERN_VERSION = "2026-07-28";

/** A random string of `bytes` ASCII letters: a name no server defined and each one new. */
export function junk(bytes: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const seed = Array.from({ length: 64 }, () => alphabet[Math.floor(Math.random() * 62)]).join("");
  return seed.repeat(Math.ceil(bytes / 64)).slice(0, bytes);
}

/** What one server answered, by status. */
export type Tally = Map<string, number>;

export async function send(
  tally: Tally,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<Response | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body,
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    });
    tally.set(String(response.status), (tally.get(String(response.status)) ?? 0) + 1);
    return response;
  } catch (error) {
    const name = (error as Error).name === "TimeoutError" ? "timeout" : "network";
    tally.set(name, (tally.get(name) ?? 0) + 1);
    return undefined;
  }
}

export const rpc = (method: string, params: Record<string, unknown>, id = 1) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params });

/** Opens a legacy session (as `bearer`, or anonymous); its id, or undefined when refused. */
export async function openSession(
  tally: Tally,
  url: string,
  bearer?: string,
): Promise<string | undefined> {
  const auth: Record<string, string> = bearer === undefined
    ? {}
    : { authorization: `Bearer ${bearer}` };
  const response = await send(
    tally,
    url,
    rpc("initialize", {
      protocolVersion: LEGACY_VERSION,
      capabilities: {},
      clientInfo: { name: "soak", version: "1.0.0" },
    }),
    auth,
  );
  await response?.body?.cancel();
  return response?.headers.get("mcp-session-id") ?? undefined;
}

/** A legacy request on `session` (drained). */
export async function legacy(
  tally: Tally,
  url: string,
  session: string,
  body: string,
  bearer?: string,
) {
  const headers: Record<string, string> = {
    "mcp-session-id": session,
    "mcp-protocol-version": LEGACY_VERSION,
  };
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  const response = await send(tally, url, body, headers);
  await response?.text().catch(() => undefined);
}

/** A 2026-07-28 request (drained); `name` goes in Mcp-Name when given. */
export async function modern(
  tally: Tally,
  url: string,
  method: string,
  params: Record<string, unknown>,
  name?: string,
) {
  const body = rpc(method, {
    ...params,
    _meta: {
      "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
      "io.modelcontextprotocol/clientCapabilities": {},
      "io.modelcontextprotocol/clientInfo": { name: "soak", version: "1.0.0" },
    },
  });
  const headers: Record<string, string> = {
    "mcp-protocol-version": MODERN_VERSION,
    "mcp-method": method,
  };
  if (name !== undefined) headers["mcp-name"] = name;
  const response = await send(tally, url, body, headers);
  await response?.text().catch(() => undefined);
}

/** How many scenarios {@linkcode hostileLoop} cycles through: a round of each is one of each. */
export const HOSTILE_SCENARIOS = 9;

/**
 * One worker's endless round of hostile requests against the demo-auth fixture, until `stop`, or
 * until it has made `rounds` rounds (a smoke run: {@linkcode HOSTILE_SCENARIOS}, each scenario once).
 */
export async function hostileLoop(
  url: string,
  tally: Tally,
  stop: AbortSignal,
  rounds = Infinity,
): Promise<void> {
  // A session of its own for the in-session scenarios, reopened when refused or expired.
  let session: string | undefined;
  for (let round = 0; !stop.aborted && round < rounds; round++) {
    session ??= await openSession(tally, url, "soak-worker");
    const scenario = round % HOSTILE_SCENARIOS;
    if (scenario === 0 && session !== undefined) {
      await legacy(tally, url, session, rpc(junk(256 * 1024), {}), "soak-worker");
    } else if (scenario === 1 && session !== undefined) {
      await legacy(
        tally,
        url,
        session,
        rpc("tools/call", { name: junk(256 * 1024), arguments: {} }),
        "soak-worker",
      );
    } else if (scenario === 2 && session !== undefined) {
      await legacy(
        tally,
        url,
        session,
        rpc("prompts/get", { name: junk(64 * 1024) }),
        "soak-worker",
      );
      await legacy(
        tally,
        url,
        session,
        rpc("resources/read", { uri: `x://${junk(7 * 1024)}` }),
        "soak-worker",
      );
    } else if (scenario === 3) {
      await modern(tally, url, junk(4 * 1024), {});
      await modern(tally, url, "tools/call", { name: junk(4 * 1024), arguments: {} }, undefined);
      await modern(tally, url, "resources/read", { uri: `x://${junk(4 * 1024)}` });
    } else if (scenario === 4) {
      // Session flood: anonymous, and a new principal every time (the demo auth trusts any bearer).
      await openSession(tally, url);
      await openSession(tally, url, junk(32));
    } else if (scenario === 5) {
      // Task flood: a task with a 128 KiB result, anonymous and as a new principal.
      for (const bearer of [undefined, junk(24)]) {
        const own = await openSession(tally, url, bearer);
        if (own === undefined) continue;
        await legacy(
          tally,
          url,
          own,
          rpc("tools/call", {
            name: "slow_compute",
            arguments: { seconds: 0, label: junk(128 * 1024) },
            task: { ttl: 60_000 },
          }),
          bearer,
        );
      }
    } else if (scenario === 6) {
      // Bad credentials: a scheme the demo auth refuses, and a long bearer (a new principal).
      await send(tally, url, rpc("tools/list", {}), { authorization: `Basic ${junk(2048)}` })
        .then((r) => r?.body?.cancel());
      await openSession(tally, url, junk(4096));
    } else if (scenario === 7 && session !== undefined) {
      await legacy(
        tally,
        url,
        session,
        rpc("tools/call", { name: "greet", arguments: { name: "soak" } }),
        "soak-worker",
      );
    } else {
      await modern(
        tally,
        url,
        "tools/call",
        { name: "greet", arguments: { name: "soak" } },
        "greet",
      );
    }
    if (round % 50 === 49) session = undefined;
  }
}

/**
 * Bad tokens for the OAuth fixture whose issuer never answers: junk bearers
 * (refused before any network) and JWTs of that issuer with made-up keys
 * (they need its keys: 503 while it cannot be reached), in turn, until `stop`
 * or `rounds` tokens (a smoke run: 2, one of each).
 */
export async function badTokenLoop(
  url: string,
  issuer: string,
  tally: Tally,
  stop: AbortSignal,
  rounds = Infinity,
): Promise<void> {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  for (let round = 0; !stop.aborted && round < rounds; round++) {
    const token = round % 2 === 0
      ? junk(64)
      : `${b64({ alg: "RS256", kid: junk(16) })}.${b64({ iss: issuer, sub: junk(8), exp: 4e9 })}.${
        junk(43)
      }`;
    const response = await send(
      tally,
      url,
      rpc("initialize", {
        protocolVersion: LEGACY_VERSION,
        capabilities: {},
        clientInfo: { name: "soak", version: "1.0.0" },
      }),
      { authorization: `Bearer ${token}` },
    );
    await response?.body?.cancel();
  }
}
