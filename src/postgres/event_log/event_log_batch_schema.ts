/**
 * The event log's events stored by batch (schema version 6, applied by `migratePostgres`): one
 * row per append in `tether_event_batches`, its events an array numbered from the batch's first
 * sequence number, where version 5 wrote a row per event. A 10-progress call's twelve events are
 * one row, one index entry and one foreign-key check, and one row to delete when its stream is
 * dropped. Shedding the oldest events deletes whole batches and cuts the front off the batch it
 * stops in. A session's row counts its streams, and its streams are indexed by the order they
 * were made, so dropping the oldest past the cap reads one index entry. `tether_events` stays as
 * a view of the batches, a row per event, for instances of version 5 reading while an upgrade
 * rolls. Internal to the Postgres backend.
 * @module
 */

/**
 * `tether_event_shed` and `tether_event_append` replaced for batches, and `tether_event_evict` to
 * keep the session's count of streams (`streams`, which the cap reads) when it deletes one;
 * everything else of version 5 (the lock order, the budget rows, the sweep) as it was: they reach
 * events only through the shed and the cascade of a stream's deletion.
 */
export const EVENT_LOG_BATCH_STEP = `
CREATE TABLE tether_event_batches (
  stream bigint NOT NULL REFERENCES tether_event_streams (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  data text[] NOT NULL,
  bytes bigint NOT NULL,
  PRIMARY KEY (stream, seq)
);
INSERT INTO tether_event_batches (stream, seq, data, bytes)
SELECT stream, seq, ARRAY[data], octet_length(data) FROM tether_events;
DROP TABLE tether_events;
CREATE VIEW tether_events AS
SELECT b.stream, b.seq + t.n - 1 AS seq, t.data
FROM tether_event_batches b, unnest(b.data) WITH ORDINALITY AS t(data, n);
CREATE INDEX tether_event_streams_made ON tether_event_streams (namespace, session_id, made);
ALTER TABLE tether_event_sessions ADD COLUMN streams integer NOT NULL DEFAULT 0;
UPDATE tether_event_sessions es SET streams = (
  SELECT count(*) FROM tether_event_streams s
  WHERE s.namespace = es.namespace AND s.session_id = es.session_id
);

-- Drops the oldest events of stream p_stream until p_want_bytes and p_want_count are freed,
-- keeping at least p_keep: whole batches, then the front of the batch it stops in. Updates the
-- stream's counts; returns {bytes freed, last seq dropped}. The caller holds the stream's session
-- lock and books the bytes in the session and the budget.
CREATE OR REPLACE FUNCTION tether_event_shed(
  p_stream bigint, p_want_bytes bigint, p_want_count bigint, p_keep integer
) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
  v_held integer;
  v_freed bigint := 0;
  v_count integer := 0;
  v_last bigint := 0;
  v_batch record;
  v_n integer;
  v_take integer;
  v_size bigint;
BEGIN
  SELECT held INTO v_held FROM tether_event_streams WHERE id = p_stream;
  IF NOT FOUND OR v_held <= p_keep THEN RETURN ARRAY[0, 0]; END IF;
  FOR v_batch IN
    SELECT seq, data, bytes FROM tether_event_batches WHERE stream = p_stream ORDER BY seq
  LOOP
    v_n := cardinality(v_batch.data);
    -- An event goes while it is within p_keep of the end and either want is not met before it;
    -- the batch whole when its last event goes.
    IF v_count + v_n <= v_held - p_keep AND (
      v_freed + v_batch.bytes - octet_length(v_batch.data[v_n]) < p_want_bytes
      OR v_count + v_n - 1 < p_want_count
    ) THEN
      DELETE FROM tether_event_batches WHERE stream = p_stream AND seq = v_batch.seq;
      v_freed := v_freed + v_batch.bytes;
      v_count := v_count + v_n;
      v_last := v_batch.seq + v_n - 1;
      CONTINUE;
    END IF;
    v_take := 0;
    v_size := 0;
    WHILE v_take < v_n AND v_count + v_take < v_held - p_keep
      AND (v_freed + v_size < p_want_bytes OR v_count + v_take < p_want_count)
    LOOP
      v_take := v_take + 1;
      v_size := v_size + octet_length(v_batch.data[v_take]);
    END LOOP;
    IF v_take > 0 THEN
      UPDATE tether_event_batches
      SET seq = seq + v_take, data = data[v_take + 1:], bytes = bytes - v_size
      WHERE stream = p_stream AND seq = v_batch.seq;
      v_freed := v_freed + v_size;
      v_count := v_count + v_take;
      v_last := v_batch.seq + v_take - 1;
    END IF;
    EXIT;
  END LOOP;
  IF v_count > 0 THEN
    UPDATE tether_event_streams SET held = held - v_count, bytes = bytes - v_freed
    WHERE id = p_stream;
  END IF;
  RETURN ARRAY[v_freed, v_last];
END $$;

CREATE OR REPLACE FUNCTION tether_event_append(
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
  v_live integer;
  v_row tether_event_streams%ROWTYPE;
  v_count integer := coalesce(cardinality(p_data), 0);
  v_added bigint := coalesce(octet_length(array_to_string(p_data, '')), 0);
  v_gone bigint;
  v_dropped integer;
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
    SELECT bytes, expires_at, streams_made, streams
    INTO v_session_bytes, v_expires, v_made, v_live
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
    v_live := 0;
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
    v_live := v_live + 1;
    first_seq := 1;
    IF v_live > p_max_streams THEN
      -- The session's oldest streams past p_max_streams, in one statement (the first entries of
      -- the index by made).
      WITH gone AS (
        DELETE FROM tether_event_streams WHERE id IN (
          SELECT id FROM tether_event_streams
          WHERE namespace = p_namespace AND session_id = p_session
          ORDER BY made LIMIT v_live - p_max_streams
        ) RETURNING bytes
      )
      SELECT coalesce(sum(bytes), 0), count(*) INTO v_gone, v_dropped FROM gone;
      delta := delta - v_gone;
      v_session_bytes := v_session_bytes - v_gone;
      v_live := v_live - v_dropped;
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
    -- The events of this append: one row.
    INSERT INTO tether_event_batches (stream, seq, data, bytes)
    VALUES (v_row.id, first_seq, p_data, v_added);
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
  UPDATE tether_event_sessions SET bytes = bytes + delta, streams_made = v_made, streams = v_live,
    expires_at = CASE WHEN p_now + p_ttl >= expires_at + p_ttl / 100 OR expires_at <= p_now
      THEN p_now + p_ttl ELSE expires_at END
  WHERE namespace = p_namespace AND session_id = p_session;
  -- This instance's own budget row, last (its lock is held only from here to the commit).
  PERFORM tether_event_count(p_namespace, p_instance, delta);
END $$;

-- As in version 5, a finished stream it deletes counted off its session's streams.
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
    UPDATE tether_event_sessions SET bytes = bytes - v_shed[1],
      streams = streams - CASE WHEN v_row.complete THEN 1 ELSE 0 END
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
`;
