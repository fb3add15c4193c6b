/**
 * The event log's cheaper write (schema version 5, applied by `migratePostgres`): one function,
 * `tether_event_append`, that writes as `tether_event_write` (event_log_schema.ts) did, with
 * fewer row versions and no row every instance writes: the session's row read for update
 * before any insert, a new stream inserted whole, the session's deadline moved only by a step
 * worth a new row version, the byte change added to the writing instance's own row of the
 * budget (`tether_event_budget` now holds a row per instance and a base row `''`: the
 * namespace's total is their sum, exact in every snapshot), and whether anyone follows the
 * stream (`followed_until`, which a follower's read keeps ahead), so a write nobody follows
 * sends no `NOTIFY`. The functions that give bytes back (eviction, forgetting, the sweep) take
 * them from the base row, and the sweep folds the rows of instances whose heartbeat is gone
 * into it. `tether_event_write` stays, for instances of the previous version during a rolling
 * upgrade. Internal to the Postgres backend.
 * @module
 */

/**
 * Lock order as in event_log_schema.ts: the session's row first, a budget row last (only its
 * own instance's: `tether_event_append`; the base row: the functions that give bytes back).
 * `tether_event_evict` takes the namespace's eviction lock (advisory, to its commit) before any
 * row, and other sessions' rows only with SKIP LOCKED; no writer takes that lock.
 */
export const EVENT_LOG_APPEND_STEP = `
ALTER TABLE tether_event_streams ADD COLUMN followed_until double precision NOT NULL DEFAULT 0;
ALTER TABLE tether_event_budget ADD COLUMN instance text NOT NULL DEFAULT '';
ALTER TABLE tether_event_budget DROP CONSTRAINT tether_event_budget_pkey;
ALTER TABLE tether_event_budget ADD PRIMARY KEY (namespace, instance);

-- Adds p_delta bytes to the budget row of p_instance ('' the base row), made when missing.
CREATE FUNCTION tether_event_count(p_namespace text, p_instance text, p_delta bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_delta = 0 THEN RETURN; END IF;
  UPDATE tether_event_budget SET bytes = bytes + p_delta
  WHERE namespace = p_namespace AND instance = p_instance;
  IF NOT FOUND THEN
    INSERT INTO tether_event_budget AS b (namespace, instance, bytes)
    VALUES (p_namespace, p_instance, p_delta)
    ON CONFLICT (namespace, instance) DO UPDATE SET bytes = b.bytes + excluded.bytes;
  END IF;
END $$;

CREATE FUNCTION tether_event_append(
  p_namespace text, p_session text, p_stream text, p_data text[], p_open boolean,
  p_complete boolean, p_writer text, p_request_ids text, p_max_events integer,
  p_max_streams integer, p_max_bytes bigint, p_now double precision, p_ttl double precision,
  p_instance text,
  OUT stream bigint, OUT first_seq bigint, OUT delta bigint, OUT followed boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_session_bytes bigint;
  v_expires double precision;
  v_made bigint;
  v_row tether_event_streams%ROWTYPE;
  v_count integer := coalesce(cardinality(p_data), 0);
  v_added bigint := coalesce(octet_length(array_to_string(p_data, '')), 0);
  v_gone bigint;
  v_over bigint;
  v_own bigint;
  v_shed bigint[];
  v_other record;
BEGIN
  delta := 0;
  followed := false;
  stream := 0;
  first_seq := 0;
  FOR attempt IN 1..3 LOOP
    SELECT bytes, expires_at, streams_made INTO v_session_bytes, v_expires, v_made
    FROM tether_event_sessions
    WHERE namespace = p_namespace AND session_id = p_session FOR UPDATE;
    EXIT WHEN FOUND;
    -- Completing a stream of an unknown session writes nothing.
    IF NOT p_open AND v_count = 0 THEN RETURN; END IF;
    INSERT INTO tether_event_sessions (namespace, session_id, bound, expires_at)
    VALUES (p_namespace, p_session, EXISTS (
      SELECT 1 FROM tether_sessions WHERE namespace = p_namespace AND id = p_session
    ), p_now + p_ttl)
    ON CONFLICT DO NOTHING;
  END LOOP;
  IF v_expires IS NULL THEN
    RAISE EXCEPTION 'tether: the event log session vanished while written'
      USING ERRCODE = '40001';
  END IF;
  IF v_expires <= p_now THEN
    IF NOT p_open AND v_count = 0 THEN RETURN; END IF;
    -- Expired and not swept yet: nothing of it lives on into the new writes.
    DELETE FROM tether_event_streams WHERE namespace = p_namespace AND session_id = p_session;
    delta := -v_session_bytes;
    v_session_bytes := 0;
  END IF;
  IF p_open OR v_count > 0 THEN
    -- A new stream whole (writer, events and end in its first row version); nothing when
    -- the stream exists.
    INSERT INTO tether_event_streams AS s (namespace, session_id, stream_id, made, written,
      writer, request_ids, last_seq, held, bytes, complete)
    VALUES (p_namespace, p_session, p_stream, v_made + 1, nextval('tether_event_clock'),
      CASE WHEN p_open THEN p_writer ELSE '' END,
      CASE WHEN p_open THEN p_request_ids ELSE '[]' END,
      v_count, v_count, v_added, p_complete)
    ON CONFLICT (namespace, session_id, stream_id) DO NOTHING
    RETURNING * INTO v_row;
  END IF;
  IF v_row.id IS NOT NULL THEN
    v_made := v_made + 1;
    first_seq := 1;
    IF v_made > p_max_streams THEN
      -- The session's oldest streams past p_max_streams, in one statement.
      WITH gone AS (
        DELETE FROM tether_event_streams WHERE id IN (
          SELECT id FROM tether_event_streams
          WHERE namespace = p_namespace AND session_id = p_session
          ORDER BY made DESC OFFSET p_max_streams
        ) RETURNING bytes
      )
      SELECT coalesce(sum(bytes), 0) INTO v_gone FROM gone;
      delta := delta - v_gone;
      v_session_bytes := v_session_bytes - v_gone;
    END IF;
  ELSE
    SELECT * INTO v_row FROM tether_event_streams
    WHERE namespace = p_namespace AND session_id = p_session AND stream_id = p_stream;
    -- Completing a stream that does not exist writes nothing.
    IF NOT FOUND THEN RETURN; END IF;
    first_seq := v_row.last_seq + 1;
    IF v_count > 0 OR p_open OR (p_complete AND NOT v_row.complete) THEN
      UPDATE tether_event_streams SET
        writer = CASE WHEN p_open THEN p_writer ELSE writer END,
        request_ids = CASE WHEN p_open THEN p_request_ids ELSE request_ids END,
        last_seq = last_seq + v_count, held = held + v_count, bytes = bytes + v_added,
        written = CASE WHEN v_count > 0 OR (p_complete AND NOT complete)
          THEN nextval('tether_event_clock') ELSE written END,
        complete = complete OR p_complete
      WHERE id = v_row.id RETURNING * INTO v_row;
    END IF;
  END IF;
  stream := v_row.id;
  followed := v_row.followed_until > p_now;
  IF v_count > 0 THEN
    INSERT INTO tether_events (stream, seq, data)
    SELECT v_row.id, first_seq - 1 + n, d FROM unnest(p_data) WITH ORDINALITY AS t(d, n);
    delta := delta + v_added;
    v_session_bytes := v_session_bytes + v_added;
    IF v_row.held > p_max_events THEN
      v_shed := tether_event_shed(v_row.id, 0, v_row.held - p_max_events, 0);
      delta := delta - v_shed[1];
      v_session_bytes := v_session_bytes - v_shed[1];
    END IF;
    -- The session over its bytes: the stream being written sheds its own first while it alone
    -- is over, then the session's oldest streams lose their oldest events.
    v_over := v_session_bytes - p_max_bytes;
    IF v_over > 0 THEN
      SELECT bytes - p_max_bytes INTO v_own FROM tether_event_streams WHERE id = v_row.id;
      IF v_own > 0 THEN
        v_shed := tether_event_shed(v_row.id, v_own, 0, 0);
        v_over := v_over - v_shed[1];
        delta := delta - v_shed[1];
      END IF;
      FOR v_other IN
        SELECT id FROM tether_event_streams
        WHERE namespace = p_namespace AND session_id = p_session ORDER BY made
      LOOP
        EXIT WHEN v_over <= 0;
        v_shed := tether_event_shed(v_other.id, v_over, 0, 0);
        v_over := v_over - v_shed[1];
        delta := delta - v_shed[1];
      END LOOP;
    END IF;
  END IF;
  -- One update of the session's row: its bytes, the streams it made, and its deadline in steps
  -- of a hundredth of the lifetime (an unchanged indexed column keeps it a heap-only update).
  UPDATE tether_event_sessions SET bytes = bytes + delta, streams_made = v_made,
    expires_at = CASE WHEN p_now + p_ttl >= expires_at + p_ttl / 100 OR expires_at <= p_now
      THEN p_now + p_ttl ELSE expires_at END
  WHERE namespace = p_namespace AND session_id = p_session;
  -- This instance's own budget row, last (its lock is held only from here to the commit).
  PERFORM tether_event_count(p_namespace, p_instance, delta);
END $$;

-- As before version 5, for instances of that version during a rolling upgrade: the append,
-- its bytes in the base row, and the bytes over the budget.
CREATE OR REPLACE FUNCTION tether_event_write(
  p_namespace text, p_session text, p_stream text, p_data text[], p_open boolean,
  p_complete boolean, p_writer text, p_request_ids text, p_max_events integer,
  p_max_streams integer, p_max_bytes bigint, p_max_total bigint, p_now double precision,
  p_ttl double precision,
  OUT stream bigint, OUT first_seq bigint, OUT over bigint
) LANGUAGE plpgsql AS $$
BEGIN
  SELECT a.stream, a.first_seq INTO stream, first_seq
  FROM tether_event_append(p_namespace, p_session, p_stream, p_data, p_open, p_complete,
    p_writer, p_request_ids, p_max_events, p_max_streams, p_max_bytes, p_now, p_ttl, '') a;
  over := tether_event_over(p_namespace, p_max_total);
END $$;

-- The bytes the namespace holds over p_max_total (the sum of its budget rows).
CREATE FUNCTION tether_event_over(p_namespace text, p_max_total bigint)
RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT greatest(coalesce(sum(bytes), 0) - p_max_total, 0)::bigint
  FROM tether_event_budget WHERE namespace = p_namespace
$$;

-- Gives p_bytes back to the namespace's budget (its base row).
CREATE FUNCTION tether_event_give_back(p_namespace text, p_bytes bigint)
RETURNS void LANGUAGE sql AS $$
  SELECT tether_event_count(p_namespace, '', -p_bytes)
$$;

CREATE OR REPLACE FUNCTION tether_event_forget(p_namespace text, p_session text)
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
  v_bytes bigint;
  v_ids bigint[];
BEGIN
  SELECT bytes INTO v_bytes FROM tether_event_sessions
  WHERE namespace = p_namespace AND session_id = p_session FOR UPDATE;
  IF NOT FOUND THEN RETURN ARRAY[]::bigint[]; END IF;
  SELECT coalesce(array_agg(id), ARRAY[]::bigint[]) INTO v_ids FROM tether_event_streams
  WHERE namespace = p_namespace AND session_id = p_session;
  DELETE FROM tether_event_sessions WHERE namespace = p_namespace AND session_id = p_session;
  PERFORM tether_event_give_back(p_namespace, v_bytes);
  RETURN v_ids;
END $$;

CREATE OR REPLACE FUNCTION tether_event_evict(
  p_namespace text, p_stream bigint, p_max_total bigint
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_over bigint;
  v_freed bigint := 0;
  v_victim record;
  v_row tether_event_streams%ROWTYPE;
  v_shed bigint[];
BEGIN
  IF tether_event_over(p_namespace, p_max_total) <= 0 THEN RETURN 0; END IF;
  -- One eviction of the namespace at a time (to the commit): one reading the total while another
  -- evicts would take the same bytes again. After the lock, the total as the last one left it.
  PERFORM pg_advisory_xact_lock(hashtextextended('tether_event_evict ' || p_namespace, 0));
  v_over := tether_event_over(p_namespace, p_max_total);
  IF v_over <= 0 THEN RETURN 0; END IF;
  FOR v_victim IN
    SELECT id, session_id FROM tether_event_streams
    WHERE namespace = p_namespace AND bytes > 0 AND id <> p_stream
    ORDER BY complete DESC, written LIMIT 64
  LOOP
    EXIT WHEN v_freed >= v_over;
    PERFORM 1 FROM tether_event_sessions
    WHERE namespace = p_namespace AND session_id = v_victim.session_id FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    SELECT * INTO v_row FROM tether_event_streams WHERE id = v_victim.id;
    CONTINUE WHEN NOT FOUND OR v_row.bytes = 0;
    IF v_row.complete THEN
      DELETE FROM tether_event_streams WHERE id = v_row.id;
      v_shed := ARRAY[v_row.bytes, 0];
    ELSE
      v_shed := tether_event_shed(v_row.id, v_row.bytes, 0, 0);
      IF v_shed[2] > 0 THEN
        UPDATE tether_event_streams SET lost = v_shed[2] WHERE id = v_row.id;
      END IF;
    END IF;
    UPDATE tether_event_sessions SET bytes = bytes - v_shed[1]
    WHERE namespace = p_namespace AND session_id = v_victim.session_id;
    v_freed := v_freed + v_shed[1];
  END LOOP;
  IF v_freed < v_over THEN
    -- Only the stream being written is left: it keeps its newest event.
    SELECT s.* INTO v_row FROM tether_event_streams s WHERE s.id = p_stream;
    IF FOUND THEN
      PERFORM 1 FROM tether_event_sessions
      WHERE namespace = p_namespace AND session_id = v_row.session_id FOR UPDATE SKIP LOCKED;
      IF FOUND THEN
        v_shed := tether_event_shed(p_stream, v_over - v_freed, 0, 1);
        IF v_shed[2] > 0 THEN
          UPDATE tether_event_streams SET lost = v_shed[2] WHERE id = p_stream;
          UPDATE tether_event_sessions SET bytes = bytes - v_shed[1]
          WHERE namespace = p_namespace AND session_id = v_row.session_id;
          v_freed := v_freed + v_shed[1];
        END IF;
      END IF;
    END IF;
  END IF;
  IF v_freed = 0 THEN RETURN 0; END IF;
  PERFORM tether_event_give_back(p_namespace, v_freed);
  RETURN tether_event_over(p_namespace, p_max_total);
END $$;

-- As before version 5, the budget in the base row; the rows of instances gone folded into it.
CREATE OR REPLACE FUNCTION tether_event_sweep(p_namespace text, p_now double precision, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
  v_bytes bigint;
BEGIN
  WITH doomed AS (
    SELECT es.namespace, es.session_id FROM tether_event_sessions es
    WHERE es.namespace = p_namespace AND (es.expires_at <= p_now OR (es.bound AND NOT EXISTS (
      SELECT 1 FROM tether_sessions s WHERE s.namespace = es.namespace AND s.id = es.session_id
    )))
    LIMIT p_limit FOR UPDATE SKIP LOCKED
  ), gone AS (
    DELETE FROM tether_event_sessions es USING doomed d
    WHERE es.namespace = d.namespace AND es.session_id = d.session_id
    RETURNING es.bytes
  )
  SELECT count(*), coalesce(sum(bytes), 0) INTO v_count, v_bytes FROM gone;
  PERFORM tether_event_give_back(p_namespace, v_bytes);
  DELETE FROM tether_event_writers WHERE namespace = p_namespace AND alive_until <= p_now;
  -- The budget rows of instances whose heartbeat is gone, folded into the base row.
  WITH folded AS (
    DELETE FROM tether_event_budget b
    WHERE b.namespace = p_namespace AND b.instance <> '' AND NOT EXISTS (
      SELECT 1 FROM tether_event_writers w
      WHERE w.namespace = b.namespace AND w.instance = b.instance
    )
    RETURNING b.bytes
  )
  SELECT coalesce(sum(bytes), 0) INTO v_bytes FROM folded;
  PERFORM tether_event_give_back(p_namespace, -v_bytes);
  RETURN v_count;
END $$;
`;
