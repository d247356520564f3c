//! Storage through sqlx's `Any` driver: one set of queries for SQLite (the default, a file
//! created and migrated on first start) and PostgreSQL. Queries use `$N` placeholders, which
//! both backends accept.

pub mod enrolments;
pub mod keys;
pub mod otp;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL `{0}`: use sqlite:PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Query(#[from] sqlx::Error),
}

/// The connection pool and, on SQLite, the lock that lets one write transaction run at a time
/// (SQLite has a single writer; queueing in-process avoids busy retries under load).
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    sqlite_writer: Option<Arc<Mutex<()>>>,
}

/// A write transaction; on SQLite it also holds the writer lock until commit or drop.
pub struct WriteTx {
    pub tx: Transaction<'static, Any>,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls back before the writer lock is released (a dropped transaction rolls back later,
    /// in the background, while the next writer may already be waiting).
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

/// Per connection. The busy timeout comes first so that the others wait for locks too.
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

impl Db {
    /// Opens (creating a SQLite file if needed) and migrates the database.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let options: AnyConnectOptions = url.parse().map_err(DbError::Connect)?;
        let mut pool_options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            pool_options = pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::Executor::execute(&mut *conn, SQLITE_PRAGMAS).await?;
                    Ok(())
                })
            });
        }
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(DbError::Connect)?;
        if backend == Backend::Sqlite {
            // Stored in the file: set once, before connections race to open (switching the
            // journal mode takes a lock that busy waiting does not cover).
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(DbError::Connect)?;
        }
        migrator(backend).run(&pool).await?;
        let sqlite_writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Db {
            pool,
            backend,
            sqlite_writer,
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let writer = match &self.sqlite_writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        // IMMEDIATE takes SQLite's write lock now, waiting for it with the busy handler. A
        // deferred transaction that reads first and then finds the lock held (for example by
        // a connection still rolling back) fails at once instead of waiting.
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            _writer: writer,
        })
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Accepts `sqlite:PATH`, `sqlite://PATH` (created when missing) and `postgres://` /
/// `postgresql://` URLs.
fn normalise_url(url: &str) -> Result<(Backend, String), DbError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let mut url = format!("sqlite:{rest}");
        if !rest.contains("mode=") && !rest.contains(":memory:") {
            url.push(if rest.contains('?') { '&' } else { '?' });
            url.push_str("mode=rwc");
        }
        return Ok((Backend::Sqlite, url));
    }
    Err(DbError::UnsupportedUrl(url.to_string()))
}

fn migrator(backend: Backend) -> Migrator {
    let sql: &'static str = match backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0001_init.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0001_init.sql"),
    };
    let otp_sql: &'static str = match backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0002_otp.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0002_otp.sql"),
    };
    let migrations = vec![
        Migration::new(
            1,
            Cow::Borrowed("init"),
            MigrationType::Simple,
            Cow::Borrowed(sql),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("otp"),
            MigrationType::Simple,
            Cow::Borrowed(otp_sql),
            false,
        ),
    ];
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_connections_wait_for_locks() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite:{}", dir.path().join("t.db").display()), 2)
            .await
            .unwrap();
        let timeout: i64 = sqlx::Row::get(
            &sqlx::query("PRAGMA busy_timeout")
                .fetch_one(db.pool())
                .await
                .unwrap(),
            0,
        );
        assert_eq!(timeout, 10_000);
        let mode: String = sqlx::Row::get(
            &sqlx::query("PRAGMA journal_mode")
                .fetch_one(db.pool())
                .await
                .unwrap(),
            0,
        );
        assert_eq!(mode, "wal");
    }

    #[test]
    fn urls_choose_the_backend_and_sqlite_files_are_created() {
        assert_eq!(
            normalise_url("sqlite:data.db").unwrap(),
            (Backend::Sqlite, "sqlite:data.db?mode=rwc".into())
        );
        assert_eq!(
            normalise_url("sqlite://x.db?mode=ro").unwrap().1,
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(
            normalise_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(matches!(
            normalise_url("mysql://h/db"),
            Err(DbError::UnsupportedUrl(_))
        ));
    }
}
