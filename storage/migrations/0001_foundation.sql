-- Areas form a tree loaded from a data file: province → ward/commune → village/residential group.
-- path is '/root/child/…/' so that "this area and everything below it" is a prefix match.
CREATE TABLE areas (
    id        TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES areas(id),
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    path      TEXT NOT NULL UNIQUE,
    sort      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX areas_parent ON areas(parent_id, sort);

-- A person who accepted the consent notice; identities are qualified by channel.
CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,          -- e.g. telegram:12345
    channel      TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    language     TEXT NOT NULL DEFAULT 'vi',
    area_id      TEXT REFERENCES areas(id),
    reachable    INTEGER NOT NULL DEFAULT 1,    -- 0 once the platform says blocked/not found
    consent_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX users_area ON users(area_id);

-- Officer (bound to an area and everything below it) or admin (area NULL: everywhere).
CREATE TABLE roles (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('officer', 'admin')),
    area_id    TEXT REFERENCES areas(id),
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- One-time invite codes that grant a role when used with /start <code>.
CREATE TABLE invites (
    code       TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('officer', 'admin')),
    area_id    TEXT REFERENCES areas(id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    used_at    TEXT
);

-- The state of each person's conversation, saved after every step.
CREATE TABLE conversations (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    flow       TEXT,
    step       TEXT,
    draft      TEXT NOT NULL DEFAULT '{}',
    menu       TEXT NOT NULL DEFAULT '[]',     -- the last buttons shown, so "2" can be typed
    updated_at TEXT NOT NULL
);

-- Who did what, when (role changes, reviews, broadcasts).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);

-- Anonymous counting events for reports; they keep no link to a person.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    area_id     TEXT REFERENCES areas(id),
    channel     TEXT NOT NULL DEFAULT '',
    occurred_at TEXT NOT NULL
);
CREATE INDEX events_kind_time ON events(kind, occurred_at);

-- Training sessions (hội nghị tập huấn) and information sessions for families.
CREATE TABLE training_sessions (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    starts_at    TEXT NOT NULL,
    duration_min INTEGER NOT NULL CHECK (duration_min > 0),
    place        TEXT NOT NULL,
    audience     TEXT NOT NULL CHECK (audience IN ('family', 'officer', 'all')),
    area_id      TEXT NOT NULL REFERENCES areas(id),
    capacity     INTEGER NOT NULL CHECK (capacity > 0),
    description  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX training_sessions_start ON training_sessions(status, starts_at);
