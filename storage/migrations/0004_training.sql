-- Training sessions: sign-ups with a waiting list, attendance, and reminders stored as rows
-- (the scheduler is rebuilt from these at start; APScheduler keeps nothing of its own).

-- Minutes before the start, comma-separated, e.g. '1440,120' (1 day and 2 hours); '' = none.
ALTER TABLE training_sessions ADD COLUMN reminder_offsets TEXT NOT NULL DEFAULT '1440,120';
-- Bumped at every change people are told about (time, place, cancellation): part of the
-- purposes of those messages and of rescheduled reminders, so each is sent once.
ALTER TABLE training_sessions ADD COLUMN change_no INTEGER NOT NULL DEFAULT 0;
-- An import's own id for the row, so importing the same schedule again updates, not duplicates.
ALTER TABLE training_sessions ADD COLUMN ext_ref TEXT;
ALTER TABLE training_sessions ADD COLUMN updated_at TEXT;
ALTER TABLE training_sessions ADD COLUMN cancelled_at TEXT;
-- 1 once the session has begun and its unsent reminders were withdrawn from the outbox.
ALTER TABLE training_sessions ADD COLUMN reminders_closed INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX training_sessions_ref ON training_sessions(ext_ref) WHERE ext_ref IS NOT NULL;
CREATE INDEX training_sessions_area ON training_sessions(area_id, starts_at);
CREATE INDEX training_sessions_open ON training_sessions(starts_at) WHERE reminders_closed = 0;

-- One row per person and session; a cancelled sign-up keeps its row (and attendance history).
CREATE TABLE training_signups (
    id            INTEGER PRIMARY KEY,
    session_id    INTEGER NOT NULL REFERENCES training_sessions(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('confirmed', 'waiting', 'cancelled')),
    queued_at     TEXT NOT NULL,               -- order of the waiting list (first come, first served)
    seq           INTEGER NOT NULL DEFAULT 0,  -- bumped at each status change: unique message purposes
    attended      INTEGER,                     -- NULL not marked, 1 present, 0 absent
    attendance_by TEXT,
    attendance_at TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (session_id, user_id)
);
CREATE INDEX training_signups_queue ON training_signups(session_id, status, queued_at, id);
CREATE INDEX training_signups_user ON training_signups(user_id, status);

-- /nhacnho: a person may turn reminders off (no row = on).
CREATE TABLE training_reminder_prefs (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    enabled    INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);

-- One row per person, session and offset. pending → queued (written to the outbox in the same
-- transaction) | skipped (reason recorded: session begun, reminders off…) | cancelled.
CREATE TABLE training_reminders (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES training_sessions(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    offset_min INTEGER NOT NULL,
    round      INTEGER NOT NULL DEFAULT 0,     -- the session's change_no when (re)scheduled
    due_at     TEXT NOT NULL,                  -- UTC, already moved out of quiet hours
    state      TEXT NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'queued', 'skipped', 'cancelled')),
    reason     TEXT,
    done_at    TEXT,
    UNIQUE (session_id, user_id, offset_min)
);
CREATE INDEX training_reminders_pending ON training_reminders(due_at) WHERE state = 'pending';
