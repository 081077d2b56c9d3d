//! For tests of this workspace: a fresh, empty PostgreSQL database per test
//! on the server `LEDGER_TEST_POSTGRES_URL` names (`.ci/postgres` starts one).

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection as _, Executor as _};

/// The URL of a new empty database, or `None` when no PostgreSQL server is
/// configured. CI sets `LEDGER_TEST_REQUIRE_POSTGRES=1`, so there a missing
/// server fails the tests instead of skipping them.
pub async fn fresh_postgres(tag: &str) -> Option<String> {
    let Ok(base) = std::env::var("LEDGER_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("LEDGER_TEST_REQUIRE_POSTGRES").is_none(),
            "LEDGER_TEST_REQUIRE_POSTGRES is set but LEDGER_TEST_POSTGRES_URL is not: start one with `eval \"$(bash .ci/postgres start)\"`"
        );
        eprintln!("skipping the PostgreSQL part of {tag}: LEDGER_TEST_POSTGRES_URL is not set");
        return None;
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "verdict_{}_{}_{}",
        tag.chars()
            .map(|c| if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            })
            .take(30)
            .collect::<String>(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&base)
        .await
        .unwrap_or_else(|error| panic!("cannot reach {base}: {error}"));
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await
        .unwrap_or_else(|error| panic!("drop {name}: {error}"));
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|error| panic!("create {name}: {error}"));
    let (server, _) = base.rsplit_once('/').unwrap_or((base.as_str(), ""));
    Some(format!("{server}/{name}"))
}

/// Runs `sql` on the ledger at `location` behind the store's back: tests
/// tamper with it (change a row, drop a table) to see the failure named.
pub async fn run_sql(location: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let url = match crate::store::sqlite_file(location) {
        Some(path) => format!("sqlite://{}", path.display()),
        None => location.to_owned(),
    };
    let mut connection = sqlx::AnyConnection::connect(&url)
        .await
        .unwrap_or_else(|error| panic!("connect to the ledger: {error}"));
    connection
        .execute(sql)
        .await
        .unwrap_or_else(|error| panic!("run SQL on the ledger: {error}"));
}

/// For each named `async fn(location: &str)` in scope, a test on an embedded
/// SQLite file (`sqlite::NAME`) and one on a fresh PostgreSQL database
/// (`postgres::NAME`, skipped as [`fresh_postgres`] says): one suite, run
/// against both stores. The calling crate needs `tempfile` and `tokio`.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let location =
                        format!("sqlite:{}", dir.path().join("ledger.sqlite").display());
                    super::$name(&location).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(location) =
                        $crate::testing::fresh_postgres(stringify!($name)).await
                    {
                        super::$name(&location).await;
                    }
                }
            )*
        }
    };
}
