-- Job runs kept in their key's order (issue 19). A table with a TEXT primary key keeps each
-- row twice on SQLite: in the rowid table and in the key's index, so every imported run was
-- two b-tree inserts, and reading runs by job and run id went through the index to the table.
-- WITHOUT ROWID stores the row in the key's b-tree itself: one insert a run, and runs read in
-- key order are read in storage order. Same columns, same constraints, same rows.
CREATE TABLE job_runs_by_key (
    job           TEXT    NOT NULL,
    run_id        TEXT    NOT NULL,
    scheduled_for INTEGER,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    status        TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed', 'running', 'skipped')),
    exit_code     INTEGER,
    ticket        TEXT,
    PRIMARY KEY (job, run_id)
) WITHOUT ROWID;

INSERT INTO job_runs_by_key (job, run_id, scheduled_for, started_at, finished_at, status,
                             exit_code, ticket)
    SELECT job, run_id, scheduled_for, started_at, finished_at, status, exit_code, ticket
    FROM job_runs;

DROP TABLE job_runs;

ALTER TABLE job_runs_by_key RENAME TO job_runs;
