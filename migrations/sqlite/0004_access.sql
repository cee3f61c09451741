-- Logical access (issue 5). Each access-list import is one snapshot of one list, kept whole as
-- JSON: a snapshot is only ever read whole (populations compare snapshots), so a row per
-- account would add a join and an index without adding a query. Consecutive snapshots of a
-- list give its grants and removals, so older snapshots are kept, not replaced; importing a
-- list again with the same as_of replaces that snapshot (a corrected export).
CREATE TABLE access_snapshots (
    system        TEXT    NOT NULL,
    list          TEXT    NOT NULL,
    as_of         INTEGER NOT NULL,
    sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
    account_count INTEGER NOT NULL CHECK (account_count >= 0),
    data          TEXT    NOT NULL,
    PRIMARY KEY (system, list, as_of)
);

-- HR roster exports, one per as_of; a period reads the latest one taken by its end (plus a
-- margin), so a termination recorded after an earlier export is not missed.
CREATE TABLE hr_rosters (
    as_of        INTEGER PRIMARY KEY,
    sha256       TEXT    NOT NULL CHECK (length(sha256) = 64),
    person_count INTEGER NOT NULL CHECK (person_count >= 0),
    data         TEXT    NOT NULL
);

-- Access-review decisions, one row per campaign; a later export of a campaign replaces it
-- (campaigns are exported again as reviewers decide).
CREATE TABLE access_reviews (
    campaign       TEXT    PRIMARY KEY,
    decision_count INTEGER NOT NULL CHECK (decision_count >= 0),
    data           TEXT    NOT NULL
);
