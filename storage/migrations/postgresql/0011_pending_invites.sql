-- PostgreSQL version of ../0011_pending_invites.sql (the same columns: nothing about the person,
-- only a hash of the channel key, the code and its expiry).
CREATE TABLE pending_invites (
    key_hash   TEXT PRIMARY KEY,
    code       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX pending_invites_expiry ON pending_invites(expires_at);
