-- Visitor grants: the ledger of time-limited access given on the platform, and the audit of
-- every change to it. Instants are UTC epoch milliseconds; the *_local columns keep the same
-- instants as the platform's wall-clock strings (UTC+8), and platform_*_date what was sent
-- to the platform (its authorisation is day-granular). See docs/visitor-expiry.md.
CREATE TABLE visitor_grants (
  id TEXT PRIMARY KEY,
  parking_id TEXT NOT NULL,
  vehicle_code TEXT NOT NULL,
  visitor_name TEXT NOT NULL,
  visitor_phone TEXT NOT NULL,
  reason TEXT,
  lane_nos TEXT,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  starts_at_local TEXT NOT NULL,
  ends_at_local TEXT NOT NULL,
  platform_start_date TEXT NOT NULL,
  platform_end_date TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('api', 'callback')),
  -- The callback event a grant came from (one grant per booking).
  source_ref TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'expired', 'revoked', 'superseded', 'failed', 'rejected')),
  closed_reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at INTEGER,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (ends_at > starts_at)
);

-- The sweep's query: only open grants are in this index, so its cost grows with the
-- number of grants due, not with the history.
CREATE INDEX visitor_grants_due ON visitor_grants (ends_at) WHERE status = 'active';
-- Grants whose platform call had an unknown outcome, reconciled by the sweep.
CREATE INDEX visitor_grants_pending ON visitor_grants (created_at) WHERE status = 'pending';
-- At most one open grant per plate and lot: the platform holds one authorisation per plate.
CREATE UNIQUE INDEX visitor_grants_open_plate ON visitor_grants (parking_id, vehicle_code)
  WHERE status IN ('pending', 'active');
CREATE UNIQUE INDEX visitor_grants_source_ref ON visitor_grants (source_ref) WHERE source_ref IS NOT NULL;
-- The list API: newest first, filtered by status or plate.
CREATE INDEX visitor_grants_created ON visitor_grants (created_at, id);
CREATE INDEX visitor_grants_status_created ON visitor_grants (status, created_at, id);
CREATE INDEX visitor_grants_plate_created ON visitor_grants (vehicle_code, created_at, id);

CREATE TABLE grant_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  grant_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  -- 'api', 'callback', or 'sweep:<run id>'.
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  from_status TEXT,
  to_status TEXT,
  detail TEXT
);
CREATE INDEX grant_audit_grant ON grant_audit (grant_id, id);
