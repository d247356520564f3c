//! Attacks on the server's resources and limits over real connections: made-up methods against
//! the metrics, slow clients against the connection slots, spoofed `X-Forwarded-For` against
//! the per-IP limit, oversized `/match` calls, a flood of wrong secrets against argon2, and key
//! files left beside the database.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Client, TestServer, Typist};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_keycadence-server");

/// Upper bound for waits that must end by themselves (far above the timeouts under test), so
/// that a server that never reacts fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);

async fn metrics_lines(base: &str) -> (usize, String) {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (text.lines().count(), text)
}

#[tokio::test]
async fn made_up_methods_do_not_grow_the_metrics() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/healthz", server.base);
    let send = move |method: String| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            http.request(method, url).send().await.unwrap().status()
        }
    };
    // Every series the requests below can touch exists before the measurement.
    send("WARMUP".to_string()).await;
    metrics_lines(&server.base).await;
    let (before, _) = metrics_lines(&server.base).await;

    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let send = send.clone();
        tasks.spawn(async move {
            for n in 0..1250 {
                let status = send(format!("X{worker}M{n}")).await;
                assert_eq!(status, 405);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let (after, text) = metrics_lines(&server.base).await;
    assert_eq!(after, before, "10,000 made-up methods added metric lines");
    assert!(text.contains(r#"method="other""#), "{text}");
    assert!(!text.contains("X0M1"), "a made-up method became a label");
    server.stop().await;
}

#[tokio::test]
async fn spoofed_forwarded_for_entries_do_not_escape_the_per_ip_limit() {
    let server = TestServer::start_with(|c| {
        c.trusted_proxy_hops = 1;
        c.ip_requests_per_second = 2;
    })
    .await;
    let c = server.client(&[]).await;
    // The client writes a new address of its own each time; our proxy appends the one it saw.
    let mut limited = 0;
    for n in 0..10 {
        let forwarded = format!("10.0.{n}.1, 198.51.100.7");
        let reply = Client::send(
            c.request(reqwest::Method::GET, "/quote")
                .header("x-forwarded-for", forwarded),
        )
        .await;
        if reply.status == 452 {
            assert_eq!(reply.code(), 43);
            assert!(reply.headers.contains_key("retry-after"));
            limited += 1;
        }
    }
    assert!(limited >= 7, "only {limited} of 10 were limited");
    // Another client behind the same proxy has its own budget.
    let other = Client::send(
        c.request(reqwest::Method::GET, "/quote")
            .header("x-forwarded-for", "10.0.0.1, 203.0.113.9"),
    )
    .await;
    assert_eq!(other.status, 200, "{}", other.body);
    server.stop().await;
}

/// Reads until the server closes the connection; the bytes read and how long that took.
async fn read_until_closed(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server kept the connection open for {PATIENCE:?}"
    );
    (received, started.elapsed())
}

#[tokio::test]
async fn clients_that_stop_in_the_request_line_or_send_nothing_are_disconnected() {
    let server = TestServer::start_with(|c| c.header_read_timeout_seconds = 1).await;
    let address = server.base.trim_start_matches("http://").to_string();
    let mut half = TcpStream::connect(&address).await.unwrap();
    half.write_all(b"GET /heal").await.unwrap();
    let mut silent = TcpStream::connect(&address).await.unwrap();
    let (_, took) = read_until_closed(&mut half).await;
    eprintln!("half a request line: disconnected after {took:?} (header timeout 1 s)");
    let (_, took) = read_until_closed(&mut silent).await;
    eprintln!("a connection that sends nothing: disconnected {took:?} later");
    // The server still serves others.
    assert_eq!(
        server.get_json("/healthz").await["status"],
        "ok",
        "healthy after dropping the slow client"
    );
    server.stop().await;
}

/// Sends `head`, then the body one byte every 100 ms (each arrives well within any per-read
/// timeout, the whole never), and returns what the server answered, read until `marker`.
async fn answer_to_a_dribbled_body(address: &str, head: &str, marker: &[u8]) -> String {
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    let dribble = tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(100));
        loop {
            interval.tick().await;
            if writer.write_all(b"a").await.is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let answered = tokio::time::timeout(PATIENCE, async {
        while !answer.windows(marker.len()).any(|w| w == marker) {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    dribble.abort();
    assert!(answered.is_ok(), "no answer within {PATIENCE:?}");
    eprintln!(
        "dribbled body: answered after {:?} (body timeout 1 s)",
        started.elapsed()
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_dribbled_body_is_answered_with_31_when_its_time_is_up() {
    let server = TestServer::start_with(|c| c.body_read_timeout_seconds = 1).await;
    let c = server.client(&[]).await;
    let address = server.base.trim_start_matches("http://").to_string();
    let auth = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.key, c.secret))
    };
    let head = format!(
        "POST /match HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\ntp1="
    );
    let answer = answer_to_a_dribbled_body(&address, &head, b"\"message_code\":").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""message_code":31"#), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn a_dribbled_verify_body_is_answered_in_the_verify_shape() {
    let server = TestServer::start_with(|c| c.body_read_timeout_seconds = 1).await;
    let address = server.base.trim_start_matches("http://").to_string();
    let head = format!(
        "POST /otp/send HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: 100000\r\n\r\n{{\"payload\":\""
    );
    let answer = answer_to_a_dribbled_body(&address, &head, b"\"message\":").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""code":104"#), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn match_obeys_the_tenants_pattern_cap() {
    let server = TestServer::start().await;
    let mut alice = Typist::new(7);
    let two = format!("{};{}", alice.same_text(), alice.same_text());
    let one = alice.same_text();
    let capped = server.client(&["max_patterns_per_verify=1"]).await;
    for (tp1, tp2) in [(two.as_str(), one.as_str()), (one.as_str(), two.as_str())] {
        let refused = capped.post("/match", &[("tp1", tp1), ("tp2", tp2)]).await;
        assert_eq!(
            (refused.status, refused.code()),
            (459, 56),
            "{}",
            refused.body
        );
    }
    let roomy = server.client(&["max_patterns_per_verify=2"]).await;
    let compared = roomy.post("/match", &[("tp1", &two), ("tp2", &one)]).await;
    assert_eq!(compared.code(), 1, "{}", compared.body);
    assert!(compared.body["score"].is_number(), "{}", compared.body);
    server.stop().await;
}

/// The binary, serving: the child and the address it listens on. `log` receives every line
/// the server writes to stderr until it listens.
fn start_binary(db: &str, envs: &[(&str, &str)], log: &mut Vec<String>) -> (Child, String) {
    let mut command = Command::new(BIN);
    command
        .args(["--database-url", db, "serve", "--listen", "127.0.0.1:0"])
        .args(["--log-format", "json"])
        .env_remove("KEYCADENCE_AT_REST_KEY")
        .env_remove("KEYCADENCE_OTP_PEPPER")
        .env_remove("KEYCADENCE_DATA_DIR")
        .envs(envs.iter().copied())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server exited before listening")
            .unwrap();
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        log.push(line);
        if let Some(address) = entry["fields"]["address"].as_str() {
            break address.to_string();
        }
    };
    // Keep draining stderr so that the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, address)
}

fn stop_binary(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn key_files_beside_the_database_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("kc.db").display());
    let beside = |log: &[String], what: &str| {
        log.iter().any(|line| {
            line.contains("WARN")
                && line.contains(&format!("the {what} is kept beside the database"))
        })
    };
    // First start: generated; second start: read back. Both warn, naming the way out.
    for start in ["first", "second"] {
        let mut log = Vec::new();
        let (child, _) = start_binary(&db, &[], &mut log);
        stop_binary(child);
        for what in ["OTP pepper", "at-rest key"] {
            assert!(beside(&log, what), "{start} start, {what}: {log:#?}");
        }
        assert!(log.iter().any(|l| l.contains("KEYCADENCE_AT_REST_KEY")));
    }
    // Keys from the environment (a secret store): no warning.
    let mut log = Vec::new();
    let key = "ab".repeat(32);
    let (child, _) = start_binary(
        &db,
        &[
            ("KEYCADENCE_AT_REST_KEY", &key),
            ("KEYCADENCE_OTP_PEPPER", &key),
        ],
        &mut log,
    );
    stop_binary(child);
    assert!(
        !log.iter().any(|l| l.contains("beside the database")),
        "{log:#?}"
    );
}

fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// 500 wrong secrets for one key at once, against the binary with a key made by `keys
/// create` (argon2id at its full cost), while a client with the right secret keeps calling.
/// Prints the right client's latencies and the server's peak memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_wrong_secrets_runs_argon2_only_within_the_keys_budget() {
    const FLOOD: usize = 500;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("kc.db").display());
    let created = Command::new(BIN)
        .args(["--database-url", &db, "keys", "create", "--tenant", "acme"])
        .output()
        .unwrap();
    assert!(created.status.success());
    let (key, secret) = common::created_key_pair(&String::from_utf8(created.stdout).unwrap());
    let mut log = Vec::new();
    let (child, address) = start_binary(&db, &[], &mut log);
    let base = format!("http://{address}");
    let right = Client::new(&base, &key, &secret);
    // The right secret verifies once; from then on its digest is known.
    assert_eq!(right.get("/quote").await.status, 200);
    let before_kib = peak_memory_kib(child.id());

    let flood_http = reqwest::Client::new();
    let flood: Vec<_> = (0..FLOOD)
        .map(|n| {
            let wrong = Client {
                http: flood_http.clone(),
                ..right.with_secret(&format!("wrong-{n}"))
            };
            tokio::spawn(async move { wrong.get("/quote").await })
        })
        .collect();
    let flood = tokio::spawn(async move {
        let mut replies = Vec::new();
        for task in flood {
            replies.push(task.await.unwrap());
        }
        replies
    });
    let mut latencies = Vec::new();
    while !flood.is_finished() || latencies.len() < 50 {
        let started = Instant::now();
        let reply = right.get("/quote").await;
        latencies.push(started.elapsed());
        assert_eq!(
            reply.status, 200,
            "a right-secret call failed: {}",
            reply.body
        );
    }
    let replies = flood.await.unwrap();
    let peak_kib = peak_memory_kib(child.id());
    stop_binary(child);

    let checked = replies.iter().filter(|r| r.code() == 32).count();
    let over_budget = replies.iter().filter(|r| r.code() == 52).count();
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    eprintln!(
        "{FLOOD} wrong secrets: {checked} checked (32), {over_budget} over budget (52); \
         {} right-secret calls meanwhile, p50 {:?}, p99 {p99:?}, max {:?}; \
         server VmHWM {} MiB before the flood, {} MiB after",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
        before_kib / 1024,
        peak_kib / 1024,
    );
    assert_eq!(
        checked + over_budget,
        FLOOD,
        "every wrong secret is refused"
    );
    for reply in replies.iter().filter(|r| r.code() == 52) {
        assert_eq!(reply.status, 429);
        assert!(reply.headers.contains_key("retry-after"));
    }
    // The default budget is 20 checks a minute (one more may have refilled meanwhile); one
    // went to the right secret.
    assert!(checked <= 21, "argon2 ran for {checked} wrong secrets");
}
