-- Digests already sent, e.g. a day's new and changed declarations for the officers of the areas
-- above the family's: one row per digest and period, claimed in the transaction that queues the
-- messages, so that a restart or a second process never sends the same digest twice.
CREATE TABLE digests (
    name       TEXT NOT NULL,
    period_end TEXT NOT NULL,  -- the end of the period covered (UTC, storage format)
    done_at    TEXT NOT NULL,
    PRIMARY KEY (name, period_end)
);
