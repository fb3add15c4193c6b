/**
 * The event log's tables and functions (schema version 2, applied by `migratePostgres`): a row
 * per session of the log (its byte total, the lock every write of the session takes first), a
 * row per stream (its sequence numbers, completion, writer, byte and event counts), a row per
 * event, the namespace's byte budget (one row), and the writers' heartbeats. Each write of one
 * call is one function call (one statement); the bounds are applied inside it. Internal to the
 * Postgres backend: postgres_event_log.ts calls these functions.
 * @module
 */

/**
 * Lock order, which no function breaks (so writers never deadlock): a session's row first
 * (writers wait for it; evictions and the sweep take other sessions' rows with `SKIP LOCKED`, never
 * waiting), the budget row last (held only from its update to the commit).
 *
 * tether_event_write: the session's row locked (created, or reset when expired), the stream
 * registered when new (the session's oldest streams dropped past p_max_streams), the events
 * inserted in one statement, then the bounds per stream and per session, then the budget row.
 * Returns the stream's row id, the first sequence number and the bytes over the budget.
 *
 * tether_event_evict: while over the budget, the streams written least recently lose their
 * events (finished ones whole, first), each under its session's lock taken with SKIP LOCKED,
 * never the stream being written; then that stream's oldest events but its newest. A running
 * stream records the last sequence number it lost (`lost`): no resume from before it.
 */
export const EVENT_LOG_STEP = `
CREATE SEQUENCE tether_event_clock;
CREATE TABLE tether_event_budget (
  namespace text PRIMARY KEY,
  bytes bigint NOT NULL DEFAULT 0
);
CREATE TABLE tether_event_sessions (
  namespace text NOT NULL,
  session_id text NOT NULL,
  bytes bigint NOT NULL DEFAULT 0,
  streams_made bigint NOT NULL DEFAULT 0,
  bound boolean NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (namespace, session_id)
);
CREATE INDEX tether_event_sessions_expiry ON tether_event_sessions (namespace, expires_at);
CREATE TABLE tether_event_streams (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace text NOT NULL,
  session_id text NOT NULL,
  stream_id text NOT NULL,
  made bigint NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  held integer NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  lost bigint NOT NULL DEFAULT 0,
  complete boolean NOT NULL DEFAULT false,
  written bigint NOT NULL,
  writer text NOT NULL DEFAULT '',
  request_ids text NOT NULL DEFAULT '[]',
  UNIQUE (namespace, session_id, stream_id),
  FOREIGN KEY (namespace, session_id) REFERENCES tether_event_sessions ON DELETE CASCADE
);
CREATE INDEX tether_event_streams_lru ON tether_event_streams (namespace, complete DESC, written)
  WHERE bytes > 0;
CREATE TABLE tether_events (
  stream bigint NOT NULL REFERENCES tether_event_streams (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  data text NOT NULL,
  PRIMARY KEY (stream, seq)
);
CREATE TABLE tether_event_writers (
  namespace text NOT NULL,
  instance text NOT NULL,
  alive_until double precision NOT NULL,
  PRIMARY KEY (namespace, instance)
);

-- Drops the oldest events of stream p_stream until p_want_bytes and p_want_count are freed,
-- keeping at least p_keep; updates the stream's counts. Returns {bytes freed, last seq dropped}.
-- The caller holds the stream's session lock and books the bytes in the session and the budget.
CREATE FUNCTION tether_event_shed(
  p_stream bigint, p_want_bytes bigint, p_want_count bigint, p_keep integer
) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
  v_held integer;
  v_freed bigint;
  v_count integer;
  v_last bigint;
BEGIN
  SELECT held INTO v_held FROM tether_event_streams WHERE id = p_stream;
  IF NOT FOUND OR v_held <= p_keep THEN RETURN ARRAY[0, 0]; END IF;
  WITH doomed AS (
    SELECT seq FROM (
      SELECT seq, row_number() OVER w AS n,
        sum(octet_length(data)) OVER w - octet_length(data) AS before
      FROM tether_events WHERE stream = p_stream WINDOW w AS (ORDER BY seq)
    ) t WHERE (before < p_want_bytes OR n - 1 < p_want_count) AND n <= v_held - p_keep
  ), gone AS (
    DELETE FROM tether_events e USING doomed d WHERE e.stream = p_stream AND e.seq = d.seq
    RETURNING e.seq, octet_length(e.data) AS size
  )
  SELECT coalesce(sum(size), 0), count(*), coalesce(max(seq), 0)
  INTO v_freed, v_count, v_last FROM gone;
  IF v_count > 0 THEN
    UPDATE tether_event_streams SET held = held - v_count, bytes = bytes - v_freed
    WHERE id = p_stream;
  END IF;
  RETURN ARRAY[v_freed, v_last];
END $$;

-- Forgets every stream of the session (its row locked first, waiting) and gives its bytes back
-- to the budget; returns the forgotten streams' row ids (their followers are woken).
CREATE FUNCTION tether_event_forget(p_namespace text, p_session text)
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
  IF v_bytes <> 0 THEN
    UPDATE tether_event_budget SET bytes = bytes - v_bytes WHERE namespace = p_namespace;
  END IF;
  RETURN v_ids;
END $$;

CREATE FUNCTION tether_event_write(
  p_namespace text, p_session text, p_stream text, p_data text[], p_open boolean,
  p_complete boolean, p_writer text, p_request_ids text, p_max_events integer,
  p_max_streams integer, p_max_bytes bigint, p_max_total bigint, p_now double precision,
  p_ttl double precision,
  OUT stream bigint, OUT first_seq bigint, OUT over bigint
) LANGUAGE plpgsql AS $$
DECLARE
  v_session_bytes bigint;
  v_expires double precision;
  v_delta bigint := 0;
  v_row tether_event_streams%ROWTYPE;
  v_made bigint;
  v_count integer := coalesce(cardinality(p_data), 0);
  v_added bigint;
  v_over bigint;
  v_own bigint;
  v_shed bigint[];
  v_other record;
  v_total bigint;
BEGIN
  over := 0;
  -- Completing a stream that does not exist writes nothing.
  IF NOT p_open AND v_count = 0 AND NOT EXISTS (
    SELECT 1 FROM tether_event_streams s JOIN tether_event_sessions es
      ON es.namespace = s.namespace AND es.session_id = s.session_id AND es.expires_at > p_now
    WHERE s.namespace = p_namespace AND s.session_id = p_session AND s.stream_id = p_stream
  ) THEN
    stream := 0;
    first_seq := 0;
    RETURN;
  END IF;
  FOR attempt IN 1..3 LOOP
    INSERT INTO tether_event_sessions (namespace, session_id, bound, expires_at)
    VALUES (p_namespace, p_session, EXISTS (
      SELECT 1 FROM tether_sessions WHERE namespace = p_namespace AND id = p_session
    ), p_now + p_ttl)
    ON CONFLICT DO NOTHING;
    SELECT bytes, expires_at INTO v_session_bytes, v_expires FROM tether_event_sessions
    WHERE namespace = p_namespace AND session_id = p_session FOR UPDATE;
    EXIT WHEN FOUND;
  END LOOP;
  IF v_expires IS NULL THEN
    RAISE EXCEPTION 'tether: the event log session vanished while written'
      USING ERRCODE = '40001';
  END IF;
  IF v_expires <= p_now THEN
    -- Expired and not swept yet: nothing of it lives on into the new writes.
    DELETE FROM tether_event_streams WHERE namespace = p_namespace AND session_id = p_session;
    v_delta := -v_session_bytes;
    v_session_bytes := 0;
  END IF;
  SELECT * INTO v_row FROM tether_event_streams
  WHERE namespace = p_namespace AND session_id = p_session AND stream_id = p_stream;
  IF NOT FOUND THEN
    UPDATE tether_event_sessions SET streams_made = streams_made + 1
    WHERE namespace = p_namespace AND session_id = p_session RETURNING streams_made INTO v_made;
    INSERT INTO tether_event_streams (namespace, session_id, stream_id, made, written)
    VALUES (p_namespace, p_session, p_stream, v_made, nextval('tether_event_clock'))
    RETURNING * INTO v_row;
    FOR v_other IN
      SELECT id, bytes FROM tether_event_streams
      WHERE namespace = p_namespace AND session_id = p_session
      ORDER BY made DESC OFFSET p_max_streams
    LOOP
      DELETE FROM tether_event_streams WHERE id = v_other.id;
      v_delta := v_delta - v_other.bytes;
      v_session_bytes := v_session_bytes - v_other.bytes;
    END LOOP;
  END IF;
  stream := v_row.id;
  first_seq := v_row.last_seq + 1;
  IF p_open THEN
    UPDATE tether_event_streams SET writer = p_writer, request_ids = p_request_ids
    WHERE id = v_row.id;
  END IF;
  IF v_count > 0 THEN
    INSERT INTO tether_events (stream, seq, data)
    SELECT v_row.id, v_row.last_seq + n, d FROM unnest(p_data) WITH ORDINALITY AS t(d, n);
    SELECT coalesce(sum(octet_length(d)), 0) INTO v_added FROM unnest(p_data) AS t(d);
    UPDATE tether_event_streams SET last_seq = last_seq + v_count, held = held + v_count,
      bytes = bytes + v_added, written = nextval('tether_event_clock'),
      complete = complete OR p_complete
    WHERE id = v_row.id RETURNING * INTO v_row;
    v_delta := v_delta + v_added;
    v_session_bytes := v_session_bytes + v_added;
    IF v_row.held > p_max_events THEN
      v_shed := tether_event_shed(v_row.id, 0, v_row.held - p_max_events, 0);
      v_delta := v_delta - v_shed[1];
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
        v_delta := v_delta - v_shed[1];
      END IF;
      FOR v_other IN
        SELECT id FROM tether_event_streams
        WHERE namespace = p_namespace AND session_id = p_session ORDER BY made
      LOOP
        EXIT WHEN v_over <= 0;
        v_shed := tether_event_shed(v_other.id, v_over, 0, 0);
        v_over := v_over - v_shed[1];
        v_delta := v_delta - v_shed[1];
      END LOOP;
    END IF;
  ELSIF p_complete AND NOT v_row.complete THEN
    UPDATE tether_event_streams SET complete = true, written = nextval('tether_event_clock')
    WHERE id = v_row.id;
  END IF;
  UPDATE tether_event_sessions
  SET bytes = bytes + v_delta, expires_at = greatest(expires_at, p_now + p_ttl)
  WHERE namespace = p_namespace AND session_id = p_session;
  IF v_delta <> 0 THEN
    -- The budget row last: its lock is held only from here to the commit.
    INSERT INTO tether_event_budget AS b (namespace, bytes) VALUES (p_namespace, v_delta)
    ON CONFLICT (namespace) DO UPDATE SET bytes = b.bytes + excluded.bytes
    RETURNING bytes INTO v_total;
    over := greatest(v_total - p_max_total, 0);
  END IF;
END $$;

CREATE FUNCTION tether_event_evict(
  p_namespace text, p_stream bigint, p_max_total bigint
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_over bigint;
  v_freed bigint := 0;
  v_victim record;
  v_row tether_event_streams%ROWTYPE;
  v_shed bigint[];
  v_total bigint;
BEGIN
  SELECT bytes - p_max_total INTO v_over FROM tether_event_budget WHERE namespace = p_namespace;
  IF NOT FOUND OR v_over <= 0 THEN RETURN 0; END IF;
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
  UPDATE tether_event_budget SET bytes = bytes - v_freed WHERE namespace = p_namespace
  RETURNING bytes INTO v_total;
  RETURN greatest(v_total - p_max_total, 0);
END $$;

-- One batch of the expiry sweep: sessions of the log whose deadline passed, or whose session
-- record (tether_sessions, when they had one) is gone, at most p_limit, SKIP LOCKED; their
-- streams and events go with them and their bytes back to the budget. Returns how many.
CREATE FUNCTION tether_event_sweep(p_namespace text, p_now double precision, p_limit integer)
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
  IF v_bytes <> 0 THEN
    UPDATE tether_event_budget SET bytes = bytes - v_bytes WHERE namespace = p_namespace;
  END IF;
  DELETE FROM tether_event_writers WHERE namespace = p_namespace AND alive_until <= p_now;
  RETURN v_count;
END $$;
`;
