-- Personal data (docs/privacy.md): what a subscriber may receive, the audit of erasures, exports
-- and full reads, the daily counts that outlive pruned events, and what deleting a row takes with
-- it. The registry of personal columns is workers/src/privacy/registry.ts. Times are ISO 8601 UTC
-- instants, as in 0001, except visitor grants (epoch milliseconds, as in 0002).

-- 'masked' (default): phones masked, names shortened, no raw body; 'full': as stored (the
-- subscription's owner chose to receive them).
ALTER TABLE subscriptions ADD COLUMN personal_data TEXT NOT NULL DEFAULT 'masked'
  CHECK (personal_data IN ('masked', 'full'));

-- Every erasure, export and full read of personal data. Never the person's plate or phone in
-- full: `subject` is its masked form, so the audit of an erasure does not keep what it erased.
CREATE TABLE personal_data_audit (
  id TEXT PRIMARY KEY,
  at TEXT NOT NULL,
  -- 'api' (the admin token), 'cron'.
  actor TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('erased', 'exported', 'read_full')),
  subject_kind TEXT CHECK (subject_kind IN ('plate', 'phone')),
  subject TEXT,
  -- JSON: rows per table (erased, exported), or the route and query of a full read.
  detail TEXT NOT NULL
);
-- GET /api/personal-data/audit: newest first, optionally by action.
CREATE INDEX personal_data_audit_at ON personal_data_audit (at DESC, id DESC);
CREATE INDEX personal_data_audit_action_at ON personal_data_audit (action, at DESC, id DESC);

-- The rows one erasure changes, listed by the first statement of its batch and emptied by the
-- last (every statement between reads the same list, whatever the ones before it changed).
CREATE TABLE personal_data_targets (
  erasure_id TEXT NOT NULL,
  table_name TEXT NOT NULL,
  row_id INTEGER NOT NULL,
  PRIMARY KEY (erasure_id, table_name, row_id)
) WITHOUT ROWID;

-- Events per day (UTC+8 calendar day of occurred_at), platform, lot, kind and direction, of the events the
-- retention pruned: counted in the same batch that deletes them, so history counts survive.
CREATE TABLE event_daily_counts (
  day TEXT NOT NULL,
  platform TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  event TEXT NOT NULL,
  -- 'in' or 'out' for vehicle accesses, '' otherwise.
  direction TEXT NOT NULL DEFAULT '',
  events INTEGER NOT NULL,
  PRIMARY KEY (day, platform, parking_id, event, direction)
) WITHOUT ROWID;

-- Each lot's newest pass with counts among the events the retention pruned (no plate, no person):
-- an occupancy chart whose window has no earlier pass left starts from it (api/events.ts).
CREATE TABLE lot_count_baselines (
  platform TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  -- Vehicles inside and free spaces, as api/events.ts's occupancy reads them.
  in_park_num INTEGER NOT NULL,
  total_lot INTEGER,
  PRIMARY KEY (platform, parking_id)
) WITHOUT ROWID;

-- Deleting an event (the retention) deletes what hangs on it: its deliveries and typed row
-- before it (their foreign keys name it), its raw callback after it (its own key names that).
CREATE TRIGGER events_delete_dependents BEFORE DELETE ON events
BEGIN
  DELETE FROM deliveries WHERE event_id = OLD.id;
  DELETE FROM vehicle_accesses WHERE event_id = OLD.id;
  DELETE FROM camera_statuses WHERE event_id = OLD.id;
  DELETE FROM visitor_registrations WHERE event_id = OLD.id;
  DELETE FROM barrier_overrides WHERE event_id = OLD.id;
  DELETE FROM lot_statuses WHERE event_id = OLD.id;
END;
CREATE TRIGGER events_delete_raw AFTER DELETE ON events
BEGIN
  DELETE FROM raw_callbacks WHERE id = OLD.id;
END;

-- Deleting a closed visitor grant deletes its audit trail and what an expiry round saw of it.
CREATE TRIGGER visitor_grants_delete_dependents AFTER DELETE ON visitor_grants
BEGIN
  DELETE FROM grant_audit WHERE grant_id = OLD.id;
  DELETE FROM expiry_sightings WHERE grant_id = OLD.id;
END;

-- The retention's reads: closed grants by age, finished deliveries by age (deliveries_created
-- serves those), events by receipt (events_received).
CREATE INDEX visitor_grants_closed_updated ON visitor_grants (updated_at)
  WHERE status NOT IN ('pending', 'active');

-- Finding one person's rows by phone (erasure and export): grants and visitor bookings.
CREATE INDEX visitor_grants_phone ON visitor_grants (visitor_phone);
CREATE INDEX visitor_registrations_phone ON visitor_registrations (user_phone);
