-- Guarding the population: the same tables as migrations/sqlite, with native types. Instants
-- are BIGINT seconds since the Unix epoch, UTC; keyed text uses COLLATE "C" (see 0001).

-- One row per `check` run: its period's bounds and the scope it read. `scope` is JSON text
-- (systems, repos, and first-parent commits per in-scope repo/branch), read only whole.
CREATE TABLE population_records (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period       TEXT    NOT NULL,
    period_start BIGINT  NOT NULL,
    period_end   BIGINT  NOT NULL,
    recorded_at  BIGINT  NOT NULL,
    scope        TEXT    NOT NULL,
    CHECK (period_end > period_start)
);
-- Trailing history is read by period, newest first.
CREATE INDEX population_records_by_period ON population_records (period_start, id);

-- Each control's population fingerprint (count + hash of sorted item ids) in that run, and
-- how many of its items were tested (not not-applicable).
CREATE TABLE population_fingerprints (
    record  BIGINT  NOT NULL REFERENCES population_records (id) ON DELETE CASCADE,
    control TEXT    COLLATE "C" NOT NULL,
    kind    TEXT    NOT NULL,
    items   BIGINT  NOT NULL CHECK (items >= 0),
    tested  BIGINT  NOT NULL CHECK (tested >= 0 AND tested <= items),
    sha256  TEXT    NOT NULL CHECK (length(sha256) = 64),
    PRIMARY KEY (record, control)
);
