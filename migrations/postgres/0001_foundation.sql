-- Foundation schema for the PostgreSQL store: the same tables as migrations/sqlite, with native
-- types. Instants are BIGINT seconds since the Unix epoch, UTC (not TIMESTAMPTZ: the store
-- converts exactly, and both backends then hold the same numbers). Text that is sorted or keyed
-- uses COLLATE "C" (byte order), matching SQLite's BINARY collation, so results are ordered the
-- same on both backends whatever the database's locale.

-- Offline exports that were imported. The same bytes (sha256) of the same kind for the same scope
-- are one import: re-importing them is a no-op. A NULL scope ("no scope") counts as one scope,
-- hence COALESCE in the unique index (NULLs are otherwise distinct in a unique index).
CREATE TABLE imports (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT    COLLATE "C" NOT NULL,
    scope      TEXT    COLLATE "C",
    file_name  TEXT    COLLATE "C" NOT NULL,
    sha256     TEXT    COLLATE "C" NOT NULL CHECK (length(sha256) = 64),
    byte_count BIGINT  NOT NULL CHECK (byte_count >= 0),
    row_count  BIGINT  NOT NULL CHECK (row_count >= 0),
    as_of      BIGINT
);
CREATE UNIQUE INDEX imports_identity ON imports (kind, COALESCE(scope, ''), sha256);

-- Commits per repository. parents and paths are JSON arrays of strings kept as TEXT, exactly as
-- on SQLite: they are only ever read whole, with their commit, so neither a child table nor JSONB
-- would serve a query, and both would cost on every insert.
CREATE TABLE commits (
    repo            TEXT    COLLATE "C" NOT NULL,
    oid             TEXT    COLLATE "C" NOT NULL,
    parents         TEXT    NOT NULL,
    author_name     TEXT    NOT NULL,
    author_email    TEXT    NOT NULL,
    author_time     BIGINT  NOT NULL,
    committer_name  TEXT    NOT NULL,
    committer_email TEXT    NOT NULL,
    committer_time  BIGINT  NOT NULL,
    message         TEXT    NOT NULL,
    paths           TEXT    NOT NULL,
    signed          BOOLEAN NOT NULL,
    PRIMARY KEY (repo, oid)
);
-- Populations are drawn per repo and period, ordered by committer time then oid.
CREATE INDEX commits_by_committer_time ON commits (repo, committer_time, oid);

-- Where each source stopped syncing; the cursor text is opaque to the store.
CREATE TABLE cursors (
    source     TEXT   COLLATE "C" PRIMARY KEY,
    cursor     TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per command run; the caller supplies both instants (the store never reads a clock).
CREATE TABLE runs (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command      TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    tool_version TEXT    NOT NULL,
    started_at   BIGINT  NOT NULL,
    finished_at  BIGINT,
    exit_code    INTEGER,
    CHECK ((finished_at IS NULL) = (exit_code IS NULL)),
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);
CREATE INDEX runs_by_start ON runs (started_at);
