-- Guarding the population: every `check` records what it saw, so the next one can tell a
-- population that shrank against its history, a source that went silent, or a repo or system
-- that left scope. Instants are INTEGER seconds since the Unix epoch, UTC, as in 0001.

-- One row per `check` run: its period's bounds and the scope it read. `scope` is JSON text
-- (systems, repos, and first-parent commits per in-scope repo/branch), read only whole.
CREATE TABLE population_records (
    id           INTEGER PRIMARY KEY,
    period       TEXT    NOT NULL,
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL,
    scope        TEXT    NOT NULL,
    CHECK (period_end > period_start)
);
-- Trailing history is read by period, newest first.
CREATE INDEX population_records_by_period ON population_records (period_start, id);

-- Each control's population fingerprint (count + hash of sorted item ids) in that run, and
-- how many of its items were tested (not not-applicable).
CREATE TABLE population_fingerprints (
    record  INTEGER NOT NULL REFERENCES population_records (id) ON DELETE CASCADE,
    control TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    items   INTEGER NOT NULL CHECK (items >= 0),
    tested  INTEGER NOT NULL CHECK (tested >= 0 AND tested <= items),
    sha256  TEXT    NOT NULL CHECK (length(sha256) = 64),
    PRIMARY KEY (record, control)
);
