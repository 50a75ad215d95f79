-- Claims: a subscriber (the n8n trigger) asks the edge to claim a delivery before it runs its
-- workflow, so copies of one delivery (a retry after a lost answer, Queues delivering twice, a
-- replay) start the workflow once. A claim is a short lease held by the token of one receiving
-- request; the subscriber confirms it just before the workflow starts, and a confirmed claim is
-- final. A lease never confirmed (the subscriber crashed between claim and run) lapses, so the
-- next attempt of the delivery can claim it again. workers/src/delivery/claims.ts.

-- The token of the request holding the claim (random, chosen by the subscriber).
ALTER TABLE deliveries ADD COLUMN claim_token TEXT;
-- When an unconfirmed claim lapses (ISO 8601 UTC).
ALTER TABLE deliveries ADD COLUMN claim_expires_at TEXT;
-- When the holder confirmed it started the workflow (ISO 8601 UTC); final.
ALTER TABLE deliveries ADD COLUMN claim_confirmed_at TEXT;
