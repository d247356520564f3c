//! SQLite only: WAL checkpoints (copying committed pages from the write-ahead log into the
//! database file) run by a background task shortly after commits. By default SQLite runs one
//! inside whichever commit fills the log past 1,000 pages; under a stream of verifications that
//! was several times a second, each stalling the booking writer, and every request waiting on
//! it, for milliseconds.
//!
//! The checkpoints are SQLite's own PASSIVE ones, the kind it would run automatically: they
//! copy what no reader still needs and never wait for readers or writers. The first copies the
//! bulk while the writer goes on committing; a second one, holding off this process's writers,
//! copies what was committed meanwhile, so that the log is complete in the database file and
//! the next write starts it over instead of growing it. When the last connection closes,
//! SQLite checkpoints as usual.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::{mpsc, Mutex};

/// How long commits gather before a checkpoint copies them (about 1,000 pages at the busiest).
const GATHER: Duration = Duration::from_millis(100);

/// The handle writers tell about their commits; the task ends with the last handle.
#[derive(Clone)]
pub struct WalCheckpoints {
    wake: mpsc::Sender<()>,
}

impl WalCheckpoints {
    /// Starts the task; `writer` is the lock this process's write transactions take.
    pub fn start(pool: AnyPool, writer: Arc<Mutex<()>>) -> WalCheckpoints {
        let (wake, woken) = mpsc::channel(1);
        tokio::spawn(checkpoint_after_commits(pool, writer, woken));
        WalCheckpoints { wake }
    }

    /// After a commit: a checkpoint follows within `GATHER` (one for many commits).
    pub fn committed(&self) {
        // Full means a checkpoint is already due.
        let _ = self.wake.try_send(());
    }
}

async fn checkpoint_after_commits(
    pool: AnyPool,
    writer: Arc<Mutex<()>>,
    mut woken: mpsc::Receiver<()>,
) {
    while woken.recv().await.is_some() {
        tokio::time::sleep(GATHER).await;
        let mut done = checkpoint(&pool).await;
        if done.is_ok() {
            let _writers_wait = writer.lock().await;
            done = checkpoint(&pool).await;
        }
        match done {
            Ok(()) => {}
            Err(sqlx::Error::PoolClosed) => return,
            Err(err) => {
                tracing::warn!(error = %err, "WAL checkpoint failed; retried after the next commit")
            }
        }
    }
}

async fn checkpoint(pool: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_optional(pool)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use crate::db::Db;

    /// A megabyte committed lands in the database file, not only in the log, without anyone
    /// asking for a checkpoint (connections no longer checkpoint on their own).
    #[tokio::test]
    async fn committed_pages_reach_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db");
        let db = Db::connect(&format!("sqlite:{}", path.display()), 2)
            .await
            .unwrap();
        let file_size = || std::fs::metadata(&path).unwrap().len();
        let before = file_size();
        let mut w = db.begin_write().await.unwrap();
        sqlx::query("CREATE TABLE filler (data BLOB NOT NULL)")
            .execute(&mut *w.tx)
            .await
            .unwrap();
        sqlx::query("INSERT INTO filler (data) VALUES (zeroblob(1048576))")
            .execute(&mut *w.tx)
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert!(
            file_size() < before + 1_048_576,
            "the commit went to the log"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while file_size() < before + 1_048_576 {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint within 5 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
