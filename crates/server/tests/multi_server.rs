//! Several `keycadence-server serve` processes on one PostgreSQL database, requests spread over
//! them as a load balancer would: migrations run once when they start together, and the limits
//! kept in the database (replay protection, the daily verification cap, one-time-code failures
//! and lock-outs, send windows) hold for the deployment, not per process. Flood limits are kept
//! in each process: the test pins their documented bound (N servers let N times the limit
//! through). Key revocation and setting changes reach every process within
//! `auth_cache_seconds`.
//!
//! PostgreSQL only (SQLite is one machine's file): the tests run when
//! `KEYCADENCE_TEST_DATABASE_URL` names a PostgreSQL database, as scripts/test.d/server.sh
//! does, and say that they were skipped otherwise. Each test creates a database of its own on
//! that cluster and drops it at the end.

mod common;
#[allow(dead_code)] // the Verify suite's helpers; this file uses the SMS gateway stand-in
#[path = "otp/support.rs"]
mod otp_support;

use std::io::{BufRead, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{created_key_pair, Client, Typist};
use keycadence_otp::{payload, KdfVersion, PayloadKey};
use otp_support::{SmsGateway, TestApp};
use sqlx::{Connection, Row};
use tokio::sync::Barrier;

const BIN: &str = env!("CARGO_BIN_EXE_keycadence-server");

/// The PostgreSQL URL to test on, or `None` (and a line saying the test was skipped).
fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("KEYCADENCE_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Some(url),
        _ => {
            // Straight to stderr: the test harness would hide eprintln! of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: several servers need a shared PostgreSQL database; set \
                 KEYCADENCE_TEST_DATABASE_URL (scripts/test.d/server.sh does)"
            );
            None
        }
    }
}

/// A new, empty database on the cluster of `url`; dropped with the value.
struct FreshDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl FreshDatabase {
    async fn create(url: &str) -> FreshDatabase {
        let (cluster, _) = url.rsplit_once('/').expect("a database URL has a path");
        let name = format!("kc_multi_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        FreshDatabase {
            admin_url: url.to_string(),
            url: format!("{cluster}/{name}"),
            name,
        }
    }

    async fn drop_now(self) {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .unwrap();
    }
}

/// One `keycadence-server serve` process.
struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The servers of one deployment, sharing the database URL and the keys (every replica must
/// have the same pepper and at-rest key: each opens what the others sealed).
struct Deployment {
    database: FreshDatabase,
    env: Vec<(String, String)>,
    replicas: Vec<Replica>,
    _dir: tempfile::TempDir,
}

impl Deployment {
    /// Starts `count` servers at the same moment on a new database; `settings` are extra
    /// `KEYCADENCE_*` variables.
    async fn start(url: &str, count: usize, settings: &[(&str, &str)]) -> Deployment {
        let database = FreshDatabase::create(url).await;
        let dir = tempfile::tempdir().unwrap();
        let secret = |_| keycadence_server::auth::generate_key_pair().0.repeat(2);
        let mut env: Vec<(String, String)> = vec![
            ("KEYCADENCE_DATABASE_URL".into(), database.url.clone()),
            ("KEYCADENCE_OTP_PEPPER".into(), secret(0)),
            ("KEYCADENCE_AT_REST_KEY".into(), secret(1)),
            (
                "KEYCADENCE_DATA_DIR".into(),
                dir.path().display().to_string(),
            ),
            ("KEYCADENCE_LOG_FORMAT".into(), "json".into()),
            (
                "KEYCADENCE_LOG".into(),
                "warn,keycadence_server=info".into(),
            ),
            ("KEYCADENCE_BACKUP_CODE_MEMORY_KIB".into(), "1024".into()),
        ];
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut deployment = Deployment {
            database,
            env,
            replicas: Vec::new(),
            _dir: dir,
        };
        let children: Vec<Child> = (0..count).map(|_| deployment.spawn()).collect();
        for child in children {
            let replica = Replica::listening(child).await;
            deployment.replicas.push(replica);
        }
        deployment
    }

    fn spawn(&self) -> Child {
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary runs")
    }

    /// Runs a `keycadence-server` command (keys, apps) on the deployment's database.
    fn command(&self, args: &[&str]) -> String {
        let output = Command::new(BIN)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn bases(&self) -> Vec<String> {
        self.replicas.iter().map(|r| r.base.clone()).collect()
    }

    /// A new API key with `settings`, and a client of it for each server.
    fn clients(&self, settings: &[&str]) -> Vec<Client> {
        let (key, secret) = created_key_pair(&self.command(&["keys", "create"]));
        if !settings.is_empty() {
            let mut args = vec!["keys", "set", &key];
            args.extend(settings);
            self.command(&args);
        }
        self.bases()
            .iter()
            .map(|base| Client::new(base, &key, &secret))
            .collect()
    }

    async fn stop(mut self) {
        self.replicas.clear();
        self.database.drop_now().await;
    }
}

impl Replica {
    /// Waits for the server's "listening" log line and keeps draining its log after.
    async fn listening(mut child: Child) -> Replica {
        let stderr = child.stderr.take().unwrap();
        let (found, address) = std::sync::mpsc::channel::<Result<String, String>>();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut found = Some(found);
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(sender) = &found {
                    let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                    if let Some(address) = parsed["fields"]["address"].as_str() {
                        let _ = sender.send(Ok(address.to_string()));
                        found = None;
                        continue;
                    }
                    seen.push(line);
                }
            }
            if let Some(sender) = found {
                let _ = sender.send(Err(seen.join("\n")));
            }
        });
        let address =
            tokio::task::spawn_blocking(move || address.recv_timeout(Duration::from_secs(60)))
                .await
                .unwrap()
                .expect("the server started within a minute")
                .unwrap_or_else(|log| panic!("the server exited before listening:\n{log}"));
        Replica {
            child,
            base: format!("http://{address}"),
        }
    }
}

/// Runs `calls` at the same moment (a barrier releases them together), the i-th through
/// server `i % servers`; returns their results in order.
async fn together<T, F, Fut>(calls: usize, call: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(calls));
    let tasks: Vec<_> = (0..calls)
        .map(|i| {
            let barrier = barrier.clone();
            let call = call(i);
            tokio::spawn(async move {
                barrier.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

fn count(codes: &[i64], code: i64) -> usize {
    codes.iter().filter(|&&c| c == code).count()
}

async fn scalar(url: &str, sql: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let value = sqlx::query(sql).fetch_one(&mut conn).await.unwrap().get(0);
    conn.close().await.unwrap();
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_started_together_migrate_the_database_once() {
    let Some(url) = postgres_url("servers_started_together_migrate_the_database_once") else {
        return;
    };
    let deployment = Deployment::start(&url, 3, &[]).await;
    for base in deployment.bases() {
        let health: serde_json::Value = reqwest::get(format!("{base}/healthz"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["status"], "ok", "{base}: {health}");
    }
    let db = &deployment.database.url;
    let applied = scalar(db, "SELECT COUNT(*) FROM _sqlx_migrations WHERE success").await;
    let distinct = scalar(db, "SELECT COUNT(DISTINCT version) FROM _sqlx_migrations").await;
    let all = scalar(db, "SELECT COUNT(*) FROM _sqlx_migrations").await;
    let latest = scalar(db, "SELECT MAX(version) FROM _sqlx_migrations").await;
    assert_eq!((all, distinct), (applied, applied), "one row per migration");
    assert_eq!(
        applied, latest,
        "every migration from 1 to the latest, once"
    );
    // The servers serve from the migrated schema.
    let clients = deployment.clients(&[]);
    for c in &clients {
        assert_eq!(c.get("/user/nobody").await.code(), 1);
    }
    deployment.stop().await;
}

const USER: &str = "user-0001-alice";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_protection_and_the_daily_cap_hold_across_servers() {
    let Some(url) = postgres_url("replay_protection_and_the_daily_cap_hold_across_servers") else {
        return;
    };
    let deployment = Deployment::start(&url, 3, &[]).await;
    let clients = deployment.clients(&["auto_enroll=false"]);
    let mut alice = Typist::new(61);
    for c in &clients {
        assert_eq!(c.save(USER, &alice.same_text()).await.code(), 1);
    }
    // One probe, 24 times at once, 8 through each server: one success, 23 replays (code 5).
    let probe = alice.same_text();
    let codes = together(24, |i| {
        let (c, probe) = (clients[i % 3].clone(), probe.clone());
        async move { c.verify(USER, &probe).await.code() }
    })
    .await;
    assert_eq!((count(&codes, 1), count(&codes, 5)), (1, 23), "{codes:?}");

    // The daily cap: 12 distinct probes at once over three servers, 5 counted.
    let capped = deployment.clients(&["auto_enroll=false", "max_verifications_per_user_per_day=5"]);
    capped[0].save(USER, &alice.same_text()).await;
    let probes: Vec<String> = (0..12).map(|_| alice.same_text()).collect();
    let codes = together(12, |i| {
        let (c, probe) = (capped[i % 3].clone(), probes[i].clone());
        async move { c.verify(USER, &probe).await.code() }
    })
    .await;
    assert_eq!((count(&codes, 1), count(&codes, 57)), (5, 7), "{codes:?}");
    deployment.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_setting_changes_reach_every_server_within_the_cache_time() {
    let Some(url) = postgres_url("revocation_and_setting_changes_reach_every_server") else {
        return;
    };
    const CACHE_SECONDS: u64 = 2;
    let deployment = Deployment::start(
        &url,
        3,
        &[("KEYCADENCE_AUTH_CACHE_SECONDS", &CACHE_SECONDS.to_string())],
    )
    .await;
    // Generous slack for a loaded machine; what matters is that every server gets there by
    // itself, without a restart.
    let bound = Duration::from_secs(CACHE_SECONDS) + Duration::from_secs(3);
    let clients = deployment.clients(&["auto_enroll=false"]);
    let mut alice = Typist::new(62);
    clients[0].save(USER, &alice.same_text()).await;
    for c in &clients {
        assert_eq!(c.verify(USER, &alice.same_text()).await.code(), 1);
    }
    // A setting: the daily cap lowered to what alice has used (3) is applied by every server.
    deployment.command(&[
        "keys",
        "set",
        &clients[0].key,
        "max_verifications_per_user_per_day=3",
    ]);
    let changed = Instant::now();
    for c in &clients {
        loop {
            let code = c.verify(USER, &alice.same_text()).await.code();
            if code == 57 {
                break;
            }
            assert_eq!(code, 1);
            assert!(
                changed.elapsed() < bound,
                "{}: the old cap after {bound:?}",
                c.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Revocation: every server refuses the key (code 33) and keeps refusing it.
    deployment.command(&["keys", "revoke", &clients[0].key]);
    let revoked = Instant::now();
    for c in &clients {
        loop {
            let code = c.get(&format!("/user/{USER}")).await.code();
            if code == 33 {
                break;
            }
            assert_eq!(code, 1);
            assert!(
                revoked.elapsed() < bound,
                "{}: still accepted after {bound:?}",
                c.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for c in &clients {
        assert_eq!(c.get(&format!("/user/{USER}")).await.code(), 33);
    }
    deployment.stop().await;
}

/// A Verify application made with `apps create` on the deployment's database, sending by SMS
/// through `gateway`; one [`TestApp`] per server.
fn sms_app(deployment: &Deployment, settings: &[&str]) -> Vec<TestApp> {
    let mut args = vec![
        "apps",
        "create",
        "--domain",
        "example.com",
        "--sms-account-sid",
        "AC0123456789",
        "--sms-from",
        "+15550001111",
        "--sms-auth-token",
        "token",
    ];
    args.extend(settings);
    let output = deployment.command(&args);
    let field = |name: &str| {
        output
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {name} in {output}"))
    };
    let (client_id, application_id, secret, reset_token) = (
        field("clientId:"),
        field("applicationId:"),
        field("secret:"),
        field("resetToken:"),
    );
    let http = reqwest::Client::new();
    deployment
        .bases()
        .into_iter()
        .map(|base| TestApp {
            http: http.clone(),
            base,
            client_id: client_id.clone(),
            application_id: application_id.clone(),
            secret: secret.clone(),
            reset_token: reset_token.clone(),
            key: PayloadKey::derive(&secret, &application_id, KdfVersion::V1_1Pbkdf2),
            v2_key: payload::v2::derive_key(&secret, &application_id),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_failures_lock_outs_and_send_windows_count_once_across_servers() {
    let Some(url) = postgres_url("code_failures_lock_outs_and_send_windows_count_once") else {
        return;
    };
    let gateway = SmsGateway::start().await;
    let deployment = Deployment::start(
        &url,
        3,
        &[
            ("KEYCADENCE_SMS_BASE_URL", &gateway.base),
            ("KEYCADENCE_OTP_VALIDATIONS_PER_IP_PER_MINUTE", "0"),
            ("KEYCADENCE_OTP_SENDS_PER_IP_PER_MINUTE", "0"),
            ("KEYCADENCE_OTP_SENDS_PER_APP_PER_MINUTE", "0"),
        ],
    )
    .await;
    let apps = sms_app(
        &deployment,
        &["--max-failed-attempts", "3", "--max-sends", "2"],
    );

    // Failures: one code sent, then 12 wrong codes at once over three servers. Each wrong
    // attempt is counted once: 2 answers "invalid" (10), the third failure locks the user
    // (11), the rest find the user locked (12); none fails (contention retried).
    let phone = || TestApp::phone("+15551234567");
    apps[0].send(phone()).await.expect(9, 200);
    let sent = gateway.last_code();
    let wrong = if sent == "000000" { "000001" } else { "000000" };
    let codes = together(12, |i| {
        let app = apps[i % 3].clone_for_task();
        async move { app.validate(phone(), wrong).await.code() }
    })
    .await;
    assert_eq!(
        (count(&codes, 10), count(&codes, 11), count(&codes, 12)),
        (2, 1, 9),
        "{codes:?}"
    );
    // Locked out everywhere, even with the right code.
    for app in &apps {
        assert_eq!(app.validate(phone(), &sent).await.code(), 12);
    }

    // Send window: 2 sends per window; 9 requests at once for another user over three
    // servers. Two are sent, the others refused (13), and the gateway got exactly two texts.
    let other = || TestApp::phone("+15557654321");
    let before = gateway.requests().len();
    let codes = together(9, |i| {
        let app = apps[i % 3].clone_for_task();
        async move { app.send(other()).await.code() }
    })
    .await;
    assert_eq!((count(&codes, 9), count(&codes, 13)), (2, 7), "{codes:?}");
    assert_eq!(
        gateway.requests().len() - before,
        2,
        "texts sent for refused requests"
    );
    deployment.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_limits_are_per_server_and_let_at_most_n_times_through() {
    let Some(url) = postgres_url("flood_limits_are_per_server") else {
        return;
    };
    let deployment = Deployment::start(
        &url,
        3,
        &[("KEYCADENCE_OTP_VALIDATIONS_PER_IP_PER_MINUTE", "2")],
    )
    .await;
    // Failed attempts are not what is counted here: a budget that does not run out.
    let apps = sms_app(&deployment, &["--max-failed-attempts", "1000"]);
    // 30 validations from one address at once, over three servers. Each server lets its own
    // 2 through (to be refused later for their unknown code); the deployment lets 3 x 2.
    let codes = together(30, |i| {
        let app = apps[i % 3].clone_for_task();
        async move {
            app.validate(TestApp::phone("+15551230000"), "123456")
                .await
                .code()
        }
    })
    .await;
    // Refused by a flood limit: 11 (too many attempts); let through: 10 (no such code).
    assert_eq!(
        (count(&codes, 10), count(&codes, 11)),
        (3 * 2, 30 - 3 * 2),
        "{codes:?}"
    );
    deployment.stop().await;
}

impl TestApp {
    /// A copy to move into a task (same application, same server).
    fn clone_for_task(&self) -> TestApp {
        TestApp {
            http: self.http.clone(),
            base: self.base.clone(),
            client_id: self.client_id.clone(),
            application_id: self.application_id.clone(),
            secret: self.secret.clone(),
            reset_token: self.reset_token.clone(),
            key: self.key.clone(),
            v2_key: self.v2_key.clone(),
        }
    }
}
