-- Ingestion: every platform callback as received (raw_callbacks), as understood (events plus
-- one typed row per kind), and the live state derived from it (lot_state, lane_state: the
-- source of truth behind the KV copy). Times: *_at columns are ISO 8601 UTC instants;
-- occurred_at_local keeps the platform's own UTC+8 wall-clock string.

CREATE TABLE raw_callbacks (
  id TEXT PRIMARY KEY,
  -- appKey + callbackType + sha256(body): the platform's retries resend the same body with a
  -- new timestamp and sign, so content, not the signature, identifies a delivery.
  content_key TEXT NOT NULL UNIQUE,
  app_key TEXT NOT NULL,
  callback_type TEXT NOT NULL,
  body TEXT NOT NULL,
  body_digest TEXT NOT NULL,
  headers TEXT NOT NULL,
  received_at TEXT NOT NULL
);

-- The sign does not cover the body: a (timestamp, sign) pair once used is bound to its body.
CREATE TABLE callback_signatures (
  app_key TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  sign TEXT NOT NULL,
  body_digest TEXT NOT NULL,
  first_seen_at TEXT NOT NULL,
  PRIMARY KEY (app_key, timestamp, sign)
) WITHOUT ROWID;
CREATE INDEX callback_signatures_first_seen ON callback_signatures (first_seen_at);

CREATE TABLE events (
  id TEXT PRIMARY KEY REFERENCES raw_callbacks (id),
  event TEXT NOT NULL,
  callback_type TEXT NOT NULL,
  app_key TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  vehicle_code TEXT,
  lane_no TEXT,
  occurred_at_local TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  data TEXT NOT NULL
);
-- The read API lists newest first with a (received_at, id) cursor, optionally filtered.
CREATE INDEX events_received ON events (received_at DESC, id DESC);
CREATE INDEX events_event_received ON events (event, received_at DESC, id DESC);
CREATE INDEX events_parking_received ON events (parking_id, received_at DESC, id DESC);
CREATE INDEX events_vehicle_received ON events (vehicle_code, received_at DESC, id DESC) WHERE vehicle_code IS NOT NULL;

CREATE TABLE vehicle_accesses (
  event_id TEXT PRIMARY KEY REFERENCES events (id),
  parking_id TEXT NOT NULL,
  vehicle_code TEXT NOT NULL,
  vehicle_type TEXT,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  lane_no TEXT NOT NULL,
  lane_name TEXT,
  occurred_at TEXT NOT NULL,
  temp_lot INTEGER,
  in_park_num INTEGER,
  total_lot INTEGER
);
CREATE INDEX vehicle_accesses_parking_occurred ON vehicle_accesses (parking_id, occurred_at);

CREATE TABLE camera_statuses (
  event_id TEXT PRIMARY KEY REFERENCES events (id),
  parking_id TEXT NOT NULL,
  lane_no TEXT NOT NULL,
  lane_name TEXT,
  online INTEGER NOT NULL CHECK (online IN (0, 1)),
  occurred_at TEXT NOT NULL
);
CREATE INDEX camera_statuses_lane_occurred ON camera_statuses (parking_id, lane_no, occurred_at);

CREATE TABLE visitor_registrations (
  event_id TEXT PRIMARY KEY REFERENCES events (id),
  parking_id TEXT NOT NULL,
  vehicle_code TEXT NOT NULL,
  user_name TEXT,
  user_phone TEXT,
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  memo TEXT
);
CREATE INDEX visitor_registrations_parking_vehicle ON visitor_registrations (parking_id, vehicle_code);

-- Live state: the newest known value per lot and per lane (events may arrive out of order).
CREATE TABLE lot_state (
  parking_id TEXT PRIMARY KEY,
  app_key TEXT NOT NULL,
  total_lot INTEGER,
  temp_lot INTEGER,
  in_park_num INTEGER,
  occurred_at TEXT NOT NULL,
  event_id TEXT NOT NULL
);

CREATE TABLE lane_state (
  parking_id TEXT NOT NULL,
  lane_no TEXT NOT NULL,
  lane_name TEXT,
  online INTEGER NOT NULL CHECK (online IN (0, 1)),
  -- When the lane entered its current status (kept while repeated reports agree).
  since TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (parking_id, lane_no)
);
CREATE INDEX lane_state_offline ON lane_state (parking_id, online);

-- Never holds a row: inserting NULL into it aborts an ingestion batch whose callback was not
-- stored by that batch (a redelivery, a reused pair), so statements other modules add to the
-- batch (e.g. the visitor grant of a PARKING_VISITOR callback) cannot act on their own.
CREATE TABLE ingest_guard (must_be_stored INTEGER NOT NULL);
