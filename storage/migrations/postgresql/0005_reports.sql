-- PostgreSQL version of ../0005_reports.sql. The local week of existing events: Vietnam is
-- UTC+7 all year; a time zone written in the text is ignored by the cast to TIMESTAMP, which
-- keeps the UTC wall time, and date_trunc('week', …) is the ISO Monday.
ALTER TABLE events ADD COLUMN local_week TEXT NOT NULL DEFAULT '';
UPDATE events SET local_week =
    to_char(date_trunc('week', CAST(occurred_at AS TIMESTAMP) + INTERVAL '7 hours'), 'YYYY-MM-DD');

CREATE TABLE event_weeks (
    area_id TEXT NOT NULL,
    week    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    channel TEXT NOT NULL,
    n       INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (area_id, week, kind, channel)
);

CREATE TABLE report_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    tree_hash  TEXT NOT NULL,
    rebuilt_at TEXT NOT NULL
);
