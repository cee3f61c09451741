-- Computer operations: job run logs and incidents from offline imports (issue 6). Conventions
-- as in 0001: instants are INTEGER seconds since the Unix epoch, UTC; text compares bytewise.

-- One run of a scheduled job. A run log without run ids gets the run's scheduled (else start)
-- instant as its id, so re-importing the same log rewrites the same rows.
CREATE TABLE job_runs (
    job           TEXT    NOT NULL,
    run_id        TEXT    NOT NULL,
    scheduled_for INTEGER,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    status        TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed', 'running', 'skipped')),
    exit_code     INTEGER,
    ticket        TEXT,
    PRIMARY KEY (job, run_id)
);

-- Incidents (on-call pages, ops tickets) and the job they refer to.
CREATE TABLE incidents (
    key         TEXT    PRIMARY KEY,
    job         TEXT,
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER,
    status      TEXT,
    summary     TEXT    NOT NULL
);
