/**
 * The bus's part of the Postgres schema (the step that takes it to version 3): each instance's
 * inbox as rows of one table, the live instances, the instances that used each session (its
 * holders), where each long request without a session runs, and the marks of cancellations that
 * found no such request; and the two functions that route, append and trim, and record a request,
 * each in one statement. It runs nothing itself (connection/postgres_schema.ts migrates).
 * @module
 */

/**
 * Version 3 (after the event log's version 2): the message bus. Every row carries its deadline
 * (`expires_at`, ms since the epoch on the writing instance's clock); the backend's sweep deletes
 * the rows past it in batches. A message row is deleted by its reader once delivered.
 *
 * `tether_bus_publish` takes a batch of messages (a JSON array of `{s, o, r, e, b}`: session,
 * owner key and request key of a cancellation without a session, whether the session ended, and
 * the message's JSON) and appends each to the inbox of every live instance it is for: a session's
 * holders, the instances running a request, or every live instance; the origin never. A
 * cancellation that finds no instance running its request leaves a mark instead. Each inbox is
 * then trimmed, oldest first, to `p_max_length` rows and `p_max_bytes` bytes of message (its
 * newest row always kept). Holders found dead leave the session's holders; a session that ended
 * has none left. It returns the instances written to, comma-separated (for the wake-ups).
 *
 * Locks: the request locks of a batch are taken first, in one order; rows are deleted with
 * `SKIP LOCKED`; no other row is locked: batches of different instances never deadlock.
 *
 * @example
 * ```ts
 * import { BUS_SCHEMA_STEP } from "./bus_schema.ts";
 * console.log(BUS_SCHEMA_STEP.includes("CREATE TABLE tether_bus_messages")); // true
 * ```
 */
export const BUS_SCHEMA_STEP = `
CREATE TABLE tether_bus_instances (
  namespace text NOT NULL,
  id text NOT NULL,
  alive_until double precision NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, id)
);
CREATE INDEX tether_bus_instances_expiry ON tether_bus_instances (expires_at);
CREATE TABLE tether_bus_messages (
  namespace text NOT NULL,
  instance_id text NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  origin text NOT NULL,
  body text NOT NULL,
  bytes integer NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, instance_id, id)
);
CREATE INDEX tether_bus_messages_expiry ON tether_bus_messages (expires_at);
CREATE TABLE tether_bus_holders (
  namespace text NOT NULL,
  session_id text NOT NULL,
  instance_id text NOT NULL,
  used_at double precision NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, session_id, instance_id)
);
CREATE INDEX tether_bus_holders_instance ON tether_bus_holders (namespace, instance_id);
CREATE INDEX tether_bus_holders_expiry ON tether_bus_holders (expires_at);
CREATE TABLE tether_bus_requests (
  namespace text NOT NULL,
  owner_key text NOT NULL,
  request_key text NOT NULL,
  instance_id text NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, owner_key, request_key, instance_id)
);
CREATE INDEX tether_bus_requests_instance ON tether_bus_requests (namespace, instance_id);
CREATE INDEX tether_bus_requests_expiry ON tether_bus_requests (expires_at);
CREATE TABLE tether_bus_cancel_marks (
  namespace text NOT NULL,
  owner_key text NOT NULL,
  request_key text NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, owner_key, request_key)
);
CREATE INDEX tether_bus_cancel_marks_expiry ON tether_bus_cancel_marks (expires_at);

CREATE FUNCTION tether_bus_request_lock(p_namespace text, p_owner text, p_request text)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT hashtextextended('tether_bus_requests|' || p_namespace || '|' || p_owner || '|' || p_request, 0)
$$;

CREATE FUNCTION tether_bus_publish(
  p_namespace text, p_origin text, p_messages json, p_now double precision,
  p_alive_ms double precision, p_max_length bigint, p_max_bytes bigint, p_mark_ms double precision
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_lock bigint;
  v_message json;
  v_session text;
  v_targets text[];
  v_alive text[];
  v_dead text[];
  v_written text[] := '{}';
  v_target text;
  v_count bigint;
  v_bytes bigint;
  v_keep bigint;
  v_ended boolean;
BEGIN
  FOR v_lock IN
    SELECT DISTINCT tether_bus_request_lock(p_namespace, m ->> 'o', m ->> 'r') AS k
    FROM json_array_elements(p_messages) AS m WHERE m ->> 'o' IS NOT NULL ORDER BY k
  LOOP
    PERFORM pg_advisory_xact_lock(v_lock);
  END LOOP;
  FOR v_message IN
    SELECT m FROM json_array_elements(p_messages) WITH ORDINALITY AS t(m, n) ORDER BY n
  LOOP
    v_session := v_message ->> 's';
    IF v_session IS NOT NULL THEN
      SELECT coalesce(array_agg(h.instance_id), '{}') INTO v_targets FROM tether_bus_holders h
      WHERE h.namespace = p_namespace AND h.session_id = v_session AND h.instance_id <> p_origin;
    ELSIF v_message ->> 'o' IS NOT NULL THEN
      SELECT coalesce(array_agg(q.instance_id), '{}') INTO v_targets FROM tether_bus_requests q
      WHERE q.namespace = p_namespace AND q.owner_key = v_message ->> 'o'
        AND q.request_key = v_message ->> 'r' AND q.expires_at > p_now;
      IF cardinality(v_targets) = 0 THEN
        INSERT INTO tether_bus_cancel_marks AS c (namespace, owner_key, request_key, expires_at)
        VALUES (p_namespace, v_message ->> 'o', v_message ->> 'r', p_now + p_mark_ms)
        ON CONFLICT (namespace, owner_key, request_key)
        DO UPDATE SET expires_at = excluded.expires_at;
      END IF;
      v_targets := array_remove(v_targets, p_origin);
    ELSE
      SELECT coalesce(array_agg(i.id), '{}') INTO v_targets FROM tether_bus_instances i
      WHERE i.namespace = p_namespace AND i.alive_until > p_now AND i.id <> p_origin;
    END IF;
    SELECT coalesce(array_agg(i.id ORDER BY i.id), '{}') INTO v_alive FROM tether_bus_instances i
    WHERE i.namespace = p_namespace AND i.id = ANY (v_targets) AND i.alive_until > p_now;
    INSERT INTO tether_bus_messages (namespace, instance_id, origin, body, bytes, expires_at)
    SELECT p_namespace, t, p_origin, v_message ->> 'b', octet_length(v_message ->> 'b'),
      p_now + 4 * p_alive_ms
    FROM unnest(v_alive) AS t;
    FOR v_target, v_count, v_bytes IN
      SELECT b.instance_id, count(*), sum(b.bytes) FROM tether_bus_messages b
      WHERE b.namespace = p_namespace AND b.instance_id = ANY (v_alive) GROUP BY b.instance_id
    LOOP
      CONTINUE WHEN v_count <= p_max_length AND v_bytes <= p_max_bytes;
      SELECT min(kept.id) INTO v_keep FROM (
        SELECT b.id, row_number() OVER w AS k, sum(b.bytes) OVER w AS behind
        FROM tether_bus_messages b
        WHERE b.namespace = p_namespace AND b.instance_id = v_target
        WINDOW w AS (ORDER BY b.id DESC)
      ) AS kept
      WHERE kept.k = 1 OR (kept.k <= p_max_length AND kept.behind <= p_max_bytes);
      DELETE FROM tether_bus_messages d WHERE (d.namespace, d.instance_id, d.id) IN (
        SELECT b.namespace, b.instance_id, b.id FROM tether_bus_messages b
        WHERE b.namespace = p_namespace AND b.instance_id = v_target AND b.id < v_keep
        FOR UPDATE SKIP LOCKED
      );
    END LOOP;
    v_written := v_written || v_alive;
    IF v_session IS NOT NULL THEN
      v_ended := (v_message ->> 'e') = 'true';
      SELECT coalesce(array_agg(t), '{}') INTO v_dead FROM unnest(v_targets) AS t
      WHERE t <> ALL (v_alive);
      IF v_ended OR cardinality(v_dead) > 0 THEN
        DELETE FROM tether_bus_holders d WHERE (d.namespace, d.session_id, d.instance_id) IN (
          SELECT h.namespace, h.session_id, h.instance_id FROM tether_bus_holders h
          WHERE h.namespace = p_namespace AND h.session_id = v_session
            AND (v_ended OR h.instance_id = ANY (v_dead))
          FOR UPDATE SKIP LOCKED
        );
      END IF;
    END IF;
  END LOOP;
  RETURN (SELECT coalesce(string_agg(DISTINCT t, ','), '') FROM unnest(v_written) AS t);
END $$;

-- Records p_instance as running request p_request of p_owner until p_expires, unless a
-- cancellation found no instance running it first (its unexpired mark): then false.
CREATE FUNCTION tether_bus_track(
  p_namespace text, p_owner text, p_request text, p_instance text,
  p_now double precision, p_expires double precision
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(tether_bus_request_lock(p_namespace, p_owner, p_request));
  IF EXISTS (SELECT 1 FROM tether_bus_cancel_marks c
    WHERE c.namespace = p_namespace AND c.owner_key = p_owner AND c.request_key = p_request
      AND c.expires_at > p_now) THEN
    RETURN false;
  END IF;
  INSERT INTO tether_bus_requests AS q (namespace, owner_key, request_key, instance_id, expires_at)
  VALUES (p_namespace, p_owner, p_request, p_instance, p_expires)
  ON CONFLICT (namespace, owner_key, request_key, instance_id)
  DO UPDATE SET expires_at = excluded.expires_at;
  RETURN true;
END $$;
`;
