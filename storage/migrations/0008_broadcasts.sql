-- People may turn announcements off (/tatthongbao); reminders of their own sign-ups still go.
ALTER TABLE users ADD COLUMN announcements INTEGER NOT NULL DEFAULT 1;

-- Officers' and admins' announcements. Recipients are fanned out into the outbox (batch
-- 'broadcast:<id>') when the broadcast is due, in one transaction.
CREATE TABLE broadcasts (
    id             INTEGER PRIMARY KEY,
    author_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author_key     TEXT NOT NULL,              -- kept for the audit trail
    area_id        TEXT REFERENCES areas(id),  -- NULL: everyone (admins only)
    audience       TEXT NOT NULL,              -- area | declared | not_declared | session | everyone
    audience_param TEXT NOT NULL DEFAULT '',
    text           TEXT NOT NULL,
    attachment_id  INTEGER REFERENCES attachments(id),
    state          TEXT NOT NULL DEFAULT 'scheduled'
                   CHECK (state IN ('scheduled', 'sending', 'done', 'cancelled')),
    scheduled_at   TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    fanned_out_at  TEXT,
    finished_at    TEXT,
    recipients     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX broadcasts_due ON broadcasts(state, scheduled_at);
