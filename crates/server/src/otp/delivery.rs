//! Delivery of Verify codes: e-mail through the configured SMTP relay (lettre), SMS through a
//! Twilio-compatible REST API (`POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, form
//! `To`, `From`, `Body`, HTTP Basic `sid:token`). A failure here answers code 26 and leaves the
//! stored code state untouched.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::settings::{OtpSettings, SmtpSettings, SmtpTls};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("invalid SMTP relay {host:?}: {source}")]
    SmtpRelay {
        host: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("SMTP CA file {path}: {reason}")]
    SmtpCaFile { path: String, reason: String },
    #[error("an SMTP CA file needs smtp_tls starttls or tls")]
    SmtpCaWithoutTls,
    #[error("invalid SMS gateway base URL {0:?}: it must start with http:// or https://")]
    SmsBaseUrl(String),
    #[error("cannot build the SMS HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("no SMTP relay is configured")]
    NoSmtpRelay,
    #[error("the sender address {0:?} is not an e-mail address")]
    BadSender(String),
    #[error("the recipient address is not deliverable by SMTP")]
    BadRecipient,
    #[error("cannot build the message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the SMS gateway answered HTTP {status}: {message}")]
    SmsRejected { status: u16, message: String },
    #[error("the SMS gateway could not be reached: {0}")]
    SmsTransport(#[source] reqwest::Error),
    #[error("--email-outbox and an SMTP relay exclude each other")]
    OutboxAndSmtp,
    #[error("cannot write to the e-mail outbox {path}: {source}")]
    Outbox {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An application's SMS account at the gateway.
pub struct SmsAccount<'a> {
    pub account_sid: &'a str,
    pub auth_token: &'a str,
    pub from: &'a str,
}

/// An e-mail to send.
pub struct Email<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: String,
}

pub struct Delivery {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    /// Development: e-mails written here as `.eml` files instead of sent.
    outbox: Option<std::path::PathBuf>,
    http: reqwest::Client,
    sms_base_url: String,
}

impl Delivery {
    pub fn new(settings: &OtpSettings) -> Result<Delivery, DeliveryError> {
        let smtp = settings
            .smtp
            .as_ref()
            .map(|smtp| smtp_transport(smtp, settings.delivery_timeout))
            .transpose()?;
        if smtp.is_some() && settings.email_outbox.is_some() {
            return Err(DeliveryError::OutboxAndSmtp);
        }
        if let Some(outbox) = &settings.email_outbox {
            std::fs::create_dir_all(outbox).map_err(|source| DeliveryError::Outbox {
                path: outbox.clone(),
                source,
            })?;
        }
        let base = settings.sms_base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(DeliveryError::SmsBaseUrl(base));
        }
        let http = reqwest::Client::builder()
            .timeout(settings.delivery_timeout)
            .build()
            .map_err(DeliveryError::HttpClient)?;
        Ok(Delivery {
            smtp,
            outbox: settings.email_outbox.clone(),
            http,
            sms_base_url: base,
        })
    }

    /// Whether e-mail can be delivered: an SMTP relay, or the development outbox (else no
    /// application has an e-mail gateway).
    pub fn has_smtp(&self) -> bool {
        self.smtp.is_some() || self.outbox.is_some()
    }

    pub async fn email(&self, email: Email<'_>) -> Result<(), DeliveryError> {
        let from: Mailbox = email
            .from
            .parse()
            .map_err(|_| DeliveryError::BadSender(email.from.to_string()))?;
        let to: Mailbox = email.to.parse().map_err(|_| DeliveryError::BadRecipient)?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.body)?;
        if let Some(outbox) = &self.outbox {
            return write_to_outbox(outbox, &message.formatted()).await;
        }
        let transport = self.smtp.as_ref().ok_or(DeliveryError::NoSmtpRelay)?;
        transport.send(message).await?;
        Ok(())
    }

    pub async fn sms(
        &self,
        account: &SmsAccount<'_>,
        to: &str,
        body: &str,
    ) -> Result<(), DeliveryError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.sms_base_url, account.account_sid
        );
        let response = self
            .http
            .post(url)
            .basic_auth(account.account_sid, Some(account.auth_token))
            .form(&[("To", to), ("From", account.from), ("Body", body)])
            .send()
            .await
            .map_err(DeliveryError::SmsTransport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // Twilio explains a refusal in a JSON `message`; keep it for the log.
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| text.chars().take(200).collect());
        Err(DeliveryError::SmsRejected {
            status: status.as_u16(),
            message,
        })
    }
}

/// Writes one message as `<unix millis>-<random>.eml` (names sort by time).
async fn write_to_outbox(outbox: &std::path::Path, message: &[u8]) -> Result<(), DeliveryError> {
    let millis = crate::db::now_millis();
    let name = format!("{millis:013}-{:08x}.eml", rand::random::<u32>());
    let path = outbox.join(name);
    tokio::fs::write(&path, message)
        .await
        .map_err(|source| DeliveryError::Outbox { path, source })
}

fn smtp_transport(
    smtp: &SmtpSettings,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
    let relay_error = |source| DeliveryError::SmtpRelay {
        host: smtp.host.clone(),
        source,
    };
    let mut builder = match smtp.tls {
        SmtpTls::Off => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host).port(25)
        }
        SmtpTls::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(relay_error)?
        }
        SmtpTls::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(relay_error)?
        }
    };
    if let Some(path) = &smtp.ca_file {
        // The setting that cannot work is named before the file is read.
        let tls: fn(TlsParameters) -> Tls = match smtp.tls {
            SmtpTls::Off => return Err(DeliveryError::SmtpCaWithoutTls),
            SmtpTls::Starttls => Tls::Required,
            SmtpTls::Tls => Tls::Wrapper,
        };
        builder = builder.tls(tls(tls_trusting(&smtp.host, path)?));
    }
    if let Some(port) = smtp.port {
        builder = builder.port(port);
    }
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    Ok(builder.timeout(Some(timeout)).build())
}

/// TLS parameters for `host` that trust only the certificate authorities in the PEM file at
/// `path` (the relay's certificate and host name are still verified against them).
fn tls_trusting(host: &str, path: &std::path::Path) -> Result<TlsParameters, DeliveryError> {
    let ca_error = |reason: String| DeliveryError::SmtpCaFile {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(ca_error("no PEM certificate in it".into()));
    }
    let certificate = Certificate::from_pem(&pem).map_err(|e| ca_error(e.to_string()))?;
    TlsParameters::builder(host.to_string())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(certificate)
        .build()
        .map_err(|e| ca_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ca_file(tls: SmtpTls, ca_file: &std::path::Path) -> OtpSettings {
        OtpSettings {
            smtp: Some(SmtpSettings {
                host: "127.0.0.1".into(),
                port: Some(2525),
                tls,
                username: None,
                password: None,
                ca_file: Some(ca_file.to_path_buf()),
            }),
            ..OtpSettings::default()
        }
    }

    /// The error a server refuses to start with, as its operator reads it.
    fn start_error(settings: &OtpSettings) -> String {
        match Delivery::new(settings) {
            Ok(_) => panic!("a server starts with {:?}", settings.smtp),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn a_ca_file_that_cannot_be_read_or_holds_no_certificate_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let error = start_error(&with_ca_file(SmtpTls::Starttls, &missing));
        assert!(
            error.starts_with(&format!("SMTP CA file {}: ", missing.display())),
            "{error}"
        );
        let key_only = dir.path().join("key.pem");
        std::fs::write(
            &key_only,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        for tls in [SmtpTls::Starttls, SmtpTls::Tls] {
            assert_eq!(
                start_error(&with_ca_file(tls, &key_only)),
                format!(
                    "SMTP CA file {}: no PEM certificate in it",
                    key_only.display()
                )
            );
        }
        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = start_error(&with_ca_file(SmtpTls::Starttls, &broken));
        assert!(
            error.starts_with(&format!("SMTP CA file {}: ", broken.display())),
            "{error}"
        );
    }

    #[test]
    fn a_ca_file_without_tls_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            start_error(&with_ca_file(SmtpTls::Off, &dir.path().join("ca.pem"))),
            "an SMTP CA file needs smtp_tls starttls or tls"
        );
    }
}
