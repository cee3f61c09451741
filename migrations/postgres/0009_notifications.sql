-- What `itgc notify` sent, per channel and subject (a finding, or a team's digest for a period):
-- the external reference it created (an issue number, a Jira key), the state last sent and a
-- hash of the content last sent. A re-run compares against this and sends only what changed;
-- each row is written as soon as its send succeeded, so an interrupted run resumes.
CREATE TABLE notifications (
    channel      TEXT COLLATE "C" NOT NULL,
    subject      TEXT COLLATE "C" NOT NULL,
    team         TEXT COLLATE "C" NOT NULL,
    period       TEXT COLLATE "C" NOT NULL,
    control      TEXT COLLATE "C" NOT NULL,
    item         TEXT COLLATE "C" NOT NULL,
    rule         TEXT COLLATE "C" NOT NULL,
    label        TEXT COLLATE "C" NOT NULL,
    reference    TEXT COLLATE "C",
    state        TEXT COLLATE "C" NOT NULL,
    content_hash TEXT COLLATE "C" NOT NULL,
    sent_at      BIGINT NOT NULL,
    PRIMARY KEY (channel, subject)
);
