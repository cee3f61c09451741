-- What `itgc notify` sent, per channel and subject (a finding, or a team's digest for a period):
-- the external reference it created (an issue number, a Jira key), the state last sent and a
-- hash of the content last sent. A re-run compares against this and sends only what changed;
-- each row is written as soon as its send succeeded, so an interrupted run resumes.
CREATE TABLE notifications (
    channel      TEXT NOT NULL,
    subject      TEXT NOT NULL,
    team         TEXT NOT NULL,
    period       TEXT NOT NULL,
    control      TEXT NOT NULL,
    item         TEXT NOT NULL,
    rule         TEXT NOT NULL,
    label        TEXT NOT NULL,
    reference    TEXT,
    state        TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    sent_at      INTEGER NOT NULL,
    PRIMARY KEY (channel, subject)
);
