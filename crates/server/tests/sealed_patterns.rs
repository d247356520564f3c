//! Enrolled patterns are sealed at rest: no table holds a pattern's text (nor, on SQLite, do
//! the database's files), rows stored in plain text before are sealed on the next start, and
//! a row that does not open fails the request instead of counting as no enrolment.

mod common;

use std::path::Path;

use common::{pattern_needles, Client, TestServer, Typist, TEXT};
use keycadence_server::db::{Backend, Db};
use sqlx::Row;

/// A user id of the client's own: on PostgreSQL the test binaries share one database.
fn user(c: &Client, name: &str) -> String {
    format!("{name}-{}", c.key)
}

/// A server on the database at `url` whose keys are given in the configuration, so that a
/// second server on the same database opens what the first sealed.
async fn server_on(url: &str) -> TestServer {
    let url = url.to_string();
    TestServer::start_with(move |config| {
        config.database_url = url;
        config.otp.keys.at_rest_key = Some("5a".repeat(32).parse().unwrap());
        config.otp.keys.otp_pepper = Some("a5".repeat(32).parse().unwrap());
    })
    .await
}

/// Every value of every table, as bytes (text as UTF-8, blobs as they are), one line per
/// row: what a dump of the database would hold.
async fn dump(db: &Db) -> Vec<u8> {
    let tables_sql = match db.backend() {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()"
        }
    };
    let tables: Vec<String> = sqlx::query(tables_sql)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.iter().any(|t| t == "patterns"), "{tables:?}");
    let mut out = Vec::new();
    for table in tables {
        let columns_sql = match db.backend() {
            Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1)",
            Backend::Postgres => {
                "SELECT column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        // Every column as bytes: blobs as stored, anything else as its text.
        let columns: Vec<String> = sqlx::query(columns_sql)
            .bind(&table)
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| {
                let (name, kind): (String, String) = (r.get(0), r.get(1));
                match (db.backend(), kind.as_str()) {
                    (Backend::Sqlite, _) => format!("CAST({name} AS BLOB)"),
                    (Backend::Postgres, "bytea") => name,
                    (Backend::Postgres, _) => format!("convert_to({name}::text, 'UTF8')"),
                }
            })
            .collect();
        let rows = sqlx::query(&format!("SELECT {} FROM {table}", columns.join(", ")))
            .fetch_all(db.pool())
            .await
            .unwrap();
        for row in rows {
            out.extend_from_slice(table.as_bytes());
            for i in 0..row.len() {
                out.push(b'\t');
                if let Some(bytes) = row.get::<Option<Vec<u8>>, _>(i) {
                    out.extend(bytes);
                }
            }
            out.push(b'\n');
        }
    }
    out
}

/// The bytes of the SQLite database and its WAL, or nothing on PostgreSQL.
fn sqlite_files(url: &str) -> Vec<u8> {
    let Some(path) = url.strip_prefix("sqlite:") else {
        return Vec::new();
    };
    let mut bytes = Vec::new();
    for file in [path.to_string(), format!("{path}-wal")] {
        if Path::new(&file).exists() {
            bytes.extend(std::fs::read(&file).unwrap());
        }
    }
    bytes
}

fn assert_nowhere(haystack: &[u8], patterns: &[String], what: &str) {
    let haystack = String::from_utf8_lossy(haystack);
    for pattern in patterns {
        for needle in pattern_needles(pattern) {
            assert!(
                !haystack.contains(&needle),
                "{what} holds part of an enrolled pattern: {needle}"
            );
        }
    }
}

async fn enrol(c: &Client, user: &str, typist: &mut Typist, kind: u8, n: usize) -> Vec<String> {
    let mut stored = Vec::new();
    for _ in 0..n {
        let tp = typist.type_text(TEXT, kind);
        assert_eq!(c.save(user, &tp).await.code(), 1);
        stored.push(tp);
    }
    stored
}

#[tokio::test]
async fn a_dump_after_enrolment_holds_no_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let server = server_on(&url).await;
    let c = server.client(&["auto_enroll=false"]).await;
    let alice_id = user(&c, "alice");
    let mut alice = Typist::new(7);
    let mut enrolled = enrol(&c, &alice_id, &mut alice, 1, 3).await;
    enrolled.extend(enrol(&c, &alice_id, &mut alice, 2, 3).await);
    let verify = c.verify(&alice_id, &alice.same_text()).await;
    assert_eq!(verify.code(), 1, "{}", verify.body);
    assert_eq!(verify.body["result"], 1, "{}", verify.body);

    let sealed: Vec<(Option<Vec<u8>>, Option<String>, String)> = sqlx::query(
        "SELECT p.sealed, p.key_id, p.pattern FROM patterns p JOIN users u ON u.id = p.user_id \
         WHERE u.external_id = $1",
    )
    .bind(&alice_id)
    .fetch_all(server.db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect();
    assert_eq!(sealed.len(), 6);
    for (blob, key_id, plain) in &sealed {
        assert!(blob.as_ref().is_some_and(|b| b.len() > 100));
        assert_eq!(key_id.as_ref().map(String::len), Some(8));
        assert_eq!(plain, "");
    }
    assert_nowhere(&dump(&server.db).await, &enrolled, "a table");
    assert_nowhere(&sqlite_files(&url), &enrolled, "the database's files");
    server.stop().await;
}

#[tokio::test]
async fn plain_rows_from_before_sealing_are_sealed_on_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let server = server_on(&url).await;
    let c = server.client(&["auto_enroll=false"]).await;
    let alice_id = user(&c, "alice");
    let mut alice = Typist::new(8);
    let enrolled = enrol(&c, &alice_id, &mut alice, 1, 3).await;
    // The rows as a version before sealing stored them: the text in `pattern`, nothing sealed.
    let ids: Vec<i64> = sqlx::query(
        "SELECT p.id FROM patterns p JOIN users u ON u.id = p.user_id \
         WHERE u.external_id = $1 ORDER BY p.id",
    )
    .bind(&alice_id)
    .fetch_all(server.db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    for (id, text) in ids.iter().zip(&enrolled) {
        sqlx::query("UPDATE patterns SET pattern = $1, sealed = NULL, key_id = NULL WHERE id = $2")
            .bind(text)
            .bind(id)
            .execute(server.db.pool())
            .await
            .unwrap();
    }
    // (So the checks below can see a plain row.)
    assert!(String::from_utf8_lossy(&dump(&server.db).await).contains(&enrolled[0]));
    let base = server.base.clone();
    server.stop().await;

    let server = server_on(&url).await;
    let c = Client::new(&server.base, &c.key, &c.secret);
    assert_ne!(server.base, base);
    let unsealed: i64 = sqlx::query("SELECT COUNT(*) FROM patterns WHERE sealed IS NULL")
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(unsealed, 0);
    let verify = c.verify(&alice_id, &alice.same_text()).await;
    assert_eq!(verify.body["result"], 1, "{}", verify.body);
    assert_nowhere(&dump(&server.db).await, &enrolled, "a table");
    assert_nowhere(&sqlite_files(&url), &enrolled, "the database's files");
    server.stop().await;
}

#[tokio::test]
async fn a_row_that_does_not_open_fails_the_request() {
    let server = TestServer::start().await;
    let c = server.client(&["auto_enroll=false"]).await;
    let (alice_id, bob_id) = (user(&c, "alice"), user(&c, "bob"));
    let mut alice = Typist::new(9);
    let mut bob = Typist::new(10);
    enrol(&c, &alice_id, &mut alice, 1, 3).await;
    enrol(&c, &bob_id, &mut bob, 1, 3).await;
    // Bob's sealed pattern copied into Alice's newest row: sealed for another user, it does
    // not open there.
    let bobs: Vec<u8> = sqlx::query(
        "SELECT p.sealed FROM patterns p JOIN users u ON u.id = p.user_id \
         WHERE u.external_id = $1 ORDER BY p.id DESC LIMIT 1",
    )
    .bind(&bob_id)
    .fetch_one(server.db.pool())
    .await
    .unwrap()
    .get(0);
    sqlx::query(
        "UPDATE patterns SET sealed = $1 WHERE id = (SELECT MAX(p.id) FROM patterns p \
         JOIN users u ON u.id = p.user_id WHERE u.external_id = $2)",
    )
    .bind(bobs)
    .bind(&alice_id)
    .execute(server.db.pool())
    .await
    .unwrap();
    let verify = c.verify(&alice_id, &alice.same_text()).await;
    assert_eq!(verify.status, 500, "{}", verify.body);
    // Bob's own rows still open.
    let verify = c.verify(&bob_id, &bob.same_text()).await;
    assert_eq!(verify.body["result"], 1, "{}", verify.body);
    server.stop().await;
}
