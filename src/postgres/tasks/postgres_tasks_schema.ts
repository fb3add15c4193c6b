/**
 * The task store's part of the Postgres schema (a step of the versioned migration in
 * connection/postgres_schema.ts): a row per task (its record and, once kept, its result as
 * JSON text, its owner, principal, status class and deadline as columns) and the two functions
 * that check a bound and write in one step across instances. Only SQL; the store is
 * postgres_task_store.ts.
 * @module
 */

/**
 * The tasks table and its functions. `tether_create_task` checks the owner's unfinished tasks
 * and the namespace's tasks under the namespace's advisory lock, then inserts;
 * `tether_task_result_fits` takes the namespace's result lock (held until the caller's
 * transaction commits its result) and says whether `p_bytes` more fit in the total budget and
 * in the principal's share, counting only live results.
 */
export const TASKS_SQL = `
CREATE TABLE tether_tasks (
  namespace text NOT NULL,
  id text NOT NULL,
  owner_key text NOT NULL,
  principal text NOT NULL,
  unfinished boolean NOT NULL,
  record text NOT NULL,
  result text,
  result_bytes bigint NOT NULL DEFAULT 0,
  created_at double precision NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, id)
);
CREATE INDEX tether_tasks_owner ON tether_tasks (namespace, owner_key, created_at);
CREATE INDEX tether_tasks_deadline ON tether_tasks (namespace, expires_at);
CREATE INDEX tether_tasks_results ON tether_tasks (namespace, expires_at)
  INCLUDE (principal, result_bytes) WHERE result_bytes > 0;

-- Inserts a task unless its owner holds p_max_per_owner unfinished live tasks ('owner-full')
-- or the namespace holds p_max live tasks ('full'); 'exists' when a live task has the id (an
-- expired one is replaced). Creates of one namespace take its advisory lock, so the counts and
-- the insert are one step across instances.
CREATE FUNCTION tether_create_task(
  p_namespace text, p_id text, p_owner text, p_principal text, p_record text,
  p_created double precision, p_expires double precision, p_now double precision,
  p_max bigint, p_max_per_owner bigint
) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('tether_tasks:' || p_namespace, 0));
  IF (SELECT count(*) FROM tether_tasks
      WHERE namespace = p_namespace AND owner_key = p_owner AND unfinished
        AND expires_at > p_now) >= p_max_per_owner THEN
    RETURN 'owner-full';
  END IF;
  IF (SELECT count(*) FROM tether_tasks
      WHERE namespace = p_namespace AND expires_at > p_now) >= p_max THEN
    RETURN 'full';
  END IF;
  DELETE FROM tether_tasks WHERE namespace = p_namespace AND id = p_id AND expires_at <= p_now;
  INSERT INTO tether_tasks (namespace, id, owner_key, principal, unfinished, record,
    created_at, expires_at)
  VALUES (p_namespace, p_id, p_owner, p_principal, true, p_record, p_created, p_expires)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN RETURN 'exists'; END IF;
  RETURN 'created';
END $$;

-- True when p_bytes more of p_principal's results fit in p_total (all live results of the
-- namespace) and in p_share (the principal's live results). Takes the namespace's result lock,
-- held until the caller's transaction ends: the caller writes the result in that transaction,
-- so writers of one namespace check and write one at a time across instances.
CREATE FUNCTION tether_task_result_fits(
  p_namespace text, p_principal text, p_bytes bigint, p_now double precision,
  p_total bigint, p_share bigint
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  used bigint;
  mine bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('tether_task_results:' || p_namespace, 0));
  SELECT coalesce(sum(result_bytes), 0),
    coalesce(sum(result_bytes) FILTER (WHERE principal = p_principal), 0)
  INTO used, mine
  FROM tether_tasks
  WHERE namespace = p_namespace AND result_bytes > 0 AND expires_at > p_now;
  RETURN used + p_bytes <= p_total AND mine + p_bytes <= p_share;
END $$;
`;
