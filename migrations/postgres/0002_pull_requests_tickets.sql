-- Pull requests and tickets: the same tables as migrations/sqlite, with native types. As in
-- 0001: instants are BIGINT seconds since the Unix epoch, UTC, and text that is keyed or sorted
-- uses COLLATE "C" so both backends order rows the same way.
--
-- `data` holds the whole fact as JSON text, exactly as on SQLite: it is only ever read whole,
-- so JSONB would serve no query and would reorder keys.

-- Merged pull requests per repository.
CREATE TABLE pull_requests (
    repo         TEXT    COLLATE "C" NOT NULL,
    number       BIGINT  NOT NULL CHECK (number >= 0),
    merged_at    BIGINT  NOT NULL,
    merge_commit TEXT    COLLATE "C",
    head_oid     TEXT    COLLATE "C",
    data         TEXT    NOT NULL,
    PRIMARY KEY (repo, number)
);
-- A first-parent commit is linked to the pull request that created it.
CREATE INDEX pull_requests_by_merge_commit ON pull_requests (repo, merge_commit);
-- Populations draw pull requests per repo and period.
CREATE INDEX pull_requests_by_merged_at ON pull_requests (repo, merged_at);

-- Tickets (change requests, incidents) from a ticket export; keys are global, like Jira's.
CREATE TABLE tickets (
    key        TEXT    COLLATE "C" PRIMARY KEY,
    status     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    data       TEXT    NOT NULL
);
