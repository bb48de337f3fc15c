-- Invite codes sent with /start CODE by someone who has not accepted the consent notice yet, so
-- that the code survives a restart and works whichever process answers the consent. Nothing about
-- the person: the key is a SHA-256 of their channel key ("telegram:12345"); the row holds only the
-- code and when it lapses (a day). Deleted when the code is applied or declined, or once expired.
CREATE TABLE pending_invites (
    key_hash   TEXT PRIMARY KEY,
    code       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX pending_invites_expiry ON pending_invites(expires_at);
