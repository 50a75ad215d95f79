-- Two platforms, one vocabulary (docs/protocol.md, "One event vocabulary"): every event says which
-- platform it came from (the parking open platform, "open", or Ebopark) and carries the fields of
-- the shared vocabulary (shared/src/events/) as `details`, so its typed rows and the live state
-- follow from those, whatever platform sent it. Ebopark's kinds get typed rows where the status
-- page and the API read them (barrier overrides, lot statuses). Lots and lanes are keyed by
-- platform too: the two platforms' ids could collide. Times: ISO 8601 UTC instants, as in 0001.

-- ---- events -------------------------------------------------------------------------------

ALTER TABLE events ADD COLUMN platform TEXT NOT NULL DEFAULT 'open' CHECK (platform IN ('open', 'ebopark'));
-- The vocabulary's own fields of the event (JSON): laneName and spaces (the lot's counts, null
-- when it reports none) for every kind, and each kind's: direction (vehicleAccess); online,
-- deviceId, deviceName (cameraStatus, deviceStatus, which adds deviceType); reason, operatorName,
-- amounts (barrierOverride); orderNo, seamless, parkMins, amounts (parkingOrder); lotName (lotStatus).
ALTER TABLE events ADD COLUMN details TEXT;
-- GET /api/events?platform=…, newest first.
CREATE INDEX events_platform_received ON events (platform, received_at DESC, id DESC);

-- The details of the events stored before this migration (all the open platform's), as the
-- Worker now derives them (workers/src/callbacks/normalise.ts).
UPDATE events SET details = json_object(
    'laneName', nullif(data ->> '$.laneName', ''),
    'spaces', json(iif(coalesce(data ->> '$.totalLot', data ->> '$.tempLot', data ->> '$.inParkNum') IS NULL, NULL,
      json_object('totalSpaces', NULL, 'freeSpaces', data ->> '$.totalLot',
        'freeTemporarySpaces', data ->> '$.tempLot', 'vehiclesInside', data ->> '$.inParkNum'))),
    'direction', data ->> '$.direction')
  WHERE event = 'vehicleAccess';
UPDATE events SET details = json_object(
    'laneName', nullif(data ->> '$.laneName', ''), 'spaces', NULL,
    'online', data -> '$.online', 'deviceId', NULL, 'deviceName', NULL)
  WHERE event = 'cameraStatus';
UPDATE events SET details = json_object('laneName', NULL, 'spaces', NULL) WHERE event = 'visitorRegistered';

-- The query string a report came with, where it carries the signature (Ebopark: partnerid and
-- sign = md5(body + secretKey)), so a stored report can be verified again. Null for the open
-- platform (its signature is in the headers).
ALTER TABLE raw_callbacks ADD COLUMN query TEXT;

-- ---- typed rows -----------------------------------------------------------------------------

ALTER TABLE vehicle_accesses ADD COLUMN platform TEXT NOT NULL DEFAULT 'open';
ALTER TABLE camera_statuses ADD COLUMN platform TEXT NOT NULL DEFAULT 'open';

-- A barrier lifted by hand or outside the normal flow (Ebopark's abnormalPass): the status page
-- lists them. Holds personal data: the plate and the name of the staff member who lifted it.
CREATE TABLE barrier_overrides (
  event_id TEXT PRIMARY KEY REFERENCES events (id),
  platform TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  vehicle_code TEXT,
  lane_no TEXT,
  lane_name TEXT,
  reason TEXT,
  operator_name TEXT,
  -- Yuan: what the stay cost and what was paid.
  charge_amount REAL,
  income_amount REAL,
  occurred_at TEXT NOT NULL
);
CREATE INDEX barrier_overrides_parking_occurred ON barrier_overrides (parking_id, occurred_at);

-- A lot's reported base information (Ebopark's lotInfo): the occupancy chart of a lot whose
-- accesses carry no counts.
CREATE TABLE lot_statuses (
  event_id TEXT PRIMARY KEY REFERENCES events (id),
  platform TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  lot_name TEXT,
  total_spaces INTEGER,
  free_spaces INTEGER,
  occurred_at TEXT NOT NULL
);
CREATE INDEX lot_statuses_parking_occurred ON lot_statuses (parking_id, occurred_at);

-- ---- live state, keyed by platform ----------------------------------------------------------
-- The triggers that write lot_state and lane_state go first (they are recreated below, reading
-- `details`): SQLite checks triggers when a table they name is renamed.
DROP TRIGGER events_vehicle_access;
DROP TRIGGER events_camera_status;

CREATE TABLE lot_state_new (
  platform TEXT NOT NULL DEFAULT 'open',
  parking_id TEXT NOT NULL,
  -- The account whose reports move it: the open platform's appKey, Ebopark's partnerid.
  app_key TEXT NOT NULL,
  lot_name TEXT,
  -- Capacity, where the platform reports it (Ebopark's totalSpace).
  total_spaces INTEGER,
  -- Free spaces (the open platform's totalLot, Ebopark's freeSpace).
  total_lot INTEGER,
  -- Free temporary spaces (tempLot) and vehicles inside (inParkNum): the open platform's.
  temp_lot INTEGER,
  in_park_num INTEGER,
  occurred_at TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (platform, parking_id)
);
INSERT INTO lot_state_new (platform, parking_id, app_key, total_lot, temp_lot, in_park_num, occurred_at, event_id)
  SELECT 'open', parking_id, app_key, total_lot, temp_lot, in_park_num, occurred_at, event_id FROM lot_state;
DROP TABLE lot_state;
ALTER TABLE lot_state_new RENAME TO lot_state;

CREATE TABLE lane_state_new (
  platform TEXT NOT NULL DEFAULT 'open',
  parking_id TEXT NOT NULL,
  lane_no TEXT NOT NULL,
  lane_name TEXT,
  online INTEGER NOT NULL CHECK (online IN (0, 1)),
  -- When the lane entered its current status (kept while repeated reports agree).
  since TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (platform, parking_id, lane_no)
);
INSERT INTO lane_state_new (platform, parking_id, lane_no, lane_name, online, since, occurred_at, event_id)
  SELECT 'open', parking_id, lane_no, lane_name, online, since, occurred_at, event_id FROM lane_state;
DROP TABLE lane_state;
ALTER TABLE lane_state_new RENAME TO lane_state;
CREATE INDEX lane_state_offline ON lane_state (parking_id, online);

-- ---- the triggers: every kind's typed row and live state, from the event's details ----------
-- As in 0005: inside the statement that inserts the event, newest report wins (occurred_at), no
-- CASE (wrangler's splitter ends a trigger at its first END). A lane a report does not name is ''
-- in vehicle_accesses (its lane_no is NOT NULL), NULL elsewhere.

CREATE TRIGGER events_vehicle_access AFTER INSERT ON events WHEN NEW.event = 'vehicleAccess'
BEGIN
  INSERT INTO vehicle_accesses (event_id, platform, parking_id, vehicle_code, vehicle_type, direction, lane_no,
      lane_name, occurred_at, temp_lot, in_park_num, total_lot)
    VALUES (NEW.id, NEW.platform, NEW.parking_id, NEW.vehicle_code, NEW.data ->> '$.vehicleType',
      NEW.details ->> '$.direction', coalesce(NEW.lane_no, ''), NEW.details ->> '$.laneName', NEW.occurred_at,
      NEW.details ->> '$.spaces.freeTemporarySpaces', NEW.details ->> '$.spaces.vehiclesInside',
      NEW.details ->> '$.spaces.freeSpaces');
END;

-- `since` moves only when the status changes (SET expressions read the old row).
CREATE TRIGGER events_camera_status AFTER INSERT ON events WHEN NEW.event = 'cameraStatus'
BEGIN
  INSERT INTO camera_statuses (event_id, platform, parking_id, lane_no, lane_name, online, occurred_at)
    VALUES (NEW.id, NEW.platform, NEW.parking_id, NEW.lane_no, NEW.details ->> '$.laneName',
      NEW.details ->> '$.online', NEW.occurred_at);
  INSERT INTO lane_state (platform, parking_id, lane_no, lane_name, online, since, occurred_at, event_id)
    SELECT NEW.platform, NEW.parking_id, NEW.lane_no, NEW.details ->> '$.laneName', NEW.details ->> '$.online',
      NEW.occurred_at, NEW.occurred_at, NEW.id
    WHERE true
    ON CONFLICT (platform, parking_id, lane_no) DO UPDATE SET
      lane_name = coalesce(excluded.lane_name, lane_name),
      since = iif(online = excluded.online, since, excluded.since),
      online = excluded.online,
      occurred_at = excluded.occurred_at,
      event_id = excluded.event_id
    WHERE excluded.occurred_at >= lane_state.occurred_at;
END;

CREATE TRIGGER events_barrier_override AFTER INSERT ON events WHEN NEW.event = 'barrierOverride'
BEGIN
  INSERT INTO barrier_overrides (event_id, platform, parking_id, vehicle_code, lane_no, lane_name, reason,
      operator_name, charge_amount, income_amount, occurred_at)
    VALUES (NEW.id, NEW.platform, NEW.parking_id, NEW.vehicle_code, NEW.lane_no, NEW.details ->> '$.laneName',
      NEW.details ->> '$.reason', NEW.details ->> '$.operatorName', NEW.details ->> '$.amounts.charge',
      NEW.details ->> '$.amounts.income', NEW.occurred_at);
END;

CREATE TRIGGER events_lot_status AFTER INSERT ON events WHEN NEW.event = 'lotStatus'
BEGIN
  INSERT INTO lot_statuses (event_id, platform, parking_id, lot_name, total_spaces, free_spaces, occurred_at)
    VALUES (NEW.id, NEW.platform, NEW.parking_id, NEW.details ->> '$.lotName',
      NEW.details ->> '$.spaces.totalSpaces', NEW.details ->> '$.spaces.freeSpaces', NEW.occurred_at);
END;

-- Whatever the kind: an event that reports counts moves its lot (counts it does not report keep
-- their value).
CREATE TRIGGER events_lot_state AFTER INSERT ON events WHEN NEW.details ->> '$.spaces' IS NOT NULL
BEGIN
  INSERT INTO lot_state (platform, parking_id, app_key, lot_name, total_spaces, total_lot, temp_lot, in_park_num,
      occurred_at, event_id)
    SELECT NEW.platform, NEW.parking_id, NEW.app_key, NEW.details ->> '$.lotName',
      NEW.details ->> '$.spaces.totalSpaces', NEW.details ->> '$.spaces.freeSpaces',
      NEW.details ->> '$.spaces.freeTemporarySpaces', NEW.details ->> '$.spaces.vehiclesInside',
      NEW.occurred_at, NEW.id
    WHERE true
    ON CONFLICT (platform, parking_id) DO UPDATE SET
      app_key = excluded.app_key,
      lot_name = coalesce(excluded.lot_name, lot_name),
      total_spaces = coalesce(excluded.total_spaces, total_spaces),
      total_lot = coalesce(excluded.total_lot, total_lot),
      temp_lot = coalesce(excluded.temp_lot, temp_lot),
      in_park_num = coalesce(excluded.in_park_num, in_park_num),
      occurred_at = excluded.occurred_at,
      event_id = excluded.event_id
    WHERE excluded.occurred_at >= lot_state.occurred_at;
END;

-- ---- subscriptions ----------------------------------------------------------------------------
-- Only events of this platform; NULL: both.
ALTER TABLE subscriptions ADD COLUMN platform TEXT CHECK (platform IN ('open', 'ebopark'));
