-- The inbox: every update from a platform, stored before the platform is told it arrived (the
-- next getUpdates offset, a webhook's 200) and handled from here, so a crash loses none.
-- UNIQUE (platform, platform_id) recognises an update delivered again (Telegram update_id, Zalo
-- message_id or a digest of the event). One person's rows are handled in id order.
-- payload (the update as JSON) is dropped once the row is handled: what people wrote does not
-- linger; handled rows keep ids and times for the dedupe only, and are pruned after a while.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    person      TEXT NOT NULL,               -- channel-qualified key, e.g. telegram:12345
    payload     TEXT,                        -- NULL once handled
    received_at TEXT NOT NULL,
    handled_at  TEXT,
    UNIQUE (platform, platform_id)
);
CREATE INDEX inbox_pending ON inbox(platform, person, id) WHERE handled_at IS NULL;
CREATE INDEX inbox_handled ON inbox(handled_at) WHERE handled_at IS NOT NULL;
