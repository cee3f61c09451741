-- Findings: the same tables as migrations/sqlite, with native types. Instants are BIGINT
-- seconds since the Unix epoch, UTC; keyed text uses COLLATE "C" (see 0001).
CREATE TABLE findings (
    id                 TEXT    COLLATE "C" PRIMARY KEY,
    control            TEXT    COLLATE "C" NOT NULL,
    item               TEXT    COLLATE "C" NOT NULL,
    rule               TEXT    COLLATE "C" NOT NULL,
    owner              TEXT    COLLATE "C",
    system             TEXT,
    label              TEXT    NOT NULL,
    reason             TEXT    NOT NULL,
    -- The state's name; `detail` is the resolution (resolved) or the exception (accepted).
    state              TEXT    NOT NULL
        CHECK (state IN ('new', 'open', 'resolved', 'accepted', 'reopened')),
    detail             TEXT,
    first_period       TEXT    NOT NULL,
    first_period_start BIGINT  NOT NULL,
    first_at           BIGINT  NOT NULL,
    last_period        TEXT    NOT NULL,
    last_period_start  BIGINT  NOT NULL,
    last_at            BIGINT  NOT NULL,
    runs_open          BIGINT  NOT NULL CHECK (runs_open >= 0),
    UNIQUE (control, item, rule),
    CHECK ((state IN ('resolved', 'accepted')) = (detail IS NOT NULL))
);
-- The leadership view reads by owner and state.
CREATE INDEX findings_by_owner ON findings (owner, state);

CREATE TABLE finding_transitions (
    finding      TEXT    COLLATE "C" NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    seq          BIGINT  NOT NULL CHECK (seq >= 0),
    period       TEXT    NOT NULL,
    period_start BIGINT  NOT NULL,
    at           BIGINT  NOT NULL,
    state        TEXT    NOT NULL
        CHECK (state IN ('new', 'open', 'resolved', 'accepted', 'reopened')),
    detail       TEXT,
    PRIMARY KEY (finding, seq)
);
