//! E-mailed codes over SMTP as a real deployment sends them: STARTTLS (or TLS from the first
//! byte, `smtp_tls = tls`), then AUTH, to a real submission server (aiosmtpd) whose certificate
//! comes from a CA the test makes. The server trusts that CA only through its `smtp_ca_file`
//! setting; without it, with the wrong password or with the relay certified for another name,
//! nothing is delivered (code 26).

use std::path::{Path, PathBuf};
use std::process::Command;

use keycadence_server::otp::settings::{SmtpSettings, SmtpTls};

use super::support::*;

const USER: &str = "keycadence-relay";
const PASSWORD: &str = "relay-password-7c1e";

/// A CA and a relay certificate it signed for `relay_name` (DNS:localhost and IP:127.0.0.1,
/// or a name the relay is not reached by), made with the openssl command line.
struct Certificates {
    dir: tempfile::TempDir,
}

impl Certificates {
    fn make(relay_names: &str) -> Certificates {
        let dir = tempfile::tempdir().unwrap();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=keycadence test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=relay",
            "-keyout",
            "relay.key",
            "-out",
            "relay.csr",
        ]);
        std::fs::write(
            dir.path().join("relay.ext"),
            format!("basicConstraints=CA:FALSE\nsubjectAltName={relay_names}\n"),
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "relay.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "relay.ext",
            "-out",
            "relay.pem",
        ]);
        Certificates { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sink(&self, tls: SmtpTls) -> SmtpSink {
        SmtpSink::start_secure(&SmtpSecurity {
            cert_chain: &self.path("relay.pem"),
            key: &self.path("relay.key"),
            user: USER,
            password: PASSWORD,
            implicit_tls: tls == SmtpTls::Tls,
        })
    }
}

/// A server sending through `smtp` with STARTTLS and AUTH.
async fn server(smtp: &SmtpSink, password: &str, ca_file: Option<&Path>) -> TestServer {
    server_over(SmtpTls::Starttls, smtp, password, ca_file).await
}

/// A server sending through `smtp` with `tls` and AUTH.
async fn server_over(
    tls: SmtpTls,
    smtp: &SmtpSink,
    password: &str,
    ca_file: Option<&Path>,
) -> TestServer {
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port: Some(smtp.port),
        tls,
        username: Some(USER.into()),
        password: Some(password.parse().unwrap()),
        ca_file: ca_file.map(Path::to_path_buf),
    };
    let gateways = Gateways {
        smtp_port: None,
        sms_base: "http://127.0.0.1:9".into(),
    };
    TestServer::start_with(gateways, |config| config.otp.smtp = Some(settings)).await
}

#[tokio::test]
async fn codes_are_mailed_over_starttls_with_auth_to_a_relay_of_a_configured_ca() {
    let certificates = Certificates::make("DNS:localhost,IP:127.0.0.1");
    let smtp = certificates.sink(SmtpTls::Starttls);
    let server = server(&smtp, PASSWORD, Some(&certificates.path("ca.pem"))).await;
    a_code_arrives_over_tls_with_auth(&server, &smtp, "starttls").await;
    server.stop().await;
}

/// A code sent through `server` reaches `smtp` over TLS 1.3 as the relay's user, and validates.
async fn a_code_arrives_over_tls_with_auth(server: &TestServer, smtp: &SmtpSink, label: &str) {
    let app = server.email_app(|_| {}).await;
    let user = unique_email(label);
    app.send(TestApp::email(&user))
        .await
        .expect(9, 200)
        .no_otp();
    let mail = smtp.wait_for(&user, 1).await;
    let session: Vec<&str> = mail.lines().take(3).collect();
    assert_eq!(
        session,
        [
            format!("X-Envelope-To: {user}").as_str(),
            "X-Sink-TLS: TLSv1.3",
            format!("X-Sink-Auth: {USER}").as_str()
        ],
        "{mail}"
    );
    app.validate(TestApp::email(&user), &code_in(&mail, 6))
        .await
        .expect(19, 200);
}

#[tokio::test]
async fn nothing_is_delivered_to_an_untrusted_or_misnamed_relay_or_with_a_wrong_password() {
    let certificates = Certificates::make("DNS:localhost,IP:127.0.0.1");
    let smtp = certificates.sink(SmtpTls::Starttls);
    let misnamed = Certificates::make("DNS:mail.example.org");
    let misnamed_smtp = misnamed.sink(SmtpTls::Starttls);
    let refusing = [
        // The built-in roots do not know the test's CA.
        server(&smtp, PASSWORD, None).await,
        server(&smtp, "wrong-password", Some(&certificates.path("ca.pem"))).await,
        // Signed by the trusted CA, but for a name the relay is not reached by.
        server(&misnamed_smtp, PASSWORD, Some(&misnamed.path("ca.pem"))).await,
    ];
    for server in refusing {
        let app = server.email_app(|_| {}).await;
        let user = unique_email("refused");
        app.send(TestApp::email(&user)).await.expect(26, 200);
        server.stop().await;
        assert!(smtp.messages_to(&user).is_empty());
        assert!(misnamed_smtp.messages_to(&user).is_empty());
    }
}

#[tokio::test]
async fn codes_are_mailed_over_implicit_tls_with_auth_and_not_to_an_untrusted_relay() {
    let certificates = Certificates::make("DNS:localhost,IP:127.0.0.1");
    let smtp = certificates.sink(SmtpTls::Tls);
    let ca = certificates.path("ca.pem");
    let server = server_over(SmtpTls::Tls, &smtp, PASSWORD, Some(&ca)).await;
    a_code_arrives_over_tls_with_auth(&server, &smtp, "implicit-tls").await;
    server.stop().await;

    // Without the CA the relay is not trusted: nothing is delivered.
    let server = server_over(SmtpTls::Tls, &smtp, PASSWORD, None).await;
    let app = server.email_app(|_| {}).await;
    let user = unique_email("implicit-refused");
    app.send(TestApp::email(&user)).await.expect(26, 200);
    server.stop().await;
    assert!(smtp.messages_to(&user).is_empty());
}
