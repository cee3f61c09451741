-- GitHub organisation members and their teams: how CODEOWNERS team entries and reviewer
-- logins resolve to people. Each import or sync replaces one organisation's members whole
-- (membership is a snapshot, not a history).
CREATE TABLE org_members (
    org   TEXT NOT NULL,
    login TEXT NOT NULL,
    data  TEXT    NOT NULL,
    PRIMARY KEY (org, login)
);
