-- Issue 16 (doors): server-side logout of the status page, and subscriptions owned by a token scope.

-- Status-page sessions ended by logging out (workers/src/status/session.ts). The cookie is signed
-- with the admin token and says when it lapses; a session listed here is refused at once although
-- its signature is good. A row may go once the session would have lapsed anyway (expires_at).
CREATE TABLE revoked_sessions (
  -- The session's random id (it is in the cookie; not a secret on its own: the signature is).
  id TEXT PRIMARY KEY,
  -- When the session lapses on its own, Unix seconds.
  expires_at INTEGER NOT NULL,
  revoked_at TEXT NOT NULL
);
CREATE INDEX revoked_sessions_expires ON revoked_sessions (expires_at);

-- Which token scope created a subscription (workers/src/api/auth.ts): 'admin', or 'read' for one
-- a read-only token (an n8n trigger, a dashboard) created. A read-only token sees, deletes and
-- claims deliveries of its own scope's subscriptions only.
ALTER TABLE subscriptions ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin' CHECK (scope IN ('admin', 'read'));

-- Keyset pages of the lists whose filters had no (…, time, id) index: visitor grants by lot, and
-- held callbacks of every status (GET /api/held-callbacks?status=all). Each page is one range.
CREATE INDEX visitor_grants_parking_created ON visitor_grants (parking_id, created_at, id);
CREATE INDEX held_callbacks_received ON held_callbacks (received_at DESC, id DESC);
