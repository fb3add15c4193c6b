/**
 * Two instances of the fixture (examples/everything.ts's handler, each with a Postgres backend of
 * its own on one real PostgreSQL 15, one namespace) with OAUTH_DPOP=required and one
 * OAUTH_RESOURCE, tokens from a real authorization server (oidc-provider): a proof served on one
 * is refused on the other, both ways, since the fixture hands the backend's DPoP replay store to
 * `auth.oauth.dpop`.
 */

import { after, before } from "node:test";
import type { McpHandler } from "../../../mod.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
} from "../../../src/postgres/postgres_backend.ts";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { ENDPOINT } from "../../helpers.ts";
import {
  type AuthorizationServer,
  startAuthorizationServer,
} from "../oauth/authorization_server_process.ts";
import { assertProofOncePerDeployment } from "../oauth/dpop_proofs.ts";
import { itPostgres, migratedPostgresForFile, postgresSkip } from "./postgres_server.ts";

const postgresServer = migratedPostgresForFile();
let as: AuthorizationServer | undefined;
before(async () => {
  if (postgresSkip === false) as = await startAuthorizationServer();
});
after(async () => {
  await as?.stop();
});

itPostgres(
  "a proof served on one fixture instance is refused on the other sharing Postgres",
  async () => {
    const env = { OAUTH_ISSUER: as!.issuer, OAUTH_DPOP: "required", OAUTH_RESOURCE: ENDPOINT };
    const backends: PostgresBackend[] = [];
    const handlers: McpHandler[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const backend = await createPostgresBackend({ url: postgresServer().url }, {
          namespace: "fixture-dpop",
          listen: false,
        });
        backends.push(backend);
        handlers.push(createEverythingHandler(env, backend));
      }
      const [a, b] = handlers;
      await assertProofOncePerDeployment(a, b, as!.issuer);
    } finally {
      for (const handler of handlers) await handler.close();
      for (const backend of backends) await backend.close();
    }
  },
);
