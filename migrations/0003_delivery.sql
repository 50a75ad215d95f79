-- Delivery of events to subscribers (n8n triggers). The outbox (deliveries) is written in the
-- same D1 batch as the event it carries, one row per matching subscription, so an accepted
-- event never misses a delivery; Queues carry the work, the cron re-enqueues what a lost send
-- left behind. Times are ISO 8601 UTC instants.

CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  -- Standard Webhooks secret, "whsec_" + base64 key. Never listed by the API.
  secret TEXT NOT NULL,
  -- JSON array of event ids; NULL means every event.
  events TEXT,
  parking_id TEXT,
  created_at TEXT NOT NULL,
  -- Soft delete: past deliveries keep their subscription.
  deleted_at TEXT
);
CREATE INDEX subscriptions_active ON subscriptions (deleted_at, parking_id);

CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
  event_id TEXT NOT NULL REFERENCES events (id),
  -- pending: not yet attempted; failed: last attempt failed, a retry is scheduled;
  -- delivered: acknowledged with 2xx; dead: gave up (re-sendable by the API).
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error TEXT,
  -- When the next attempt is due; the reconciliation re-enqueues rows overdue by a margin.
  next_attempt_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  delivered_at TEXT,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX deliveries_created ON deliveries (created_at DESC, id DESC);
CREATE INDEX deliveries_status_created ON deliveries (status, created_at DESC, id DESC);
CREATE INDEX deliveries_subscription_created ON deliveries (subscription_id, created_at DESC, id DESC);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
