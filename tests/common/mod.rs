//! The harness the store suites share: a store on SQLite in a temp dir, or on PostgreSQL in a
//! fresh schema of the server named by `ITGC_TEST_DATABASE_URL` (dropped afterwards, so tests run
//! in parallel without seeing each other's rows), and the `suite!` macro that runs each test on
//! both. Without that variable the PostgreSQL tests say why on stderr and pass, unless
//! `ITGC_REQUIRE_POSTGRES=1`, which makes them fail: CI sets it, so a missing server can never
//! turn into a green run that tested nothing.

// Each test crate includes this module and uses a different part of it.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use itgc::store::Store;
use sqlx::PgPool;
use tempfile::TempDir;

/// A store in a fresh SQLite file; the directory goes when this is dropped.
pub struct SqliteDb {
    pub store: Store,
    pub url: String,
    _dir: TempDir,
}

impl SqliteDb {
    pub async fn new() -> SqliteDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/store/itgc.db", dir.path().display());
        let store = Store::open(&url).await.unwrap();
        SqliteDb {
            store,
            url,
            _dir: dir,
        }
    }
}

/// A store in a fresh schema of the test server. Connections of the store use the schema
/// through `search_path`, so the migrations create their tables (and sqlx its migration
/// table) inside it.
pub struct PgDb {
    pub store: Store,
    pub url: String,
    admin: PgPool,
    schema: String,
}

impl PgDb {
    /// `None` when no server is configured and none is required (the reason is printed).
    pub async fn new(test: &str) -> Option<PgDb> {
        let admin_url = admin_url(test)?;
        let admin = PgPool::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("ITGC_TEST_DATABASE_URL is set but unusable: {e}"));
        let schema = unique_schema();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .unwrap();
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options[search_path]={schema}");
        let store = Store::open(&url).await.unwrap();
        Some(PgDb {
            store,
            url,
            admin,
            schema,
        })
    }

    /// Drops the schema whatever the test did, then re-raises the test's panic, if any.
    pub async fn finish(self, outcome: Result<(), tokio::task::JoinError>) {
        self.store.close().await;
        let drop = format!("DROP SCHEMA {} CASCADE", self.schema);
        let dropped = sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&self.admin)
            .await;
        self.admin.close().await;
        if let Err(error) = outcome {
            std::panic::resume_unwind(error.into_panic());
        }
        dropped.unwrap();
    }
}

fn admin_url(test: &str) -> Option<String> {
    match std::env::var("ITGC_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("ITGC_REQUIRE_POSTGRES").as_deref() == Ok("1") => panic!(
            "ITGC_REQUIRE_POSTGRES=1 but ITGC_TEST_DATABASE_URL is not set: \
             set it to postgres://USER@HOST:PORT/DB of a server the tests may create schemas in"
        ),
        _ => {
            eprintln!("skipping postgres::{test}: ITGC_TEST_DATABASE_URL is not set");
            None
        }
    }
}

/// Unique across tests of this process and across processes sharing the server.
fn unique_schema() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("itgc_test_{}_{n}_{nanos}", std::process::id())
}

/// Makes every insert into `table` fail with "injected failure", as a lock or a full disk
/// would in the middle of a write: a trigger created beside the store's schema.
pub async fn fail_inserts(store: &Store, url: &str, table: &str) {
    match store.backend() {
        itgc::store::Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            let sql = format!(
                "CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        itgc::store::Backend::Postgres => {
            let pool = PgPool::connect(url).await.unwrap();
            for sql in [
                format!(
                    "CREATE FUNCTION fail_{table}() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql"
                ),
                format!(
                    "CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION fail_{table}()"
                ),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        }
    }
}

/// Runs every listed test on both backends. `store:` tests take `&Store`; `url:` tests also take
/// the URL it was opened with. On PostgreSQL the test body runs in a task so that its panic is
/// caught, the schema dropped, and the panic then re-raised.
macro_rules! suite {
    (store: [$($store_test:ident),* $(,)?], url: [$($url_test:ident),* $(,)?] $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $store_test() {
                    let db = crate::common::SqliteDb::new().await;
                    crate::$store_test(&db.store).await;
                }
            )*
            $(
                #[tokio::test]
                async fn $url_test() {
                    let db = crate::common::SqliteDb::new().await;
                    crate::$url_test(&db.store, &db.url).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $store_test() {
                    let Some(db) = crate::common::PgDb::new(stringify!($store_test)).await else {
                        return;
                    };
                    let store = db.store.clone();
                    let outcome = tokio::spawn(async move { crate::$store_test(&store).await }).await;
                    db.finish(outcome).await;
                }
            )*
            $(
                #[tokio::test]
                async fn $url_test() {
                    let Some(db) = crate::common::PgDb::new(stringify!($url_test)).await else {
                        return;
                    };
                    let (store, url) = (db.store.clone(), db.url.clone());
                    let outcome = tokio::spawn(async move { crate::$url_test(&store, &url).await }).await;
                    db.finish(outcome).await;
                }
            )*
        }
    };
}
pub(crate) use suite;
