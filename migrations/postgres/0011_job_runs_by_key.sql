-- Job runs kept in their key's order (issue 19): on SQLite, job_runs becomes a WITHOUT ROWID
-- table (one b-tree insert a run instead of two). PostgreSQL keeps a table and its primary
-- key index apart by design and has no such table shape, so its schema is unchanged; this
-- migration keeps the two dialects' numbering in step.
SELECT 1;
