-- Access-review decisions, one row each (issue 19), PostgreSQL. A campaign kept whole as one
-- JSON text made its import build a million decisions' JSON in memory and its reading parse it
-- back whole; a row per decision is written in batches as the export is read and read back one
-- at a time. A later export of a campaign still replaces it whole: the import deletes the
-- campaign's rows before writing its own.
--
-- `seq` keeps the decisions of a campaign in the order the export listed them. The unique key
-- is what makes a decision repeated in an export (campaign, system, account in any case,
-- entitlement; '' for none): the import finds repeats through it instead of holding every key.
-- `data` is the decision as JSON, as each element of the old `data` array was.
CREATE TABLE access_review_decisions (
    campaign    TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL CHECK (seq >= 0),
    system      TEXT COLLATE "C" NOT NULL,
    account_key TEXT COLLATE "C" NOT NULL,
    entitlement TEXT COLLATE "C" NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (campaign, seq),
    UNIQUE (campaign, system, account_key, entitlement)
);

INSERT INTO access_review_decisions (campaign, seq, system, account_key, entitlement, data)
SELECT r.campaign,
       j.n - 1,
       j.value ->> 'system',
       lower(j.value ->> 'account'),
       COALESCE(j.value ->> 'entitlement', ''),
       j.value::text
FROM access_reviews AS r
CROSS JOIN LATERAL json_array_elements(r.data::json) WITH ORDINALITY AS j(value, n);

DROP TABLE access_reviews;
