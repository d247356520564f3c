//! Rotating the at-rest key: every enrolled pattern is re-sealed under the new key while a
//! server configured with both keys keeps verifying, and afterwards the new key alone opens
//! everything.

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{Client, TestServer, Typist};
use keycadence_otp::{AtRestKey, SecretSealer};
use keycadence_server::db::enrolments::{Bucket, NewPattern};
use keycadence_server::db::sealed_patterns::PatternSealer;
use keycadence_server::db::Db;
use sqlx::Row;

fn old_key() -> String {
    "5a".repeat(32)
}

fn new_key() -> String {
    "c3".repeat(32)
}

/// A server on `url` sealing with `current` and also opening with `previous`.
async fn server(url: &str, current: String, previous: Vec<String>) -> TestServer {
    let url = url.to_string();
    TestServer::start_with(move |config| {
        config.database_url = url;
        config.otp.keys.at_rest_key = Some(current.parse().unwrap());
        config.otp.keys.previous_at_rest_keys =
            previous.iter().map(|k| k.parse().unwrap()).collect();
        config.otp.keys.otp_pepper = Some("a5".repeat(32).parse().unwrap());
    })
    .await
}

/// The store as `keys rotate-at-rest` opens it: the new key current, the old one previous.
async fn rotating_store(url: &str) -> Db {
    let sealer = SecretSealer::new(&AtRestKey::from_hex(&new_key()).unwrap())
        .with_previous(&AtRestKey::from_hex(&old_key()).unwrap());
    Db::connect(url, 2)
        .await
        .unwrap()
        .with_pattern_sealer(PatternSealer::new(Arc::new(sealer)))
}

async fn key_ids(db: &Db, tenant_key: &str) -> Vec<String> {
    sqlx::query(
        "SELECT p.key_id FROM patterns p JOIN users u ON u.id = p.user_id \
         JOIN tenants t ON t.id = u.tenant_id WHERE t.name = $1",
    )
    .bind(format!("t-{tenant_key}"))
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

const USERS: u64 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotation_under_concurrent_verification_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let before = server(&url, old_key(), Vec::new()).await;
    let c = before.client(&["auto_enroll=false"]).await;
    let mut typists: Vec<(String, Typist)> = (0..USERS)
        .map(|i| (format!("rot-{i}-{}", c.key), Typist::new(100 + i)))
        .collect();
    for (user, typist) in &mut typists {
        for _ in 0..3 {
            assert_eq!(c.save(user, &typist.same_text()).await.code(), 1);
        }
    }
    let old_ids = key_ids(&before.db, &c.key).await;
    assert_eq!(old_ids.len() as u64, USERS * 3);
    let old_id = old_ids[0].clone();
    // The PostgreSQL suite runs every test binary on one database; rows of the binaries that
    // ran before are sealed under their own keys, which this rotation cannot open.
    sqlx::query(
        "DELETE FROM patterns WHERE user_id NOT IN (SELECT u.id FROM users u \
         JOIN tenants t ON t.id = u.tenant_id WHERE t.name = $1)",
    )
    .bind(format!("t-{}", c.key))
    .execute(before.db.pool())
    .await
    .unwrap();

    // Servers restarted with the new key current and the old one previous, then rotation.
    let during = server(&url, new_key(), vec![old_key()]).await;
    before.stop().await;
    let c = Client::new(&during.base, &c.key, &c.secret);
    let store = rotating_store(&url).await;
    // One row per transaction: verifications read buckets between every two re-sealings.
    let rotation = tokio::spawn(async move { store.reseal_patterns(1).await.unwrap() });
    let mut verifications = Vec::new();
    for (user, typist) in &mut typists {
        let probes: Vec<String> = (0..4).map(|_| typist.same_text()).collect();
        let (c, user) = (c.clone(), user.clone());
        verifications.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for probe in probes {
                let r = c.verify(&user, &probe).await;
                answers.push((r.code(), r.body["previous_samples"].as_i64()));
            }
            answers
        }));
    }
    let resealed = rotation.await.unwrap();
    assert_eq!(resealed, USERS * 3);
    for task in verifications {
        for answer in task.await.unwrap() {
            assert_eq!(answer, (1, Some(3)), "a verification during rotation");
        }
    }
    let new_ids = key_ids(&during.db, &c.key).await;
    assert_eq!(new_ids.len() as u64, USERS * 3, "no row lost");
    assert!(new_ids.iter().all(|id| *id != old_id), "{new_ids:?}");
    during.stop().await;

    // The old key dropped: the new one alone opens every pattern.
    let after = server(&url, new_key(), Vec::new()).await;
    let c = Client::new(&after.base, &c.key, &c.secret);
    for (user, typist) in &mut typists {
        let r = c.verify(user, &typist.same_text()).await;
        assert_eq!(r.code(), 1, "{}", r.body);
        assert_eq!(r.body["previous_samples"], 3, "{}", r.body);
        assert_eq!(r.body["result"], 1, "{}", r.body);
    }
    after.stop().await;
}

/// Measurement, run by hand (`cargo test --release --test rotation -- --ignored
/// --nocapture`): the time to re-seal 100,000 patterns on SQLite.
#[tokio::test]
#[ignore]
async fn time_to_rotate_100k_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("rotate.db").display());
    let old = SecretSealer::new(&AtRestKey::from_hex(&old_key()).unwrap());
    let db = Db::connect(&url, 4)
        .await
        .unwrap()
        .with_pattern_sealer(PatternSealer::new(Arc::new(old)));
    db.keys()
        .insert(
            "bench",
            "",
            "bench-key",
            "unused",
            keycadence_server::clock::now_millis(),
        )
        .await
        .unwrap();
    let tenant_id: i64 = sqlx::query("SELECT id FROM tenants WHERE name = 'bench'")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    let text = Typist::new(1).same_text();
    let bucket = Bucket {
        is_mobile: false,
        kind: 1,
        text_id: 1,
        position: 0,
    };
    let started = Instant::now();
    for user in 0..5_000 {
        let patterns: Vec<NewPattern> = (0..20)
            .map(|i| NewPattern {
                bucket,
                text: text.clone(),
                digest: format!("{user}-{i}"),
            })
            .collect();
        db.patterns()
            .enrol(
                tenant_id,
                &format!("u{user}"),
                &patterns,
                20,
                0,
                keycadence_server::clock::now_millis(),
            )
            .await
            .unwrap();
    }
    println!("enrolled 100,000 patterns in {:?}", started.elapsed());
    db.close().await;
    let store = rotating_store(&url).await;
    let started = Instant::now();
    let resealed = store.reseal_patterns(500).await.unwrap();
    assert_eq!(resealed, 100_000);
    println!("re-sealed {resealed} patterns in {:?}", started.elapsed());
}
