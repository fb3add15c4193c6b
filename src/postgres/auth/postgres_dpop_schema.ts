/**
 * The DPoP replay store's part of the Postgres schema (steps of the versioned migration in
 * connection/postgres_schema.ts): a row per claimed proof, its deadline a column (version 4),
 * then its owner and the function that claims within the owner's share (version 7). Only SQL;
 * the store is postgres_dpop_replay_store.ts.
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

/**
 * Version 7: each proof's owner (the principal's owner key; rows of earlier versions have none
 * and count for no one) and `tether_claim_dpop_proof`, which takes a proof unless it is held
 * ('replay') or its owner holds p_share live proofs ('share-full'). Claims of one owner take its
 * advisory lock, so the count and the insert are one step across instances; claims of one proof
 * by two owners meet at the key's row, where one wins.
 */
export const DPOP_OWNER_SQL = `
ALTER TABLE tether_dpop_proofs ADD COLUMN owner_key text NOT NULL DEFAULT '';
CREATE INDEX tether_dpop_proofs_owner ON tether_dpop_proofs (namespace, owner_key, expires_at);

CREATE FUNCTION tether_claim_dpop_proof(
  p_namespace text, p_key text, p_owner text,
  p_expires double precision, p_now double precision, p_share bigint
) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('tether_dpop:' || p_namespace || ':' || p_owner, 0));
  PERFORM 1 FROM tether_dpop_proofs
  WHERE namespace = p_namespace AND key = p_key AND expires_at > p_now;
  IF FOUND THEN RETURN 'replay'; END IF;
  IF (SELECT count(*) FROM (
        SELECT 1 FROM tether_dpop_proofs
        WHERE namespace = p_namespace AND owner_key = p_owner AND expires_at > p_now
        LIMIT p_share) AS held) >= p_share THEN
    RETURN 'share-full';
  END IF;
  INSERT INTO tether_dpop_proofs AS held (namespace, key, owner_key, expires_at)
  VALUES (p_namespace, p_key, p_owner, p_expires)
  ON CONFLICT (namespace, key) DO UPDATE
  SET expires_at = excluded.expires_at, owner_key = excluded.owner_key
  WHERE held.expires_at <= p_now;
  IF NOT FOUND THEN RETURN 'replay'; END IF;
  RETURN 'claimed';
END $$;
`;
