-- Gap-free history (docs/history-reconciliation.md): entries and exits whose callback never came
-- are recovered from the platform's own access records (listAccessRecords) into the same tables,
-- and every access is stored once whoever reported it first, the callback or the records.
-- Instants of the reconciliation tables are UTC epoch milliseconds; the history's stay ISO UTC.

-- Provenance: 'callback' (pushed by a platform) or 'platform-records' (recovered by reconciliation).
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'callback' CHECK (source IN ('callback', 'platform-records'));
-- The platform's recordId of the access: set on a recovered event, attached to a callback's when
-- its record is read. One event per record of a lot.
ALTER TABLE events ADD COLUMN record_id TEXT;
CREATE UNIQUE INDEX events_record ON events (parking_id, record_id) WHERE record_id IS NOT NULL;
-- /api/events?source=platform-records and the status page's recovered counts: recovered events are
-- few, so an index of them alone.
CREATE INDEX events_recovered_received ON events (received_at DESC, id DESC) WHERE source = 'platform-records';

-- The natural key of a vehicle access, whoever reports it: JSON [platform, lot, plate, direction,
-- the platform's local time, lane]. Unique, on the row the ingestion batch's first insert writes, so
-- the statement that decides whether a callback or a record is new decides it on both keys, row
-- by row (ON CONFLICT DO NOTHING): a callback arriving after its record was recovered, and a
-- record read after its callback, store nothing new; two overlapping runs store a record once.
ALTER TABLE raw_callbacks ADD COLUMN access_key TEXT;
-- The history before this migration: the first event of each access gets its key (a repeat with
-- another body, if any, stays as it was stored).
UPDATE raw_callbacks
  SET access_key = (
    SELECT json_array(e.platform, e.parking_id, e.vehicle_code, e.details ->> '$.direction', e.occurred_at_local,
      e.lane_no)
    FROM events e WHERE e.id = raw_callbacks.id)
  WHERE id IN (
    SELECT min(id) FROM events WHERE event = 'vehicleAccess'
    GROUP BY platform, parking_id, vehicle_code, details ->> '$.direction', occurred_at_local, lane_no);
CREATE UNIQUE INDEX raw_callbacks_access ON raw_callbacks (access_key) WHERE access_key IS NOT NULL;

-- A held callback (0005) reporting an access: confirmed once that access is stored, by a resend or
-- by the platform's records, so it does not wait for an operator who could only find it stored.
ALTER TABLE held_callbacks ADD COLUMN access_key TEXT;
CREATE INDEX held_callbacks_access ON held_callbacks (access_key) WHERE access_key IS NOT NULL AND status = 'held';
CREATE TRIGGER held_callbacks_confirm_access AFTER INSERT ON raw_callbacks
WHEN NEW.access_key IS NOT NULL
  AND EXISTS (SELECT 1 FROM held_callbacks WHERE access_key = NEW.access_key AND status = 'held')
BEGIN
  INSERT INTO held_callback_audit (held_id, at, actor, action, detail)
    SELECT id, NEW.received_at, iif(NEW.content_key LIKE 'records:%', 'platform-records', 'platform'), 'confirmed',
      json_object('eventId', NEW.id, 'by', 'access')
    FROM held_callbacks WHERE access_key = NEW.access_key AND status = 'held';
  UPDATE held_callbacks
    SET status = 'confirmed', event_id = NEW.id, resolved_at = NEW.received_at,
      resolved_by = iif(NEW.content_key LIKE 'records:%', 'platform-records', 'platform')
    WHERE access_key = NEW.access_key AND status = 'held';
END;

-- ---- reconciliation's work (none of it holds personal data) ----------------------------------

-- The platform accounts whose lots are reconciled: when each last listed its lots (hourly).
CREATE TABLE record_accounts (
  app_key TEXT PRIMARY KEY,
  platform TEXT NOT NULL DEFAULT 'open',
  listed_at INTEGER,
  lots INTEGER,
  -- A listing task is on its way or running until then (a lost one is sent again after it).
  lease_until INTEGER,
  last_error TEXT,
  last_error_at INTEGER
);

-- The lots reconciled, each with the account it is read with (a lot listed by two accounts is
-- reconciled with the first), and what the status page shows of it.
CREATE TABLE record_lots (
  app_key TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  platform TEXT NOT NULL DEFAULT 'open',
  name TEXT,
  listed_at INTEGER NOT NULL,
  -- No longer listed by its account: no more passes.
  removed_at INTEGER,
  -- When its last pass opened (the next opens RECONCILE_EVERY_MINUTES later).
  last_pass_at INTEGER,
  -- The latest window read to its end: [from, to], and when.
  last_window_from INTEGER,
  last_window_to INTEGER,
  last_read_at INTEGER,
  PRIMARY KEY (app_key, parking_id)
);
CREATE INDEX record_lots_parking ON record_lots (parking_id);

-- A job: a lot's range, read window by window. 'pass': the cron's trailing range (at most one open
-- per lot); 'backfill': POST /api/backfill.
CREATE TABLE record_jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('pass', 'backfill')),
  platform TEXT NOT NULL DEFAULT 'open',
  app_key TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  from_at INTEGER NOT NULL,
  to_at INTEGER NOT NULL,
  windows INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'done', 'failed')),
  -- The run that opened it (its windows are inserted by the same batch).
  opened_by TEXT NOT NULL,
  requested_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE UNIQUE INDEX record_jobs_open_pass ON record_jobs (app_key, parking_id) WHERE kind = 'pass' AND status = 'open';
CREATE INDEX record_jobs_opened_by ON record_jobs (opened_by);
CREATE INDEX record_jobs_open ON record_jobs (created_at) WHERE status = 'open';
CREATE INDEX record_jobs_finished ON record_jobs (finished_at) WHERE status IN ('done', 'failed');

-- A window of a job (at most 24 h, the platform's limit), read page by page from its cursor
-- (next_page) by one task at a time (the lease), over as many invocations as it takes.
CREATE TABLE record_windows (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  -- The job's, so that a task needs no other row.
  platform TEXT NOT NULL,
  app_key TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  -- 0 for a pass, 1 for a backfill: passes are dispatched first.
  priority INTEGER NOT NULL,
  -- The window: [from_at, to_at], whole seconds, to_at included.
  from_at INTEGER NOT NULL,
  to_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
  next_page INTEGER NOT NULL DEFAULT 1,
  pages INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0,
  recovered INTEGER NOT NULL DEFAULT 0,
  attached INTEGER NOT NULL DEFAULT 0,
  -- Records that cannot be an access (no lane, an unknown direction code…), and why (the first).
  unusable INTEGER NOT NULL DEFAULT 0,
  unusable_reason TEXT,
  -- Failed reads in a row, and the last one's error (the platform's msg when it answered).
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  -- Held by a task (its own owner) or by a message on its way (the token it carries) until lease_until.
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (job_id, idx)
);
CREATE INDEX record_windows_pending ON record_windows (priority, lease_until) WHERE status = 'pending';
-- Windows that could not be read (failing or failed), for the status page.
CREATE INDEX record_windows_trouble ON record_windows (updated_at) WHERE attempts > 0;
