-- Visitor expiry in rounds carried by the `parkbridge-expiry` queue (docs/visitor-expiry.md,
-- "Many grants at once"). A round is one lot's due grants, claimed together, one scan of the
-- lot's authorisations that every one of them is judged against, and their revocations.
-- Instants are UTC epoch milliseconds.

-- At most one open round per lot (the unique index): a lot is never listed while its own
-- round deletes, so the listing is not shifted by our own deletions.
CREATE TABLE expiry_rounds (
  id TEXT PRIMARY KEY,
  -- The platform account (appKey) and lot: a lot belongs to one account.
  app_key TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('scanning', 'revoking', 'done', 'failed', 'abandoned')),
  created_at INTEGER NOT NULL,
  -- The round and its grants' leases end here; a round still open then is abandoned and its grants claimed again.
  deadline INTEGER NOT NULL,
  grants INTEGER NOT NULL DEFAULT 0,
  -- The scan: windows 0..windows_planned-1 of the one window sequence (visitors/lot-scan.ts), read
  -- chunk_windows at a time, one chunk per queue message.
  windows_planned INTEGER NOT NULL,
  chunk_windows INTEGER NOT NULL,
  -- 1: every authorisation present during the scan was seen (an absence proves a plate gone); 0: not.
  scan_complete INTEGER,
  scan_reason TEXT,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX expiry_rounds_open_lot ON expiry_rounds (app_key, parking_id)
  WHERE status IN ('scanning', 'revoking');
CREATE INDEX expiry_rounds_open_deadline ON expiry_rounds (deadline) WHERE status IN ('scanning', 'revoking');
-- Closed rounds, for pruning (their sightings after an hour, the rounds after a week).
CREATE INDEX expiry_rounds_closed ON expiry_rounds (updated_at) WHERE status IN ('done', 'failed', 'abandoned');

-- One row per chunk of a round's scan, written once by the task that read it (a redelivered
-- message writes nothing new): what the round needs to join its windows into one listing.
CREATE TABLE expiry_chunks (
  round_id TEXT NOT NULL,
  chunk INTEGER NOT NULL,
  -- The windows read: from_window..to_window (to_window stops at the first that reached the end).
  from_window INTEGER NOT NULL,
  to_window INTEGER NOT NULL,
  -- JSON arrays of plates: the first of from_window and the last of to_window.
  head TEXT NOT NULL,
  tail TEXT NOT NULL,
  -- to_window answered hasMore = false: the end of the list is in this chunk.
  reached_end INTEGER NOT NULL,
  -- Authorisations in the list up to the end (when reached_end): the lot's size for the next round's plan.
  end_position INTEGER,
  -- NULL when the chunk's own windows join; otherwise why they do not.
  broken TEXT,
  read_at INTEGER NOT NULL,
  PRIMARY KEY (round_id, chunk)
);

-- The authorisation the scan saw for a plate the round ends (only those: no other plate is kept,
-- and only the fields ownership is judged on, without names or phone numbers).
CREATE TABLE expiry_sightings (
  round_id TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  authorisation TEXT NOT NULL,
  read_at INTEGER NOT NULL,
  PRIMARY KEY (round_id, grant_id)
);

-- Each lot's size as the last complete scan found it: how many windows the next round plans.
CREATE TABLE expiry_lots (
  app_key TEXT NOT NULL,
  parking_id TEXT NOT NULL,
  authorisations INTEGER NOT NULL,
  counted_at INTEGER NOT NULL,
  PRIMARY KEY (app_key, parking_id)
);

-- The platform's AccessToken of each account, shared by every invocation (cron and queue
-- consumers): fetched once, refreshed by the cron ahead of its expiry, so concurrent consumers
-- do not each ask for (and, on platforms that keep one token per account, invalidate) a token.
-- Short-lived (hours); D1 rather than KV because KV is eventually consistent and allows one write
-- a second per key.
CREATE TABLE platform_tokens (
  app_key TEXT PRIMARY KEY,
  access_token TEXT NOT NULL,
  -- When to stop using it (its expiry less the client's margin).
  refresh_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Grants held by a round or one of its tasks (lease_owner 'xr:<round>' or 'xr:<round>:<task>'):
-- a task claims its share of the round's pool through this index.
CREATE INDEX visitor_grants_lease ON visitor_grants (lease_owner, lease_until) WHERE lease_owner IS NOT NULL;
