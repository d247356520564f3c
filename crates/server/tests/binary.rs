//! The `keycadence-server` binary as an operator runs it: key administration, a first start that
//! creates the SQLite file, request logs without secrets, and a SIGTERM that lets the request
//! in flight finish.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Typist, TEXT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_keycadence-server");

fn cli(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(["--database-url", db])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn keys_are_administered_and_sigterm_finishes_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("fresh.db");
    let db = format!("sqlite:{}", db_path.display());
    assert!(!db_path.exists());

    let (ok, out, _) = cli(
        &db,
        &["keys", "create", "--tenant", "acme", "--label", "ci"],
    );
    assert!(
        ok && db_path.exists(),
        "the database is created and migrated on first use"
    );
    let (key, secret) = common::created_key_pair(&out);
    let (ok, list, _) = cli(&db, &["keys", "list"]);
    assert!(ok && list.contains(&key) && list.contains("acme") && list.contains("active"));
    assert!(!list.contains(&secret), "secrets are never listed");
    let (ok, settings, _) = cli(
        &db,
        &[
            "keys",
            "set",
            &key,
            "min_initial_enrollments=2",
            "auto_enroll=false",
        ],
    );
    assert!(
        ok && settings.contains("\"min_initial_enrollments\": 2"),
        "{settings}"
    );
    let (ok, _, err) = cli(&db, &["keys", "set", &key, "no_such_setting=1"]);
    assert!(!ok && err.contains("no_such_setting"), "{err}");
    let (ok, _, err) = cli(&db, &["keys", "revoke", "not-a-key"]);
    assert!(!ok && err.contains("not-a-key"));

    let mut server = Command::new(BIN)
        .args([
            "--database-url",
            &db,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    let address = loop {
        line.clear();
        assert!(
            log.read_line(&mut line).unwrap() > 0,
            "server exited before listening"
        );
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(address) = entry["fields"]["address"].as_str() {
            break address.to_string();
        }
    };
    let client = common::Client::new(&format!("http://{address}"), &key, &secret);
    let mut typist = Typist::new(3);
    let tp = typist.type_text(TEXT, 1);
    assert_eq!(client.save("user-0001-alice", &tp).await.code(), 1);

    // A request whose body is still arriving when SIGTERM comes.
    let body = format!("tp={}", typist.type_text(TEXT, 1).replace('|', "%7C"));
    let auth = errors_base64(&key, &secret);
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /save/user-0001-alice HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&body.as_bytes()[..20]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    slow.write_all(&body.as_bytes()[20..]).await.unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""message_code":1"#), "{answer}");

    let status = tokio::task::spawn_blocking(move || server.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut log, &mut rest).unwrap();
    let all = format!("{line}{rest}");
    assert!(
        all.contains("\"route\":\"/save\""),
        "request lines are logged: {all}"
    );
    assert!(all.contains("shutting down"));
    assert!(!all.contains(&secret), "the secret is never logged");
    assert!(!all.contains(&tp[..60]), "patterns are never logged");
    assert!(
        tokio::net::TcpStream::connect(&address).await.is_err(),
        "no longer listening"
    );
}

fn errors_base64(key: &str, secret: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))
}
