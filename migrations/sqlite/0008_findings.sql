-- Findings: one failing rule on one item of one control, followed across runs and periods
-- (src/findings). `findings` holds where each stands now; `finding_transitions` every state
-- it took, append-only. The id is a hash of (control, item, rule), stable across periods.
-- Instants are INTEGER seconds since the Unix epoch, UTC, as in 0001.
CREATE TABLE findings (
    id                 TEXT    PRIMARY KEY,
    control            TEXT    NOT NULL,
    item               TEXT    NOT NULL,
    rule               TEXT    NOT NULL,
    owner              TEXT,
    system             TEXT,
    label              TEXT    NOT NULL,
    reason             TEXT    NOT NULL,
    -- The state's name; `detail` is the resolution (resolved) or the exception (accepted).
    state              TEXT    NOT NULL
        CHECK (state IN ('new', 'open', 'resolved', 'accepted', 'reopened')),
    detail             TEXT,
    first_period       TEXT    NOT NULL,
    first_period_start INTEGER NOT NULL,
    first_at           INTEGER NOT NULL,
    last_period        TEXT    NOT NULL,
    last_period_start  INTEGER NOT NULL,
    last_at            INTEGER NOT NULL,
    runs_open          INTEGER NOT NULL CHECK (runs_open >= 0),
    UNIQUE (control, item, rule),
    CHECK ((state IN ('resolved', 'accepted')) = (detail IS NOT NULL))
);
-- The leadership view reads by owner and state.
CREATE INDEX findings_by_owner ON findings (owner, state);

CREATE TABLE finding_transitions (
    finding      TEXT    NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL CHECK (seq >= 0),
    period       TEXT    NOT NULL,
    period_start INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    state        TEXT    NOT NULL
        CHECK (state IN ('new', 'open', 'resolved', 'accepted', 'reopened')),
    detail       TEXT,
    PRIMARY KEY (finding, seq)
);
