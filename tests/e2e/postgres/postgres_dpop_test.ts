/**
 * The DPoP replay cache on a real PostgreSQL 15 this file starts: a DPoP-bound token's proof
 * used on one instance is refused on another sharing the database (each instance with a backend
 * of its own), one of two instances claiming a proof at once wins, and a Postgres that stopped
 * fails the request closed (503 + Retry-After, never the proof let through, never a hang), then
 * serves again once it is back.
 */
import assert from "node:assert/strict";
import type { McpHandler } from "../../../mod.ts";
import {
  createPostgresBackend,
  type PostgresBackend,
} from "../../../src/postgres/postgres_backend.ts";
import { ENDPOINT, initializeMessage, postRequest, until, within } from "../../helpers.ts";
import { dpopBoundHandler, dpopProof, type ProofKey, proofKey } from "../oauth/dpop_proofs.ts";
import { itPostgres, migratedPostgresForFile } from "./postgres_server.ts";

const postgresServer = migratedPostgresForFile();
let n = 0;

/** An instance whose DPoP replay cache is `backend`'s, accepting the token "bound" to `key`. */
function instance(backend: PostgresBackend, key: ProofKey): McpHandler {
  return dpopBoundHandler(backend.dpopReplayStore, key);
}

/** `handler`'s answer to an initialize carrying `proof`: its status and headers. */
async function send(handler: McpHandler, proof: string): Promise<Response> {
  const response = await handler(postRequest(initializeMessage(), {
    headers: { authorization: "DPoP bound", dpop: proof },
  }));
  await response.body?.cancel();
  return response;
}

/** Two instances on one namespace, each with a backend of its own; closed after `body`. */
async function twoInstances(
  body: (a: McpHandler, b: McpHandler, key: ProofKey) => Promise<void>,
) {
  const namespace = `d${++n}`;
  const backends = [
    await createPostgresBackend({ url: postgresServer().url }, { namespace, listen: false }),
    await createPostgresBackend({ url: postgresServer().url }, { namespace, listen: false }),
  ];
  const key = await proofKey();
  const [a, b] = backends.map((backend) => instance(backend, key));
  try {
    await body(a, b, key);
  } finally {
    await a.close();
    await b.close();
    for (const backend of backends) await backend.close();
  }
}

const proofOf = (key: ProofKey) => dpopProof(key, { htu: ENDPOINT, token: "bound" });

itPostgres("a proof used on one instance is refused on another sharing Postgres", async () => {
  await twoInstances(async (a, b, key) => {
    const proof = await proofOf(key);
    assert.equal((await send(a, proof)).status, 200);
    const replayed = await send(b, proof);
    assert.equal(replayed.status, 401);
    assert.match(replayed.headers.get("www-authenticate") ?? "", /invalid_dpop_proof/);
    assert.equal((await send(b, await proofOf(key))).status, 200, "a fresh proof is taken");
  });
});

itPostgres("one proof sent to two instances at once is taken once", async () => {
  await twoInstances(async (a, b, key) => {
    for (let round = 0; round < 5; round++) {
      const proof = await proofOf(key);
      const answers = await Promise.all([send(a, proof), send(b, proof), send(a, proof)]);
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 401, 401]);
    }
  });
});

itPostgres(
  "Postgres stopped: 503 + Retry-After at once, never let through; served again after its restart",
  async () => {
    const reports: Error[] = [];
    // statementTimeoutMs bounds each request. Connecting keeps its default deadline: the stopped
    // server refuses connections at once, so a shorter one tests nothing here, while on a loaded
    // machine 1 s failed the backend's startup, and a pool whose connects take about 1 s never
    // connected again after the restart (each attempt cut at 1 s): every proof stayed refused.
    const backend = await createPostgresBackend({ url: postgresServer().url }, {
      namespace: `d${++n}`,
      statementTimeoutMs: 1_000,
      listen: false,
      onError: (error) => reports.push(error as Error),
    });
    const key = await proofKey();
    const handler = instance(backend, key);
    try {
      assert.equal((await send(handler, await proofOf(key))).status, 200);
      await postgresServer().halt("immediate");
      for (let i = 0; i < 3; i++) {
        const refused = await within(
          send(handler, await proofOf(key)),
          5_000,
          "a refusal, not a hang",
        );
        assert.equal(refused.status, 503);
        assert.equal(refused.headers.get("retry-after"), "1");
      }
      assert.equal(
        reports.filter((error) => error.name === "StorageOutageError").length,
        1,
        "told once per outage",
      );
      await postgresServer().restart();
      // While the pool reconnects each proof is refused as above or taken: nothing else.
      await until(
        async () => {
          const answer = await send(handler, await proofOf(key));
          if (answer.status === 200) return true;
          assert.equal(answer.status, 503, "refused or taken, never another answer");
          assert.equal(answer.headers.get("retry-after"), "1");
          return false;
        },
        "proofs to be taken again after the restart",
        15_000,
        200,
      );
      assert.ok(reports.some((error) => error.name === "StorageRecoveredError"), "its end told");
    } finally {
      await handler.close();
      await backend.close();
    }
  },
);
