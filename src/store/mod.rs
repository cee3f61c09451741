//! The store: SQLite embedded by default, PostgreSQL for teams.
