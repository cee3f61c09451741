-- Access-review decisions, one row each (issue 19). A campaign kept whole as one JSON text
-- made its import build a million decisions' JSON in memory and its reading parse it back
-- whole; a row per decision is written in batches as the export is read and read back one
-- at a time. A later export of a campaign still replaces it whole: the import deletes the
-- campaign's rows before writing its own.
--
-- `seq` keeps the decisions of a campaign in the order the export listed them. The unique key
-- is what makes a decision repeated in an export (campaign, system, account in any case,
-- entitlement; '' for none): the import finds repeats through it instead of holding every key.
-- `data` is the decision as JSON, as each element of the old `data` array was.
CREATE TABLE access_review_decisions (
    campaign    TEXT    NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 0),
    system      TEXT    NOT NULL,
    account_key TEXT    NOT NULL,
    entitlement TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (campaign, seq),
    UNIQUE (campaign, system, account_key, entitlement)
);

INSERT INTO access_review_decisions (campaign, seq, system, account_key, entitlement, data)
SELECT r.campaign,
       CAST(j.key AS INTEGER),
       json_extract(j.value, '$.system'),
       lower(json_extract(j.value, '$.account')),
       COALESCE(json_extract(j.value, '$.entitlement'), ''),
       j.value
FROM access_reviews AS r, json_each(r.data) AS j;

DROP TABLE access_reviews;
