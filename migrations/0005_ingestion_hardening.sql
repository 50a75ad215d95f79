-- Ingestion hardening (docs/architecture.md, "Ingestion: what is trusted"): callbacks held
-- unconfirmed, events whose own time is suspect, and a repair of live state that such events froze.
-- Times are ISO 8601 UTC instants, as in 0001.

-- A second, different body under a (timestamp, sign) pair already bound to another body. The sign
-- does not cover the body, so it is not trusted: never in raw_callbacks, events, the outbox or the
-- live state. The sender is told to resend it under a fresh signature; when it does, the copy that
-- is stored (raw_callbacks) confirms this one (the trigger below). An operator releases or discards
-- the ones that never come back (/api/held-callbacks).
CREATE TABLE held_callbacks (
  id TEXT PRIMARY KEY,
  -- As raw_callbacks.content_key: one held copy per content, however often it is resent.
  content_key TEXT NOT NULL UNIQUE,
  -- Which ingestion source it came through ('open-platform'): how a release reads its body.
  source TEXT NOT NULL,
  app_key TEXT NOT NULL,
  callback_type TEXT NOT NULL,
  body TEXT NOT NULL,
  body_digest TEXT NOT NULL,
  headers TEXT NOT NULL,
  -- The shared pair it came with (first time).
  timestamp INTEGER NOT NULL,
  sign TEXT NOT NULL,
  client_ip TEXT,
  received_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  -- How often it came under a pair bound to another body.
  attempts INTEGER NOT NULL DEFAULT 1,
  -- held: waiting; confirmed: the sender resent it under a fresh signature; released: an
  -- operator stored it; discarded: an operator refused it.
  status TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'confirmed', 'released', 'discarded')),
  -- The event it became (confirmed, released).
  event_id TEXT,
  resolved_at TEXT,
  resolved_by TEXT,
  note TEXT
);
-- The list API and the status page: held ones, newest first.
CREATE INDEX held_callbacks_status_received ON held_callbacks (status, received_at DESC, id DESC);
-- At most a bounded number held per pair (a captured pair cannot fill the table).
CREATE INDEX held_callbacks_pair ON held_callbacks (app_key, timestamp, sign);

CREATE TABLE held_callback_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  held_id TEXT NOT NULL,
  at TEXT NOT NULL,
  -- 'ingest', 'platform' (confirmed by a resend), 'api', 'status-page', 'cron'.
  actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('held', 'confirmed', 'released', 'discarded')),
  detail TEXT
);
CREATE INDEX held_callback_audit_held ON held_callback_audit (held_id, id);

-- Storing a content confirms its held copy, atomically with the store (same statement, so no
-- batch needs a statement of its own for it). A release marks its row first, so it is not
-- confirmed here. The body has no CASE: wrangler's splitter ends a trigger at its first END.
CREATE TRIGGER held_callbacks_confirm AFTER INSERT ON raw_callbacks
WHEN EXISTS (SELECT 1 FROM held_callbacks WHERE content_key = NEW.content_key AND status = 'held')
BEGIN
  INSERT INTO held_callback_audit (held_id, at, actor, action, detail)
    SELECT id, NEW.received_at, 'platform', 'confirmed', json_object('eventId', NEW.id)
    FROM held_callbacks WHERE content_key = NEW.content_key AND status = 'held';
  UPDATE held_callbacks
    SET status = 'confirmed', event_id = NEW.id, resolved_at = NEW.received_at, resolved_by = 'platform'
    WHERE content_key = NEW.content_key AND status = 'held';
END;

-- An event whose own time led its receipt by more than the allowed skew (CALLBACK_MAX_SKEW_SECONDS):
-- still verified history, but its occurred_at is its receipt time and the claim stays in
-- occurred_at_local and data.
ALTER TABLE events ADD COLUMN time_suspect INTEGER NOT NULL DEFAULT 0 CHECK (time_suspect IN (0, 1));

-- Repair what such events did before this migration, at the default skew (10 minutes): mark them,
-- order them by receipt, and let the live state they froze move again.
UPDATE events SET time_suspect = 1, occurred_at = received_at
  WHERE occurred_at > strftime('%Y-%m-%dT%H:%M:%fZ', received_at, '+600 seconds');
UPDATE vehicle_accesses SET occurred_at = (SELECT received_at FROM events WHERE id = vehicle_accesses.event_id)
  WHERE event_id IN (SELECT id FROM events WHERE time_suspect = 1);
UPDATE camera_statuses SET occurred_at = (SELECT received_at FROM events WHERE id = camera_statuses.event_id)
  WHERE event_id IN (SELECT id FROM events WHERE time_suspect = 1);
UPDATE lot_state SET occurred_at = (SELECT received_at FROM events WHERE id = lot_state.event_id)
  WHERE event_id IN (SELECT id FROM events WHERE time_suspect = 1);
UPDATE lane_state
  SET occurred_at = (SELECT received_at FROM events WHERE id = lane_state.event_id),
      since = min(since, (SELECT received_at FROM events WHERE id = lane_state.event_id))
  WHERE event_id IN (SELECT id FROM events WHERE time_suspect = 1);

-- Each kind's typed row, and the live state it reports, follow from its event row, inside the
-- statement that inserts the event: the ingestion batch needs no statement of its own for them,
-- whatever the kinds it carries (each statement of a D1 batch costs a round of D1's own work).
-- Only from `events`: a held callback never has one. Out-of-order events: a report moves the live
-- state only if it is at least as recent as the stored one (occurred_at: an event with a suspect
-- time counts at its receipt). No CASE in a trigger: wrangler's splitter ends it at an END.
CREATE TRIGGER events_vehicle_access AFTER INSERT ON events WHEN NEW.event = 'vehicleAccess'
BEGIN
  INSERT INTO vehicle_accesses (event_id, parking_id, vehicle_code, vehicle_type, direction, lane_no, lane_name,
      occurred_at, temp_lot, in_park_num, total_lot)
    VALUES (NEW.id, NEW.parking_id, NEW.data ->> '$.vehicleCode', NEW.data ->> '$.vehicleType',
      NEW.data ->> '$.direction', NEW.lane_no, NEW.data ->> '$.laneName', NEW.occurred_at,
      NEW.data ->> '$.tempLot', NEW.data ->> '$.inParkNum', NEW.data ->> '$.totalLot');
  INSERT INTO lot_state (parking_id, app_key, total_lot, temp_lot, in_park_num, occurred_at, event_id)
    SELECT NEW.parking_id, NEW.app_key, NEW.data ->> '$.totalLot', NEW.data ->> '$.tempLot',
      NEW.data ->> '$.inParkNum', NEW.occurred_at, NEW.id
    WHERE coalesce(NEW.data ->> '$.totalLot', NEW.data ->> '$.tempLot', NEW.data ->> '$.inParkNum') IS NOT NULL
    ON CONFLICT (parking_id) DO UPDATE SET
      app_key = excluded.app_key,
      total_lot = coalesce(excluded.total_lot, total_lot),
      temp_lot = coalesce(excluded.temp_lot, temp_lot),
      in_park_num = coalesce(excluded.in_park_num, in_park_num),
      occurred_at = excluded.occurred_at,
      event_id = excluded.event_id
    WHERE excluded.occurred_at >= lot_state.occurred_at;
END;

-- `since` moves only when the status changes (SET expressions read the old row).
CREATE TRIGGER events_camera_status AFTER INSERT ON events WHEN NEW.event = 'cameraStatus'
BEGIN
  INSERT INTO camera_statuses (event_id, parking_id, lane_no, lane_name, online, occurred_at)
    VALUES (NEW.id, NEW.parking_id, NEW.lane_no, NEW.data ->> '$.laneName', NEW.data ->> '$.online', NEW.occurred_at);
  INSERT INTO lane_state (parking_id, lane_no, lane_name, online, since, occurred_at, event_id)
    SELECT NEW.parking_id, NEW.lane_no, NEW.data ->> '$.laneName', NEW.data ->> '$.online', NEW.occurred_at,
      NEW.occurred_at, NEW.id
    WHERE true
    ON CONFLICT (parking_id, lane_no) DO UPDATE SET
      lane_name = coalesce(excluded.lane_name, lane_name),
      since = iif(online = excluded.online, since, excluded.since),
      online = excluded.online,
      occurred_at = excluded.occurred_at,
      event_id = excluded.event_id
    WHERE excluded.occurred_at >= lane_state.occurred_at;
END;

CREATE TRIGGER events_visitor_registration AFTER INSERT ON events WHEN NEW.event = 'visitorRegistered'
BEGIN
  INSERT INTO visitor_registrations (event_id, parking_id, vehicle_code, user_name, user_phone, start_date, end_date, memo)
    VALUES (NEW.id, NEW.parking_id, NEW.vehicle_code, NEW.data ->> '$.userName', NEW.data ->> '$.userPhoneNumber',
      NEW.data ->> '$.startTime', NEW.data ->> '$.endTime', NEW.data ->> '$.memo');
END;

-- Nothing reads it (the pruning deletes by timestamp, and the table holds only two windows of
-- pairs): one write less per callback.
DROP INDEX callback_signatures_first_seen;
