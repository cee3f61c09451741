//! Many rows in one statement: `INSERT … VALUES (…), (…), …`.
//!
//! A statement per row costs a round trip per row: to the server on PostgreSQL, and through
//! sqlx's worker thread and its channels on SQLite. Saving 100k findings one statement at a
//! time took ~40 s of context switches; in statements of a thousand rows it is the database's
//! own work.

use super::Backend;

/// Bind parameters in one statement at most: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 30_000;

/// Rows in one statement at most: past this, a longer statement saves nothing measurable and
/// only makes the SQL text and its bound values larger.
pub(super) const MAX_ROWS: usize = 1000;

/// How many rows of `width` columns one statement takes.
pub(super) fn rows_per_statement(width: usize) -> usize {
    (MAX_PARAMS / width.max(1)).clamp(1, MAX_ROWS)
}

/// `(…), (…)`: `rows` tuples of `width` placeholders, spelt for the backend.
///
/// PostgreSQL needs numbered `$n` placeholders. SQLite, which accepts them too, looks each
/// numbered one up by a linear scan while binding (quadratic in a 12,000-parameter statement:
/// 100k commits took 24 s instead of 1 s in a debug build), so it gets anonymous `?` ones.
pub(super) fn values(rows: usize, width: usize, backend: Backend) -> String {
    let mut sql = String::with_capacity(rows * width * 7);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&list(row * width, width, backend));
        sql.push(')');
    }
    sql
}

/// `?, ?, …` or `$n, $n+1, …`: `count` placeholders for the parameters after the first
/// `after` (a tuple of [`values`], or an `IN (…)` list after a statement's own parameters).
pub(super) fn list(after: usize, count: usize, backend: Backend) -> String {
    let mut sql = String::with_capacity(count * 8);
    for i in 0..count {
        if i > 0 {
            sql.push_str(", ");
        }
        match backend {
            Backend::Postgres => {
                sql.push('$');
                sql.push_str(&(after + i + 1).to_string());
            }
            Backend::Sqlite => sql.push('?'),
        }
    }
    sql
}

/// `template` with its `{values}` replaced by `rows` tuples of `width` placeholders.
pub(super) fn statement(template: &str, rows: usize, width: usize, backend: Backend) -> String {
    debug_assert!(template.contains("{values}"), "{template}");
    template.replacen("{values}", &values(rows, width, backend), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_postgres_only() {
        assert_eq!(
            values(2, 3, Backend::Postgres),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(values(2, 3, Backend::Sqlite), "(?, ?, ?), (?, ?, ?)");
        assert_eq!(values(1, 1, Backend::Sqlite), "(?)");
    }

    #[test]
    fn a_list_continues_the_numbering() {
        assert_eq!(list(6, 3, Backend::Postgres), "$7, $8, $9");
        assert_eq!(list(6, 3, Backend::Sqlite), "?, ?, ?");
        assert_eq!(list(0, 0, Backend::Sqlite), "");
    }

    #[test]
    fn statements_stay_under_both_parameter_limits() {
        for width in [1, 3, 6, 12, 17, 40, 65] {
            let rows = rows_per_statement(width);
            assert!((1..=MAX_ROWS).contains(&rows), "width {width}: {rows} rows");
            assert!(
                rows * width <= 32_766,
                "width {width}: {} params",
                rows * width
            );
        }
        assert_eq!(rows_per_statement(17), MAX_ROWS);
        assert_eq!(rows_per_statement(40), 750);
    }

    #[test]
    fn the_template_gets_its_tuples() {
        let sql = statement(
            "INSERT INTO t (a, b) VALUES {values} ON CONFLICT DO NOTHING",
            2,
            2,
            Backend::Postgres,
        );
        assert_eq!(
            sql,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
    }
}
