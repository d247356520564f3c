//! Privacy of stored data (issue 18): replay digests are keyed hashes (and rows stored unkeyed
//! before still refuse replays once converted), a user's data is exported and erased (leaving
//! no row about them in any table), retention removes exactly what is due, and the audit log
//! records each action and never a pattern or a secret.

mod common;

use std::collections::BTreeMap;

use common::{Client, TestServer, Typist, TEXT};
use keycadence_core::pattern::Pattern;
use keycadence_otp::at_rest::{AtRestKey, SecretSealer};
use keycadence_server::db::audit::AuditEntry;
use keycadence_server::db::{now_millis, Backend, Db};
use keycadence_server::otp::apps::{create_app, AppSettings, CreateApp};
use keycadence_server::privacy::audit::Auditor;
use keycadence_server::privacy::retention::{run_once, Removed};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::Row;

const DAY_MS: i64 = 86_400_000;

fn at_rest_hex() -> String {
    "5a".repeat(32)
}

fn pepper_hex() -> String {
    "a5".repeat(32)
}

/// A user id of the client's own: on PostgreSQL the test binaries share one database.
fn user(c: &Client, name: &str) -> String {
    format!("{name}-{}", c.key)
}

/// A server on `url` with the keys given in its configuration, so that servers started again
/// on the same database read what earlier ones stored, and this test can make their hashes.
async fn server_on(url: &str) -> TestServer {
    server_with_retention(url, 3600).await
}

/// [`server_on`] with retention passes every `interval` seconds (0: none; the first runs at
/// start).
async fn server_with_retention(url: &str, interval: u64) -> TestServer {
    let url = url.to_string();
    TestServer::start_with(move |config| {
        config.retention_interval_seconds = interval;
        config.database_url = url;
        config.otp.keys.at_rest_key = Some(at_rest_hex().parse().unwrap());
        config.otp.keys.otp_pepper = Some(pepper_hex().parse().unwrap());
    })
    .await
}

/// A database of this test alone, also when the suite runs on PostgreSQL: for steps that
/// work on every row (the start-up conversion, a retention pass whose counts are checked).
fn own_sqlite(dir: &std::path::Path) -> String {
    format!("sqlite:{}", dir.join("own.db").display())
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The canonical text the server stores for a submitted pattern.
fn canonical(tp: &str) -> String {
    Pattern::parse(tp).unwrap().to_string()
}

async fn enrol(c: &Client, user: &str, typist: &mut Typist, n: usize) -> Vec<String> {
    let mut sent = Vec::new();
    for _ in 0..n {
        let tp = typist.type_text(TEXT, 1);
        let saved = c.save(user, &tp).await;
        assert_eq!(saved.code(), 1, "{}", saved.body);
        sent.push(tp);
    }
    sent
}

async fn internal_id(db: &Db, tenant_key: &str, user: &str) -> i64 {
    sqlx::query(
        "SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id \
         WHERE t.name = $1 AND u.external_id = $2",
    )
    .bind(format!("t-{tenant_key}"))
    .bind(user)
    .fetch_one(db.pool())
    .await
    .unwrap()
    .get(0)
}

async fn digests_of(db: &Db, user_id: i64) -> Vec<(String, String)> {
    sqlx::query("SELECT digest, source FROM pattern_digests WHERE user_id = $1 ORDER BY digest")
        .bind(user_id)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Every table with its rows, each row as (column, value as text) pairs: what a dump of the
/// database holds.
async fn every_row(db: &Db) -> BTreeMap<String, Vec<Vec<(String, String)>>> {
    let tables_sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
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
    let mut out = BTreeMap::new();
    for table in tables {
        let columns_sql = match db.backend() {
            Backend::Sqlite => "SELECT name FROM pragma_table_info($1)",
            Backend::Postgres => {
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        let columns: Vec<String> = sqlx::query(columns_sql)
            .bind(&table)
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let as_bytes: Vec<String> = columns
            .iter()
            .map(|name| match db.backend() {
                Backend::Sqlite => format!("CAST({name} AS BLOB)"),
                Backend::Postgres => format!("convert_to({name}::text, 'UTF8')"),
            })
            .collect();
        let rows = sqlx::query(&format!("SELECT {} FROM {table}", as_bytes.join(", ")))
            .fetch_all(db.pool())
            .await
            .unwrap();
        let rows = rows
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let bytes: Option<Vec<u8>> = row.get(i);
                        let text = String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned();
                        (name.clone(), text)
                    })
                    .collect()
            })
            .collect();
        out.insert(table, rows);
    }
    out
}

async fn get_json(c: &Client, path: &str) -> Value {
    let reply = c.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.body
}

#[tokio::test]
async fn replay_digests_are_keyed_and_converted_rows_still_refuse_replays() {
    let dir = tempfile::tempdir().unwrap();
    let url = own_sqlite(dir.path());
    let server = server_on(&url).await;
    let c = server.client(&["auto_enroll=false"]).await;
    let alice = user(&c, "alice");
    let mut typist = Typist::new(31);
    let enrolled = enrol(&c, &alice, &mut typist, 3).await;
    let probe = typist.type_text(TEXT, 1);
    let verified = c.verify(&alice, &probe).await;
    assert_eq!(verified.body["result"], 1, "{}", verified.body);
    let id = internal_id(&server.db, &c.key, &alice).await;

    // Stored keyed: no digest is the plain SHA-256 of a pattern.
    let plain: Vec<String> = enrolled
        .iter()
        .chain([&probe])
        .map(|tp| sha256_hex(&canonical(tp)))
        .collect();
    let stored = digests_of(&server.db, id).await;
    assert_eq!(stored.len(), 4);
    for (digest, _) in &stored {
        assert!(!plain.contains(digest), "an unkeyed digest is stored");
        assert_eq!(digest.len(), 64);
    }

    // The rows as a version before keying stored them: plain SHA-256 in both tables, and the
    // conversion not done.
    sqlx::query("DELETE FROM pattern_digests WHERE user_id = $1")
        .bind(id)
        .execute(server.db.pool())
        .await
        .unwrap();
    for (i, digest) in plain.iter().enumerate() {
        let source = if i < 3 { "enrol" } else { "verify" };
        sqlx::query(
            "INSERT INTO pattern_digests (user_id, digest, source, seen_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(digest)
        .bind(source)
        .bind(now_millis())
        .execute(server.db.pool())
        .await
        .unwrap();
    }
    let pattern_ids: Vec<i64> =
        sqlx::query("SELECT id FROM patterns WHERE user_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(server.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    for (pattern_id, digest) in pattern_ids.iter().zip(&plain) {
        sqlx::query("UPDATE patterns SET digest = $1 WHERE id = $2")
            .bind(digest)
            .bind(pattern_id)
            .execute(server.db.pool())
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM store_conversions")
        .execute(server.db.pool())
        .await
        .unwrap();
    server.stop().await;

    let server = server_on(&url).await;
    let c = Client::new(&server.base, &c.key, &c.secret);
    let converted = digests_of(&server.db, id).await;
    assert_eq!(converted.len(), 4);
    let stored_in_patterns: Vec<String> = sqlx::query("SELECT digest FROM patterns")
        .fetch_all(server.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for digest in converted.iter().map(|(d, _)| d).chain(&stored_in_patterns) {
        assert!(!plain.contains(digest), "an unkeyed digest is left");
    }
    // The converted rows are the ones the server makes now: they were stored keyed before,
    // with the same key.
    assert_eq!(converted, stored);

    // A replay of the verified probe and of an enrolled pattern are still refused.
    assert_eq!(c.verify(&alice, &probe).await.code(), 5);
    assert_eq!(c.verify(&alice, &enrolled[0]).await.code(), 2);
    assert_eq!(c.save(&alice, &enrolled[1]).await.code(), 2);
    // A new probe verifies once, then is refused.
    let fresh = typist.type_text(TEXT, 1);
    assert_eq!(c.verify(&alice, &fresh).await.body["result"], 1);
    assert_eq!(c.verify(&alice, &fresh).await.code(), 5);
    // A third start converts nothing twice.
    server.stop().await;
    let server = server_on(&url).await;
    let mut after = digests_of(&server.db, id).await;
    after.retain(|(d, _)| converted.iter().any(|(c, _)| c == d));
    assert_eq!(after, converted);
    server.stop().await;
}

/// A sign-in of `user` (by backup code of their TOTP entity in `service`) through a new
/// application enabled for the client's tenant.
async fn sign_in_for(
    server: &TestServer,
    c: &Client,
    user: &str,
    email: &str,
    service: &str,
) -> Value {
    let sealer = SecretSealer::new(&AtRestKey::from_hex(&at_rest_hex()).unwrap());
    let app = create_app(
        &server.db,
        &sealer,
        CreateApp {
            client_id: None,
            domain: "example.com".into(),
            settings: AppSettings {
                email_from: Some("Example <codes@example.com>".into()),
                ..AppSettings::default()
            },
            sms_auth_token: None,
        },
    )
    .await
    .unwrap();
    keycadence_server::cli::signin::enable(
        &server.db,
        &app.application_id,
        &format!("t-{}", c.key),
        &json!({"strategies": ["backup_code"]}).to_string(),
    )
    .await
    .unwrap();
    let created = c
        .request(reqwest::Method::POST, "/v1/sign_ins")
        .json(&json!({
            "application_id": app.application_id,
            "user_id": user,
            "email": email,
            "totp_service": service,
            "totp_identity": user,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    created.json().await.unwrap()
}

/// A TOTP factor and backup codes for the entity named like `user`: (service sid, factor
/// secret, codes).
async fn totp_for(c: &Client, user: &str) -> (String, String, Vec<String>) {
    let post = |path: String, form: Vec<(&'static str, &'static str)>| async move {
        let response = c
            .request(reqwest::Method::POST, &path)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json::<Value>().await.unwrap()
    };
    let service = post("/v2/Services".into(), vec![("FriendlyName", "Acme")]).await;
    let service = service["sid"].as_str().unwrap().to_string();
    let entity = format!("/v2/Services/{service}/Entities/{user}");
    let factor = post(
        format!("{entity}/Factors"),
        vec![("FactorType", "totp"), ("FriendlyName", "phone")],
    )
    .await;
    let secret = factor["binding"]["secret"].as_str().unwrap().to_string();
    let backup = post(format!("{entity}/BackupCodes"), Vec::new()).await;
    let codes = backup["codes"]
        .as_array()
        .unwrap_or_else(|| panic!("{backup}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (service, secret, codes)
}

fn assert_absent(body: &str, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !body.contains(secret.as_str()),
            "{what} holds a secret: {secret}"
        );
    }
}

#[tokio::test]
async fn export_then_erasure_leaves_no_row_for_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let server = server_on(&url).await;
    let c = server.client(&["auto_enroll=false"]).await;
    let (alice, bob) = (user(&c, "alice"), user(&c, "bob"));
    let mut alice_typing = Typist::new(41);
    let mut bob_typing = Typist::new(42);
    let sent = enrol(&c, &alice, &mut alice_typing, 3).await;
    enrol(&c, &bob, &mut bob_typing, 3).await;
    let verified = c.verify(&alice, &alice_typing.type_text(TEXT, 1)).await;
    assert_eq!(verified.body["result"], 1, "{}", verified.body);
    let (service, factor_secret, backup_codes) = totp_for(&c, &alice).await;
    let sign_in = sign_in_for(&server, &c, &alice, "alice@example.com", &service).await;
    let tenant_id: i64 = sqlx::query("SELECT id FROM tenants WHERE name = $1")
        .bind(format!("t-{}", c.key))
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .get(0);
    assert!(server
        .db
        .sign_in_texts()
        .claim(
            &format!("quiet river {}", c.key),
            tenant_id,
            &alice,
            now_millis()
        )
        .await
        .unwrap());
    let alice_id = internal_id(&server.db, &c.key, &alice).await;
    let mut secrets = backup_codes.clone();
    secrets.push(factor_secret.clone());
    secrets.push(sign_in["client_token"].as_str().unwrap().to_string());

    // The export: metadata without pattern texts unless asked for.
    let export = get_json(&c, &format!("/privacy/data/{alice}")).await;
    let data = &export["user"];
    assert_eq!(data["user_id"], alice.as_str());
    let enrolments = data["enrolments"].as_array().unwrap();
    assert_eq!(enrolments.len(), 3);
    for e in enrolments {
        assert_eq!(e["device"], "desktop");
        assert_eq!(e["type"], 1);
        assert!(e.get("pattern").is_none(), "{e}");
    }
    assert_eq!(data["replay_digests"], json!({"enrol": 3, "verify": 1}));
    assert_eq!(data["totp_factors"].as_array().unwrap().len(), 1);
    assert_eq!(data["totp_factors"][0]["status"], "unverified");
    assert_eq!(data["backup_code_sets"].as_array().unwrap().len(), 1);
    assert_eq!(data["sign_ins"].as_array().unwrap().len(), 1);
    assert_eq!(data["sign_ins"][0]["id"], sign_in["id"]);
    assert_eq!(
        data["sign_ins"][0]["summary"]["contact"]["email"],
        "alice@example.com"
    );
    assert_eq!(data["sign_in_texts"].as_array().unwrap().len(), 1);
    assert_eq!(
        data["audit_records"], 4,
        "three enrolments and a verification"
    );
    assert_absent(&export.to_string(), &secrets, "the export");
    let sent_texts: Vec<String> = sent.iter().map(|tp| canonical(tp)).collect();
    assert_absent(
        &export.to_string(),
        &sent_texts,
        "an export without patterns",
    );

    let with_patterns = get_json(&c, &format!("/privacy/data/{alice}?patterns=1")).await;
    let mut exported: Vec<String> = with_patterns["user"]["enrolments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pattern"].as_str().unwrap().to_string())
        .collect();
    let mut expected = sent_texts.clone();
    exported.sort();
    expected.sort();
    assert_eq!(exported, expected);

    let bob_before = get_json(&c, &format!("/privacy/data/{bob}")).await;

    // The erasure answers what went.
    let erased = c.delete(&format!("/privacy/data/{alice}")).await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(
        erased.body["erased"],
        json!({
            "users": 1, "enrolments": 3, "replay_digests": 4, "sign_ins": 1,
            "sign_in_texts": 1, "totp_factors": 1, "totp_challenges": 0,
            "backup_code_sets": 1, "audit_records": 6,
        }),
        "{}",
        erased.body
    );
    assert_eq!(erased.body["total"], 18);

    // Table by table: no cell names Alice, no row refers to her internal id.
    for (table, rows) in every_row(&server.db).await {
        for row in rows {
            for (column, value) in &row {
                assert!(
                    !value.contains(&alice),
                    "{table}.{column} still names the user: {row:?}"
                );
                if column == "user_id" {
                    assert_ne!(
                        value,
                        &alice_id.to_string(),
                        "{table} refers to the user: {row:?}"
                    );
                }
            }
            let text: String = row.iter().map(|(_, v)| v.as_str()).collect();
            assert_absent(&text, &secrets, &table);
        }
    }
    // What remains about her is the record of the erasure, naming her by a keyed hash.
    let audit = get_json(&c, &format!("/privacy/audit/{alice}")).await;
    let records = audit["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{audit}");
    assert_eq!(records[0]["action"], "erase");
    assert_eq!(records[0]["actor"], c.key.as_str());
    assert_eq!(records[0]["detail"]["enrolments"], 3);
    let after = get_json(&c, &format!("/privacy/data/{alice}")).await;
    assert_eq!(after["user"]["created_at"], Value::Null);
    assert_eq!(after["user"]["enrolments"], json!([]));
    assert_eq!(after["user"]["sign_ins"], json!([]));
    // The sign-in is gone for its browser too, and Alice starts afresh.
    assert_eq!(c.counts(&alice).await, (0, 0));
    assert_eq!(
        c.save(&alice, &sent[0]).await.code(),
        1,
        "her old digests are gone"
    );

    // Bob keeps everything.
    let bob_after = get_json(&c, &format!("/privacy/data/{bob}")).await;
    for field in ["enrolments", "replay_digests", "created_at"] {
        assert_eq!(
            bob_after["user"][field], bob_before["user"][field],
            "{field}"
        );
    }
    server.stop().await;
}

/// Sets the time a user was created and last used.
async fn age_user(db: &Db, tenant_key: &str, user: &str, at: i64) {
    let id = internal_id(db, tenant_key, user).await;
    sqlx::query("UPDATE users SET created_at = $1, last_used_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
}

async fn audit_at(db: &Db, tenant_key: &str, at: i64, action: &str) {
    let tenant_id: i64 = sqlx::query("SELECT id FROM tenants WHERE name = $1")
        .bind(format!("t-{tenant_key}"))
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    db.audit()
        .insert(&[AuditEntry {
            at,
            tenant_id: Some(tenant_id),
            actor: tenant_key.into(),
            user_ref: None,
            action: action.into(),
            detail: json!({}),
        }])
        .await
        .unwrap();
}

async fn audit_actions(db: &Db, tenant_key: &str) -> Vec<String> {
    sqlx::query(
        "SELECT a.action FROM audit_log a JOIN tenants t ON t.id = a.tenant_id \
         WHERE t.name = $1 ORDER BY a.action",
    )
    .bind(format!("t-{tenant_key}"))
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn retention_removes_exactly_what_is_due() {
    let dir = tempfile::tempdir().unwrap();
    let url = own_sqlite(dir.path());
    // No passes of its own: the test runs them.
    let server = server_with_retention(&url, 0).await;
    let kept = server
        .client(&[
            "auto_enroll=false",
            "enrolment_retention_days=30",
            "verify_digest_retention_days=10",
            "audit_retention_days=100",
        ])
        .await;
    let defaults = server.client(&["auto_enroll=false"]).await;
    let (old, recent) = (user(&kept, "old"), user(&kept, "recent"));
    let other_old = user(&defaults, "old");
    let mut typing = Typist::new(51);
    enrol(&kept, &old, &mut typing, 3).await;
    enrol(&kept, &recent, &mut typing, 3).await;
    enrol(&defaults, &other_old, &mut typing, 3).await;
    let probe = typing.type_text(TEXT, 1);
    assert_eq!(kept.verify(&recent, &probe).await.body["result"], 1);
    let fresh_probe = typing.type_text(TEXT, 1);
    assert_eq!(kept.verify(&recent, &fresh_probe).await.body["result"], 1);
    let now = now_millis();
    // Unused for 40 days: due with 30 days of retention, kept where retention is off.
    age_user(&server.db, &kept.key, &old, now - 40 * DAY_MS).await;
    age_user(&server.db, &defaults.key, &other_old, now - 40 * DAY_MS).await;
    // Recent's enrolment digests and one verify digest are 20 days old: the verify digest
    // is due (10 days), the enrolment digests are not (they go with the enrolments).
    let recent_id = internal_id(&server.db, &kept.key, &recent).await;
    sqlx::query("UPDATE pattern_digests SET seen_at = $1 WHERE user_id = $2 AND source = 'enrol'")
        .bind(now - 20 * DAY_MS)
        .bind(recent_id)
        .execute(server.db.pool())
        .await
        .unwrap();
    let aged_verify: String = sqlx::query(
        "SELECT digest FROM pattern_digests WHERE user_id = $1 AND source = 'verify' LIMIT 1",
    )
    .bind(recent_id)
    .fetch_one(server.db.pool())
    .await
    .unwrap()
    .get(0);
    sqlx::query("UPDATE pattern_digests SET seen_at = $1 WHERE user_id = $2 AND digest = $3")
        .bind(now - 20 * DAY_MS)
        .bind(recent_id)
        .bind(&aged_verify)
        .execute(server.db.pool())
        .await
        .unwrap();
    // Audit records 200 days old: due with 100 days, kept with the default (400).
    audit_at(&server.db, &kept.key, now - 200 * DAY_MS, "aged").await;
    audit_at(&server.db, &kept.key, now - 200 * DAY_MS, "aged").await;
    audit_at(&server.db, &defaults.key, now - 200 * DAY_MS, "aged").await;
    let before_recent = digests_of(&server.db, recent_id).await;
    let other_id = internal_id(&server.db, &defaults.key, &other_old).await;
    let before_other = digests_of(&server.db, other_id).await;

    let auditor = Auditor::start(server.db.clone(), &hex::decode(pepper_hex()).unwrap());
    // Batches of one row: every kind takes several transactions.
    let removed = run_once(&server.db, &auditor, now, 1).await.unwrap();
    assert_eq!(
        removed,
        Removed {
            users: 1,
            enrolments: 3,
            verify_digests: 1,
            sign_ins: 0,
            audit_records: 2,
        }
    );
    assert_eq!(kept.counts(&old).await, (0, 0));
    assert_eq!(kept.counts(&recent).await, (3, 0));
    assert_eq!(defaults.counts(&other_old).await, (3, 0));
    let mut expected_recent = before_recent.clone();
    expected_recent.retain(|(d, _)| d != &aged_verify);
    assert_eq!(digests_of(&server.db, recent_id).await, expected_recent);
    assert_eq!(digests_of(&server.db, other_id).await, before_other);
    let kept_actions = audit_actions(&server.db, &kept.key).await;
    assert!(
        !kept_actions.contains(&"aged".to_string()),
        "{kept_actions:?}"
    );
    assert!(kept_actions.contains(&"retention_removal".to_string()));
    assert!(audit_actions(&server.db, &defaults.key)
        .await
        .contains(&"aged".to_string()));
    // The removal is on the user's record.
    let audit = get_json(&kept, &format!("/privacy/audit/{old}")).await;
    let last = audit["records"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "retention_removal");
    assert_eq!(last["actor"], "server");
    assert_eq!(last["detail"]["enrolments"], 3);
    // Nothing else is due.
    assert_eq!(
        run_once(&server.db, &auditor, now, 1).await.unwrap(),
        Removed::default()
    );
    // A verification is a use: a user verified since is not removed.
    age_user(&server.db, &kept.key, &recent, now - 40 * DAY_MS).await;
    let third = typing.type_text(TEXT, 1);
    assert_eq!(kept.verify(&recent, &third).await.body["result"], 1);
    assert_eq!(
        run_once(&server.db, &auditor, now_millis(), 500)
            .await
            .unwrap()
            .users,
        0
    );
    assert_eq!(kept.counts(&recent).await, (3, 0));
    server.stop().await;

    // The server runs a pass when it starts and counts it in /metrics.
    age_user(
        &server_db(&url).await,
        &kept.key,
        &recent,
        now - 40 * DAY_MS,
    )
    .await;
    let server = server_on(&url).await;
    let mut removed_users = None;
    for _ in 0..100 {
        let text = reqwest::get(format!("{}/metrics", server.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        removed_users = metric(&text, "keycadence_retention_removed_total{kind=\"users\"}");
        // The series is there from the start, at 0, until the pass has run.
        if removed_users == Some(1.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(removed_users, Some(1.0));
    server.stop().await;
}

/// A verification keeps a user's enrolments even where nothing else makes the server book
/// verifications (replay protection and the daily cap both off): retention alone is reason to
/// note the use.
#[tokio::test]
async fn a_verification_is_a_use_without_replay_protection_or_daily_cap() {
    let dir = tempfile::tempdir().unwrap();
    let url = own_sqlite(dir.path());
    let server = server_with_retention(&url, 0).await;
    let tenant = server
        .client(&[
            "auto_enroll=false",
            "allow_identical_on_verify=true",
            "max_verifications_per_user_per_day=0",
            "enrolment_retention_days=30",
        ])
        .await;
    let (verified, idle) = (user(&tenant, "verified"), user(&tenant, "idle"));
    let mut typing = Typist::new(52);
    enrol(&tenant, &verified, &mut typing, 3).await;
    enrol(&tenant, &idle, &mut typing, 3).await;
    let now = now_millis();
    age_user(&server.db, &tenant.key, &verified, now - 40 * DAY_MS).await;
    age_user(&server.db, &tenant.key, &idle, now - 40 * DAY_MS).await;
    let probe = typing.type_text(TEXT, 1);
    assert_eq!(tenant.verify(&verified, &probe).await.body["result"], 1);

    let auditor = Auditor::start(server.db.clone(), &hex::decode(pepper_hex()).unwrap());
    let removed = run_once(&server.db, &auditor, now_millis(), 500)
        .await
        .unwrap();
    assert_eq!(removed.users, 1);
    assert_eq!(tenant.counts(&verified).await, (3, 0));
    assert_eq!(tenant.counts(&idle).await, (0, 0));
    server.stop().await;
}

async fn server_db(url: &str) -> Db {
    Db::connect(url, 2).await.unwrap()
}

#[tokio::test]
async fn the_audit_log_records_each_action_and_never_a_pattern_or_secret() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let server = server_on(&url).await;
    let c = server.client(&["auto_enroll=false"]).await;
    let alice = user(&c, "alice");
    let mut typing = Typist::new(61);
    let mut sent = enrol(&c, &alice, &mut typing, 3).await;
    let probe = typing.type_text(TEXT, 1);
    assert_eq!(c.verify(&alice, &probe).await.body["result"], 1);
    assert_eq!(c.verify(&alice, &probe).await.code(), 5, "a replay");
    let auto = typing.type_text(TEXT, 1);
    assert_eq!(
        c.post(&format!("/auto/{alice}"), &[("tp", &auto)])
            .await
            .body["result"],
        1
    );
    sent.extend([probe, auto]);
    get_json(&c, &format!("/privacy/data/{alice}?patterns=1")).await;
    let deleted = c.delete(&format!("/user/{alice}?type=0")).await;
    assert_eq!(deleted.code(), 1);

    let records = get_json(&c, &format!("/privacy/audit/{alice}")).await["records"].clone();
    let records = records.as_array().unwrap();
    let actions: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "enrol",
            "enrol",
            "enrol",
            "verify",
            "verify",
            "auto",
            "export",
            "delete_patterns"
        ]
    );
    for record in records {
        assert_eq!(record["actor"], c.key.as_str());
        assert!(record["at"].as_i64().unwrap() > 0);
    }
    assert_eq!(
        records[3]["detail"],
        json!({"message_code": 1, "result": 1})
    );
    assert_eq!(records[4]["detail"], json!({"message_code": 5}));
    // (`/auto` enrolled the pattern it verified.)
    assert_eq!(records[5]["detail"]["action"], "verify;enroll");
    assert_eq!(
        records[6]["detail"],
        json!({"patterns": true, "enrolments": 4})
    );

    // Settings changes and key rotations from the command line.
    let binary = env!("CARGO_BIN_EXE_keycadence-server");
    let run = |url: &str, args: &[&str]| {
        let out = std::process::Command::new(binary)
            .args(["--database-url", url])
            .args(args)
            .env("KEYCADENCE_AT_REST_KEY", at_rest_hex())
            .env("KEYCADENCE_OTP_PEPPER", pepper_hex())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&url, &["keys", "set", &c.key, "default_quality=3"]);
    let actions = audit_actions(&server.db, &c.key).await;
    assert!(
        actions.contains(&"settings_change".to_string()),
        "{actions:?}"
    );
    // A rotation re-seals every row of the database: on one of this test's own (on
    // PostgreSQL the test binaries share theirs, with patterns under other keys).
    let own = own_sqlite(dir.path());
    run(&own, &["keys", "rotate-at-rest"]);
    let rotations: Vec<(String, String)> = sqlx::query(
        "SELECT actor, detail FROM audit_log WHERE tenant_id IS NULL AND action = 'rotate_at_rest'",
    )
    .fetch_all(server_db(&own).await.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    assert_eq!(rotations.len(), 1, "{rotations:?}");
    assert_eq!(rotations[0].0, "cli");
    assert!(rotations[0].1.contains("\"resealed\":0"), "{rotations:?}");

    // The erasure is recorded too; then no audit row holds a pattern, a secret or the user id.
    let erased = c.delete(&format!("/privacy/data/{alice}")).await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    let rows = every_row(&server.db).await.remove("audit_log").unwrap();
    let text: String = rows
        .iter()
        .flat_map(|row| row.iter().map(|(_, v)| format!("{v}\t")))
        .collect();
    assert!(
        text.contains("\"default_quality\":3"),
        "the settings change"
    );
    for tp in &sent {
        for needle in common::pattern_needles(&canonical(tp)) {
            assert!(
                !text.contains(&needle),
                "the audit log holds a pattern: {needle}"
            );
        }
    }
    assert!(!text.contains(&alice), "the audit log names the user");
    assert!(
        !text.contains(&c.secret),
        "the audit log holds the API secret"
    );
    assert!(!text.contains(&at_rest_hex()) && !text.contains(&pepper_hex()));
    server.stop().await;
}

/// Records written together (the audit writer's batches, several statements for a large one)
/// come back as written, each under its own user.
#[tokio::test]
async fn audit_records_written_in_one_batch_are_each_kept() {
    let server = TestServer::start().await;
    let c = server.client(&[]).await;
    let tenant_id: i64 = sqlx::query("SELECT id FROM tenants WHERE name = $1")
        .bind(format!("t-{}", c.key))
        .fetch_one(server.db.pool())
        .await
        .unwrap()
        .get(0);
    // Recent: the server's retention pass at start would take records older than 400 days.
    let now = now_millis();
    let entries: Vec<AuditEntry> = (0..300)
        .map(|i| AuditEntry {
            at: now + i,
            tenant_id: Some(tenant_id),
            actor: c.key.clone(),
            user_ref: Some(format!("ref-{}-{}", i % 3, c.key)),
            action: "verify".into(),
            detail: json!({ "n": i }),
        })
        .collect();
    server.db.audit().insert(&entries).await.unwrap();
    for user in 0..3 {
        let user_ref = format!("ref-{user}-{}", c.key);
        let stored = server
            .db
            .audit()
            .of_user(tenant_id, &user_ref)
            .await
            .unwrap();
        let expected: Vec<AuditEntry> = entries
            .iter()
            .filter(|e| e.user_ref.as_deref() == Some(user_ref.as_str()))
            .cloned()
            .collect();
        assert_eq!(stored, expected);
    }
    server.stop().await;
}

/// Another tenant's key reaches nothing of a user: its export of the same user id finds no
/// enrolment, its erasure removes none of the user's data, its audit query lists only its own
/// records, and the user's own tenant still has everything.
#[tokio::test]
async fn another_tenant_can_neither_export_nor_erase_a_user() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let server = server_on(&url).await;
    let owner = server.client(&["auto_enroll=false"]).await;
    let intruder = server.client(&[]).await;
    let alice = user(&owner, "alice");
    let mut typing = Typist::new(61);
    let sent = enrol(&owner, &alice, &mut typing, 3).await;

    let path = format!("/privacy/data/{alice}?patterns=1");
    let seen = get_json(&intruder, &path).await;
    assert_eq!(seen["user"]["enrolments"], json!([]), "{seen}");
    assert_absent(&seen.to_string(), &sent, "another tenant's export");
    let erased = intruder.delete(&format!("/privacy/data/{alice}")).await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    // Only the intruder's own record of its export goes (its tenant's audit of that id).
    for kind in [
        "users",
        "enrolments",
        "replay_digests",
        "sign_ins",
        "totp_factors",
    ] {
        assert_eq!(erased.body["erased"][kind], 0, "{kind}: {}", erased.body);
    }
    let audit = get_json(&intruder, &format!("/privacy/audit/{alice}")).await;
    let records = audit["records"].as_array().unwrap();
    assert!(!records.is_empty(), "{audit}");
    assert!(
        records
            .iter()
            .all(|r| r.to_string().contains(&intruder.key) && !r.to_string().contains(&owner.key)),
        "only the intruder's own records: {audit}"
    );

    assert_eq!(owner.counts(&alice).await, (3, 0));
    let own = get_json(&owner, &path).await;
    assert_eq!(
        own["user"]["enrolments"].as_array().map(Vec::len),
        Some(3),
        "{own}"
    );
    server.stop().await;
}
