-- Questions a person chose to send to the study promotion officers of their area. The asker is
-- known (they chose to send it); their rows go when they delete their data.
CREATE TABLE faq_questions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    area_id     TEXT NOT NULL REFERENCES areas(id),   -- the asker's home area when asked
    text        TEXT NOT NULL,
    language    TEXT NOT NULL DEFAULT 'vi',
    asked_at    TEXT NOT NULL,
    answer      TEXT,
    answered_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    answered_at TEXT                                  -- NULL while the question is open
);
CREATE INDEX faq_questions_open ON faq_questions(answered_at, asked_at);
CREATE INDEX faq_questions_user ON faq_questions(user_id);

-- Questions the knowledge base could not answer with confidence, to improve it. The text only:
-- no link to who asked, and only the day (UTC), so a row cannot be tied to a conversation.
CREATE TABLE faq_misses (
    id       INTEGER PRIMARY KEY,
    text     TEXT NOT NULL,
    folded   TEXT NOT NULL,        -- accent-free words: the key that groups the same question
    nearest  TEXT,                 -- the closest topic id, if any
    score    REAL NOT NULL,
    language TEXT NOT NULL,
    day      TEXT NOT NULL         -- YYYY-MM-DD
);
CREATE INDEX faq_misses_day ON faq_misses(day, folded);
