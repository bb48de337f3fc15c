-- Family self-declarations for the "Gia đình học tập" title: one per household per campaign year.
-- A household is identified by the account that declares it (user_id) and the campaign year;
-- deleting the person deletes their declarations and history (ON DELETE CASCADE).
CREATE TABLE declarations (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    year          INTEGER NOT NULL,
    area_id       TEXT NOT NULL REFERENCES areas(id),
    head_name     TEXT NOT NULL,
    head_fold     TEXT NOT NULL,                -- accent-free head name, to flag likely duplicates
    data          TEXT NOT NULL,                -- JSON: members, conditions, community, note, phone
    assessment    TEXT NOT NULL DEFAULT '[]',   -- JSON: provisional self-assessment per criterion
    status        TEXT NOT NULL DEFAULT 'submitted'
                  CHECK (status IN ('submitted', 'approved', 'returned')),
    version       INTEGER NOT NULL DEFAULT 1,   -- +1 on every change; reviews name the version seen
    review_reason TEXT,
    reviewed_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reviewed_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (user_id, year)
);
CREATE INDEX declarations_review ON declarations(status, area_id, updated_at);
CREATE INDEX declarations_head ON declarations(year, area_id, head_fold);

-- Every version of a declaration and every review, kept while the declaration exists.
CREATE TABLE declaration_history (
    id             INTEGER PRIMARY KEY,
    declaration_id INTEGER NOT NULL REFERENCES declarations(id) ON DELETE CASCADE,
    version        INTEGER NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('submitted', 'amended', 'approved', 'returned')),
    actor_id       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor_role     TEXT NOT NULL CHECK (actor_role IN ('family', 'officer', 'admin')),
    at             TEXT NOT NULL,
    data           TEXT,                        -- the declaration as it was (submissions, amendments)
    reason         TEXT                         -- an officer's reason for returning it
);
CREATE INDEX declaration_history_decl ON declaration_history(declaration_id, id);
CREATE INDEX declaration_history_actor ON declaration_history(actor_id);
