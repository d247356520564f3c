//! Storage through sqlx's `Any` driver: one set of queries for SQLite (the default, a file
//! created and migrated on first start) and PostgreSQL. Queries use `$N` placeholders, which
//! both backends accept.

pub mod audit;
pub mod booking_queue;
mod bookings;
pub mod bucket_cache;
pub mod enrolled_patterns;
pub mod enrolments;
pub mod keys;
pub mod otp;
pub mod payload_uses;
pub mod replay_digests;
pub mod retention;
pub mod sealed_patterns;
pub mod sealed_sign_ins;
pub mod user_data;
pub mod wal_checkpoints;

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

/// The connection pool, the cache of parsed enrolled patterns, the key enrolled patterns are
/// sealed with and, on SQLite, its writer.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    sqlite: Option<SqliteWriter>,
    bucket_cache: Arc<bucket_cache::BucketCache>,
    patterns: Option<sealed_patterns::PatternSealer>,
    replay_key: Option<replay_digests::ReplayKey>,
}

/// SQLite has a single writer: the lock that lets one write transaction of this process run at
/// a time (queueing in-process avoids busy retries under load), the task that books
/// verifications in batches and the task that checkpoints the WAL after commits.
#[derive(Clone)]
struct SqliteWriter {
    lock: Arc<Mutex<()>>,
    bookings: booking_queue::BookingQueue,
    checkpoints: wal_checkpoints::WalCheckpoints,
}

/// A write transaction; on SQLite it also holds the writer lock until commit or drop.
pub struct WriteTx {
    pub tx: Transaction<'static, Any>,
    _writer: Option<OwnedMutexGuard<()>>,
    checkpoints: Option<wal_checkpoints::WalCheckpoints>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await?;
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.committed();
        }
        Ok(())
    }

    /// Rolls back before the writer lock is released (a dropped transaction rolls back later,
    /// in the background, while the next writer may already be waiting).
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

/// Per connection. The busy timeout comes first so that the others wait for locks too.
/// Commits leave WAL checkpoints to a background task (see [`wal_checkpoints`]).
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;";

impl Db {
    /// Opens (creating a SQLite file if needed) and migrates the database; a query waits up
    /// to 10 s for a connection.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        Db::connect_waiting(url, max_connections, Duration::from_secs(10)).await
    }

    /// [`Db::connect`] with the longest a query waits for a pooled connection. That wait also
    /// covers reconnecting while the database is unreachable (sqlx retries refused
    /// connections until then), so it bounds how long a request hangs during an outage
    /// before it is answered as unavailable (49 / 503).
    pub async fn connect_waiting(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let options: AnyConnectOptions = url.parse().map_err(DbError::Connect)?;
        let mut pool_options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(acquire_timeout);
        if backend == Backend::Sqlite {
            // A connection to a local file cannot go stale; the default check costs a round
            // trip to the connection's thread on every acquire.
            pool_options = pool_options.test_before_acquire(false);
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
        let sqlite = (backend == Backend::Sqlite).then(|| {
            let lock = Arc::new(Mutex::new(()));
            let checkpoints = wal_checkpoints::WalCheckpoints::start(pool.clone(), lock.clone());
            let bookings =
                booking_queue::BookingQueue::start(pool.clone(), lock.clone(), checkpoints.clone());
            SqliteWriter {
                lock,
                bookings,
                checkpoints,
            }
        });
        Ok(Db {
            pool,
            backend,
            sqlite,
            bucket_cache: Arc::default(),
            patterns: None,
            replay_key: None,
        })
    }

    /// Seals and opens enrolled patterns with `sealer`. Without it (the command line's
    /// connections) reading or storing a pattern is an error.
    pub fn with_pattern_sealer(mut self, sealer: sealed_patterns::PatternSealer) -> Db {
        self.patterns = Some(sealer);
        self
    }

    pub(crate) fn pattern_sealer(&self) -> Result<&sealed_patterns::PatternSealer, sqlx::Error> {
        self.patterns.as_ref().ok_or_else(|| {
            sqlx::Error::Configuration("no at-rest key to seal and open enrolled patterns".into())
        })
    }

    /// On SQLite, the lock that lets one writer of this process run at a time.
    async fn writer_lock(&self) -> Option<OwnedMutexGuard<()>> {
        match &self.sqlite {
            Some(sqlite) => Some(sqlite.lock.clone().lock_owned().await),
            None => None,
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let writer = self.writer_lock().await;
        // IMMEDIATE takes SQLite's write lock now, waiting for it with the busy handler. A
        // deferred transaction that reads first and then finds the lock held (for example by
        // a connection still rolling back) fails at once instead of waiting.
        //
        // The BEGIN runs in a task of its own. A request cancelled (its client gone) after the
        // database began the transaction but before sqlx handed it over would otherwise put
        // the connection back into the pool inside an open transaction, holding SQLite's write
        // lock for good. In its own task the BEGIN always ends in a `Transaction`, whose drop
        // rolls back.
        let pool = self.pool.clone();
        let backend = self.backend;
        let tx = tokio::spawn(async move {
            match backend {
                Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
                Backend::Postgres => pool.begin().await,
            }
        })
        .await
        .map_err(|_| sqlx::Error::PoolClosed)??;
        Ok(WriteTx {
            tx,
            _writer: writer,
            checkpoints: self.sqlite.as_ref().map(|s| s.checkpoints.clone()),
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

/// The migrations, in order: (version, name, SQLite script, PostgreSQL script).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "otp",
        include_str!("../../migrations/sqlite/0002_otp.sql"),
        include_str!("../../migrations/postgres/0002_otp.sql"),
    ),
    (
        3,
        "payload_uses",
        include_str!("../../migrations/sqlite/0003_payload_uses.sql"),
        include_str!("../../migrations/postgres/0003_payload_uses.sql"),
    ),
    (
        4,
        "challenge_version",
        include_str!("../../migrations/sqlite/0004_challenge_version.sql"),
        include_str!("../../migrations/postgres/0004_challenge_version.sql"),
    ),
    (
        5,
        "signin",
        include_str!("../../migrations/sqlite/0005_signin.sql"),
        include_str!("../../migrations/postgres/0005_signin.sql"),
    ),
    (
        6,
        "sealed_patterns",
        include_str!("../../migrations/sqlite/0006_sealed_patterns.sql"),
        include_str!("../../migrations/postgres/0006_sealed_patterns.sql"),
    ),
    (
        7,
        "privacy",
        include_str!("../../migrations/sqlite/0007_privacy.sql"),
        include_str!("../../migrations/postgres/0007_privacy.sql"),
    ),
];

fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, name, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(name),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        // Several servers starting at once on one PostgreSQL database: the migrator holds an
        // advisory lock (pg_advisory_lock on a key derived from the database name) from before
        // it creates its table until every migration is applied, so one server migrates and
        // the others wait, then find nothing left to do. (sqlx's default; spelled out because
        // the multi-server deployment depends on it. SQLite's file lock does the same there.)
        locking: true,
        ..Migrator::DEFAULT
    }
}

/// The system clock's reading (the server's services read [`crate::clock::Clock`]).
pub use crate::clock::now_millis;

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests cancelled at any point of starting a write transaction (a client that gives
    /// up) must not leave a connection holding SQLite's write lock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_writes_leave_no_transaction_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite:{}", dir.path().join("c.db").display()), 2)
            .await
            .unwrap();
        for i in 0..3000u64 {
            let wait = Duration::from_micros(i * 7919 % 300);
            let _ = tokio::time::timeout(wait, db.begin_write()).await;
        }
        for _ in 0..4 {
            let write = async {
                let mut w = db.begin_write().await?;
                sqlx::query("SELECT 1").execute(&mut *w.tx).await?;
                w.commit().await
            };
            tokio::time::timeout(Duration::from_secs(3), write)
                .await
                .expect("a writer waited for a lock nobody releases")
                .expect("a write transaction starts");
        }
    }

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
        let automatic_checkpoint_pages: i64 = sqlx::Row::get(
            &sqlx::query("PRAGMA wal_autocheckpoint")
                .fetch_one(db.pool())
                .await
                .unwrap(),
            0,
        );
        assert_eq!(automatic_checkpoint_pages, 0);
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
