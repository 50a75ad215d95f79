-- The platform account (appKey) each visitor grant is made, changed and ended with. A lot
-- belongs to one account, so a grant recorded from a callback of a second account
-- (PLATFORM_ACCOUNTS) must be revoked with that account's token, not the primary one's.
-- NULL: the primary account (PLATFORM_APP_KEY), as for every grant recorded before this column.
ALTER TABLE visitor_grants ADD COLUMN app_key TEXT;
