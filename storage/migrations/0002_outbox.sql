-- Files sent with messages (a broadcast's photo, an exported report), stored once.
CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    filename   TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    data       BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- The outbox: one row per recipient and purpose, written in the same transaction as its cause.
-- UNIQUE (user_id, purpose) is what makes "never twice for the same reason" hold.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL,
    batch           TEXT,                       -- e.g. broadcast:12, for progress reports
    kind            TEXT NOT NULL DEFAULT 'notice', -- notice | announcement | reminder
    text            TEXT NOT NULL,
    buttons         TEXT NOT NULL DEFAULT '[]',
    attachment_id   INTEGER REFERENCES attachments(id),
    attachment_kind TEXT,                       -- photo | document
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'unreachable', 'failed',
                                     'uncertain', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (user_id, purpose)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_batch ON outbox(batch, state);
