-- Computer operations: job run logs and incidents from offline imports (issue 6). Conventions
-- as in 0001: instants are BIGINT seconds since the Unix epoch, UTC; keys compare bytewise
-- (COLLATE "C"), as on SQLite.

-- One run of a scheduled job. A run log without run ids gets the run's scheduled (else start)
-- instant as its id, so re-importing the same log rewrites the same rows.
CREATE TABLE job_runs (
    job           TEXT    COLLATE "C" NOT NULL,
    run_id        TEXT    COLLATE "C" NOT NULL,
    scheduled_for BIGINT,
    started_at    BIGINT  NOT NULL,
    finished_at   BIGINT,
    status        TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed', 'running', 'skipped')),
    exit_code     BIGINT,
    ticket        TEXT,
    PRIMARY KEY (job, run_id)
);

-- Incidents (on-call pages, ops tickets) and the job they refer to.
CREATE TABLE incidents (
    key         TEXT    COLLATE "C" PRIMARY KEY,
    job         TEXT,
    created_at  BIGINT  NOT NULL,
    resolved_at BIGINT,
    status      TEXT,
    summary     TEXT    NOT NULL
);
