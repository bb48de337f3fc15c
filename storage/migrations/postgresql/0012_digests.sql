-- PostgreSQL version of ../0012_digests.sql: the same table (text keys and times work alike).
CREATE TABLE digests (
    name       TEXT NOT NULL,
    period_end TEXT NOT NULL,
    done_at    TEXT NOT NULL,
    PRIMARY KEY (name, period_end)
);
