-- Which commits a walk found on which branch's first-parent history. The commits table is keyed
-- by repo: without this, a repo with several in-scope branches (main, release/*) would give each
-- branch the other's commits, and a branch renamed in policy to one walked with less history
-- would keep the old branch's population.
CREATE TABLE branch_commits (
    repo   TEXT COLLATE "C" NOT NULL,
    branch TEXT COLLATE "C" NOT NULL,
    oid    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (repo, branch, oid)
);
