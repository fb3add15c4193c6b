/**
 * Two instances of the fixture (examples/everything.ts's handler, each with a Redis backend of its
 * own on one real redis-server) with OAUTH_DPOP=required and one OAUTH_RESOURCE, tokens from a
 * real authorization server (oidc-provider): a proof served on one is refused on the other, both
 * ways, since the fixture hands the backend's DPoP replay store to `auth.oauth.dpop`.
 */

import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { McpHandler } from "../../../mod.ts";
import { createRedisBackend, type RedisBackend } from "../../../src/redis/redis_backend.ts";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { ENDPOINT, initializeMessage, postRequest } from "../../helpers.ts";
import {
  type AuthorizationServer,
  startAuthorizationServer,
} from "../oauth/authorization_server_process.ts";
import { boundToken, dpopProof, proofKey } from "../oauth/dpop_proofs.ts";
import { itRedis, redisSkip, startRedis, type TestRedis } from "./redis_server.ts";

let as: AuthorizationServer | undefined;
let redis: TestRedis | undefined;
before(async () => {
  if (redisSkip !== false) return;
  redis = await startRedis();
  as = await startAuthorizationServer();
});
after(async () => {
  await as?.stop();
  await redis?.stop();
});

/** The fixture's answer to an initialize with `token` and `proof`, read whole. */
async function send(handler: McpHandler, token: string, proof: string): Promise<Response> {
  const response = await handler(postRequest(initializeMessage(), {
    headers: { authorization: `DPoP ${token}`, dpop: proof },
  }));
  await response.text();
  return response;
}

itRedis(
  "a proof served on one fixture instance is refused on the other sharing Redis",
  async () => {
    const env = { OAUTH_ISSUER: as!.issuer, OAUTH_DPOP: "required", OAUTH_RESOURCE: ENDPOINT };
    const backends: RedisBackend[] = [];
    const handlers: McpHandler[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const backend = await createRedisBackend({ url: redis!.url }, { prefix: "fixture-dpop:" });
        backends.push(backend);
        handlers.push(createEverythingHandler(env, backend));
      }
      const [a, b] = handlers;
      const key = await proofKey();
      const token = await boundToken(as!.issuer, key, ENDPOINT);
      const proof = () => dpopProof(key, { htu: ENDPOINT, token });
      for (const [first, second] of [[a, b], [b, a]]) {
        const once = await proof();
        assert.equal((await send(first, token, once)).status, 200);
        const replayed = await send(second, token, once);
        assert.equal(replayed.status, 401, "the other instance refuses the proof");
        assert.match(replayed.headers.get("www-authenticate") ?? "", /the proof was used before/);
        assert.equal(
          (await send(second, token, await proof())).status,
          200,
          "a fresh one is served",
        );
      }
    } finally {
      for (const handler of handlers) await handler.close();
      for (const backend of backends) await backend.close();
    }
  },
);
