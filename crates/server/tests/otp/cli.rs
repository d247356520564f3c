//! The `keycadence-server` binary as an operator runs it for one-time codes: a first start that
//! generates the key files and says so, `apps create/list/revoke`, and the server opening what
//! the command line sealed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use keycadence_otp::{UnixMillis, VerifyPayload};
use serde_json::json;

use super::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_keycadence-server");

pub(super) fn cli(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(["--database-url", db])
        .args(args)
        .env_remove("KEYCADENCE_AT_REST_KEY")
        .env_remove("KEYCADENCE_OTP_PEPPER")
        .env_remove("KEYCADENCE_DATA_DIR")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(super) fn field(out: &str, name: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.trim().to_string())
}

pub(super) struct Served {
    child: std::process::Child,
    pub(super) base: String,
    pub(super) log: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` and reads its log up to the line saying where it listens.
fn serve(db: &str) -> Served {
    serve_with(db, &[])
}

/// Starts `serve` with `extra` flags.
pub(super) fn serve_with(db: &str, extra: &[&str]) -> Served {
    let child = Command::new(BIN)
        .args(["--database-url", db, "serve", "--listen", "127.0.0.1:0"])
        .args(["--auth-cache-seconds", "0", "--log-format", "json"])
        .args(extra)
        .env_remove("KEYCADENCE_AT_REST_KEY")
        .env_remove("KEYCADENCE_OTP_PEPPER")
        .env_remove("KEYCADENCE_DATA_DIR")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut served = Served {
        child,
        base: String::new(),
        log: String::new(),
    };
    let mut reader = BufReader::new(served.child.stderr.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the server exited before listening: {}",
            served.log
        );
        served.log.push_str(&line);
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(address) = entry["fields"]["address"].as_str() {
            served.base = format!("http://{address}");
            // Keep draining the log so the server never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
            return served;
        }
    }
}

#[tokio::test]
async fn apps_are_created_listed_revoked_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("apps.db").display());

    // First start: no keys configured, so both are generated into the data directory (the
    // database's directory) and the log says so.
    let server = serve(&db);
    assert!(
        server.log.contains("generated the OTP pepper"),
        "{}",
        server.log
    );
    assert!(
        server.log.contains("generated the at-rest key"),
        "{}",
        server.log
    );
    let pepper = std::fs::read_to_string(dir.path().join("otp-pepper")).unwrap();
    let at_rest = std::fs::read_to_string(dir.path().join("at-rest-key")).unwrap();
    assert_eq!(pepper.trim().len(), 64);
    assert_eq!(at_rest.trim().len(), 64);
    assert!(!server.log.contains(pepper.trim()) && !server.log.contains(at_rest.trim()));

    let (ok, out, err) = cli(
        &db,
        &[
            "apps",
            "create",
            "--domain",
            "Example.com",
            "--email-from",
            "codes@example.com",
        ],
    );
    assert!(ok, "{err}");
    assert!(!err.contains("Generated"), "the keys exist already: {err}");
    let client_id = field(&out, "clientId:").unwrap();
    let application_id = field(&out, "applicationId:").unwrap();
    let secret = field(&out, "secret:").unwrap();
    let reset_token = field(&out, "resetToken:").unwrap();
    assert_eq!(client_id.len(), 32);
    assert_eq!(application_id.len(), 32);
    assert_ne!(secret, reset_token);

    // A second application of the same client shares the secret and prints none.
    let (ok, out, err) = cli(
        &db,
        &[
            "apps",
            "create",
            "--domain",
            "shop.example.com",
            "--client-id",
            &client_id,
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(field(&out, "secret:"), None);
    let second_app = field(&out, "applicationId:").unwrap();

    for (args, expected) in [
        (
            vec!["--domain", "a.example", "--client-id", "nope"],
            "no Verify client",
        ),
        (vec!["--domain", "bad domain"], "not a host name"),
        (
            vec!["--domain", "a.example", "--sms-account-sid", "AC1"],
            "go together",
        ),
        (
            vec!["--domain", "a.example", "--email-from", "nobody"],
            "not an e-mail address",
        ),
        (
            vec!["--domain", "a.example", "--code-length", "3"],
            "code length 3",
        ),
    ] {
        let mut full = vec!["apps", "create"];
        full.extend(args);
        let (ok, _, err) = cli(&db, &full);
        assert!(!ok && err.contains(expected), "{full:?}: {err}");
    }

    let (ok, list, _) = cli(&db, &["apps", "list"]);
    assert!(ok);
    assert!(list.contains(&application_id) && list.contains(&second_app));
    assert!(list.contains("example.com") && list.contains("email") && list.contains("active"));
    assert!(!list.contains(&secret) && !list.contains(&reset_token));
    assert_eq!(
        list.lines().count(),
        3,
        "a header and two applications: {list}"
    );

    // The running server opens the secret the command line sealed: the payloads of both
    // applications decrypt (10: no code was sent to this user).
    let http = reqwest::Client::new();
    let v2_payload = |app: &str| {
        keycadence_otp::payload::v2::seal(
            &keycadence_otp::payload::v2::derive_key(&secret, app),
            app,
            keycadence_otp::payload::Purpose::Backend,
            &VerifyPayload {
                ts: Some(UnixMillis(now_ms())),
                ..TestApp::email("alice@example.com")
            },
            &mut rand::rngs::OsRng,
        )
    };
    for app in [&application_id, &second_app] {
        let body = json!({"clientId": client_id, "applicationId": app,
                          "payload": v2_payload(app), "version": "2.0", "code": "123456"});
        post_json(&http, &format!("{}/otp/validate", server.base), &body)
            .await
            .expect(10, 200);
    }

    let (ok, out, _) = cli(&db, &["apps", "revoke", &application_id]);
    assert!(ok && out.contains(&application_id));
    let (_, list, _) = cli(&db, &["apps", "list"]);
    assert!(list.contains("revoked"));
    let body = json!({"clientId": client_id, "applicationId": application_id,
                      "payload": v2_payload(&application_id), "version": "2.0"});
    post_json(&http, &format!("{}/otp/send", server.base), &body)
        .await
        .expect(106, 400);
    let (ok, _, err) = cli(&db, &["apps", "revoke", "not-an-app"]);
    assert!(!ok && err.contains("not-an-app"));
    drop(server);

    // The command line, run first in a fresh place, generates the keys itself and says so.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_db = format!("sqlite:{}", fresh.path().join("k.db").display());
    let (ok, _, err) = cli(&fresh_db, &["apps", "create", "--domain", "example.org"]);
    assert!(ok && err.contains("Generated the at-rest key"), "{err}");
    assert!(fresh.path().join("at-rest-key").exists());
}
