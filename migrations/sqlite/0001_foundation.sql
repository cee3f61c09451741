-- Foundation schema for the embedded SQLite store.
-- Instants are INTEGER seconds since the Unix epoch, UTC. Booleans are INTEGER 0/1 (SQLite has
-- no BOOLEAN type; the CHECK keeps a stray 2 out). Text compares with BINARY collation (byte
-- order), which is what the PostgreSQL schema gets with COLLATE "C": both backends then sort the
-- same way, so a packet built from either is identical.

-- Offline exports that were imported. The same bytes (sha256) of the same kind for the same scope
-- are one import: re-importing them is a no-op. A NULL scope ("no scope") counts as one scope,
-- hence COALESCE in the unique index (NULLs are otherwise distinct in a unique index).
CREATE TABLE imports (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    scope      TEXT,
    file_name  TEXT    NOT NULL,
    sha256     TEXT    NOT NULL CHECK (length(sha256) = 64),
    byte_count INTEGER NOT NULL CHECK (byte_count >= 0),
    row_count  INTEGER NOT NULL CHECK (row_count >= 0),
    as_of      INTEGER
);
CREATE UNIQUE INDEX imports_identity ON imports (kind, COALESCE(scope, ''), sha256);

-- Commits per repository. parents and paths are JSON arrays of strings: they are only ever read
-- whole, with their commit, so a child table would add joins without adding a query.
CREATE TABLE commits (
    repo            TEXT    NOT NULL,
    oid             TEXT    NOT NULL,
    parents         TEXT    NOT NULL,
    author_name     TEXT    NOT NULL,
    author_email    TEXT    NOT NULL,
    author_time     INTEGER NOT NULL,
    committer_name  TEXT    NOT NULL,
    committer_email TEXT    NOT NULL,
    committer_time  INTEGER NOT NULL,
    message         TEXT    NOT NULL,
    paths           TEXT    NOT NULL,
    signed          INTEGER NOT NULL CHECK (signed IN (0, 1)),
    PRIMARY KEY (repo, oid)
);
-- Populations are drawn per repo and period, ordered by committer time then oid.
CREATE INDEX commits_by_committer_time ON commits (repo, committer_time, oid);

-- Where each source stopped syncing; the cursor text is opaque to the store.
CREATE TABLE cursors (
    source     TEXT    PRIMARY KEY,
    cursor     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row per command run; the caller supplies both instants (the store never reads a clock).
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    command      TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    tool_version TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    exit_code    INTEGER,
    CHECK ((finished_at IS NULL) = (exit_code IS NULL)),
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);
CREATE INDEX runs_by_start ON runs (started_at);
