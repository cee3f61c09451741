-- Pull requests and tickets from offline imports (and later the GitHub API). Conventions as in
-- 0001: instants are INTEGER seconds since the Unix epoch, UTC; text compares bytewise.
--
-- `data` holds the whole fact as JSON text (serde's form of `facts::PullRequest` / `Ticket`):
-- reviews, commits and checks are only ever read whole, with their pull request, so child
-- tables would add joins without adding a query. The other columns are copies of the fields
-- that queries select or order on.

-- Merged pull requests per repository.
CREATE TABLE pull_requests (
    repo         TEXT    NOT NULL,
    number       INTEGER NOT NULL CHECK (number >= 0),
    merged_at    INTEGER NOT NULL,
    merge_commit TEXT,
    head_oid     TEXT,
    data         TEXT    NOT NULL,
    PRIMARY KEY (repo, number)
);
-- A first-parent commit is linked to the pull request that created it.
CREATE INDEX pull_requests_by_merge_commit ON pull_requests (repo, merge_commit);
-- Populations draw pull requests per repo and period.
CREATE INDEX pull_requests_by_merged_at ON pull_requests (repo, merged_at);

-- Tickets (change requests, incidents) from a ticket export; keys are global, like Jira's.
CREATE TABLE tickets (
    key        TEXT    PRIMARY KEY,
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    data       TEXT    NOT NULL
);
