/**
 * The DPoP replay store's part of the Postgres schema (a step of the versioned migration in
 * connection/postgres_schema.ts): a row per claimed proof, its deadline a column. Only SQL; the
 * store is postgres_dpop_replay_store.ts.
 * @module
 */

/** The claimed proofs: a key (a digest of the proof's key and `jti`) held until `expires_at`. */
export const DPOP_SQL = `
CREATE TABLE tether_dpop_proofs (
  namespace text NOT NULL,
  key text NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, key)
);
CREATE INDEX tether_dpop_proofs_deadline ON tether_dpop_proofs (namespace, expires_at);
`;
