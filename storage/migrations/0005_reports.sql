-- Weekly reports (issue 7). Events stay the anonymous source of truth; reports read a small
-- weekly roll-up kept beside them, so a 52-week city report reads a few thousand rows instead
-- of hundreds of thousands of events.

-- The ISO week of each event: the Monday (YYYY-MM-DD) of its week in Asia/Ho_Chi_Minh, filled
-- by EventsRepo.record(). Existing rows: Vietnam is UTC+7 all year (no daylight saving), so the
-- local Monday is the UTC time plus 7 hours, moved back to its Monday.
ALTER TABLE events ADD COLUMN local_week TEXT NOT NULL DEFAULT '';
UPDATE events SET local_week = date(occurred_at, '+7 hours', '-6 days', 'weekday 1');

-- Counts per (area, week, kind, channel) for the event's area AND every area above it, plus
-- area_id '' for everything (events without an area count only there). "This area and the
-- areas one level down" is then a primary-key range read per area. Which areas lie above
-- which depends on the area tree: report_state remembers the tree the roll-up was built for,
-- and the roll-up is rebuilt from events when the tree has changed since.
CREATE TABLE event_weeks (
    area_id TEXT NOT NULL,   -- '' = all areas; not a foreign key for that reason
    week    TEXT NOT NULL,   -- Monday of the local ISO week, YYYY-MM-DD
    kind    TEXT NOT NULL,
    channel TEXT NOT NULL,
    n       INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (area_id, week, kind, channel)
) WITHOUT ROWID;

-- One row: a fingerprint of the area tree (ids and paths) the roll-up was last rebuilt for.
-- Empty at first, so the first report rebuilds the roll-up from the events already stored.
CREATE TABLE report_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    tree_hash  TEXT NOT NULL,
    rebuilt_at TEXT NOT NULL
);
