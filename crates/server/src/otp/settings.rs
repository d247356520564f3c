//! Configuration of one-time codes (`[otp]` in the config file, flags, `KEYCADENCE_*`
//! variables): the SMTP relay, the SMS gateway, flood limits, and where the key material
//! lives ([`super::keys`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::Deserialize;

use super::keys::{KeyArgs, KeySources, Secret};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same host or network, and tests).
    Off,
    /// STARTTLS upgrade, port 587 by default.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS), port 465 by default.
    Tls,
}

/// The `[otp]` settings as flags or environment variables (over the file's [`OtpFile`]).
#[derive(Clone, Debug, Default, Args)]
pub struct OtpArgs {
    #[command(flatten)]
    pub keys: KeyArgs,
    /// SMTP relay for e-mailed codes; without it applications have no e-mail gateway.
    #[arg(long, env = "KEYCADENCE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port (default 587 with STARTTLS, 465 with TLS, 25 without).
    #[arg(long, env = "KEYCADENCE_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    #[arg(long, env = "KEYCADENCE_SMTP_TLS")]
    pub smtp_tls: Option<SmtpTls>,
    #[arg(long, env = "KEYCADENCE_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "KEYCADENCE_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<Secret>,
    /// DEVELOPMENT ONLY: write e-mails as .eml files into this folder instead of sending them
    /// (the demo's outbox). Refused with an SMTP relay, and unless the server listens on a
    /// loopback address: anyone who can read the folder has every user's codes.
    #[arg(long, env = "KEYCADENCE_EMAIL_OUTBOX")]
    pub email_outbox: Option<std::path::PathBuf>,
    /// PEM file of the certificate authorities the SMTP relay's certificate must chain to,
    /// trusted instead of the built-in Mozilla roots (a relay certified by a private CA).
    /// The certificate is verified either way, host name included.
    #[arg(long, env = "KEYCADENCE_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// Base URL of the Twilio-compatible SMS API (default `https://api.twilio.com`).
    #[arg(long, env = "KEYCADENCE_SMS_BASE_URL")]
    pub sms_base_url: Option<String>,
    /// Seconds an SMTP or SMS delivery may take before it counts as failed (code 26).
    #[arg(long, env = "KEYCADENCE_DELIVERY_TIMEOUT_SECONDS")]
    pub delivery_timeout_seconds: Option<u64>,
    /// argon2id memory (KiB) per backup-code hash; OWASP's 19 MiB by default.
    #[arg(long, env = "KEYCADENCE_BACKUP_CODE_MEMORY_KIB")]
    pub backup_code_memory_kib: Option<u32>,
    /// Codes sent per Verify application per minute (code 13 beyond); 0 = unlimited.
    #[arg(long, env = "KEYCADENCE_OTP_SENDS_PER_APP_PER_MINUTE")]
    pub sends_per_app_per_minute: Option<u32>,
    /// Codes sent per client address per minute (code 13 beyond); 0 = unlimited.
    #[arg(long, env = "KEYCADENCE_OTP_SENDS_PER_IP_PER_MINUTE")]
    pub sends_per_ip_per_minute: Option<u32>,
    /// Codes sent by SMS per Verify application per hour (code 13 beyond); 0 = unlimited.
    #[arg(long, env = "KEYCADENCE_OTP_SMS_PER_APP_PER_HOUR")]
    pub sms_per_app_per_hour: Option<u32>,
    /// Code validations per client address per minute (code 11 beyond); 0 = unlimited.
    #[arg(long, env = "KEYCADENCE_OTP_VALIDATIONS_PER_IP_PER_MINUTE")]
    pub validations_per_ip_per_minute: Option<u32>,
}

/// The `[otp]` table of the config file (the flags' [`OtpArgs`] take precedence): the same
/// settings, described there.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpFile {
    pub data_dir: Option<PathBuf>,
    pub otp_pepper: Option<Secret>,
    pub at_rest_key: Option<Secret>,
    pub previous_at_rest_keys: Option<Vec<Secret>>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_tls: Option<SmtpTls>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    pub email_outbox: Option<std::path::PathBuf>,
    pub smtp_ca_file: Option<PathBuf>,
    pub sms_base_url: Option<String>,
    pub delivery_timeout_seconds: Option<u64>,
    pub backup_code_memory_kib: Option<u32>,
    pub sends_per_app_per_minute: Option<u32>,
    pub sends_per_ip_per_minute: Option<u32>,
    pub sms_per_app_per_hour: Option<u32>,
    pub validations_per_ip_per_minute: Option<u32>,
}

/// Flood limits of the Verify endpoints (0 = unlimited). The defaults let a small site send a
/// code a second and validate two a second, and cap what SMS pumping can cost in an hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodSettings {
    pub sends_per_app_per_minute: u32,
    pub sends_per_ip_per_minute: u32,
    pub sms_per_app_per_hour: u32,
    pub validations_per_ip_per_minute: u32,
}

impl Default for FloodSettings {
    fn default() -> Self {
        FloodSettings {
            sends_per_app_per_minute: 60,
            sends_per_ip_per_minute: 20,
            sms_per_app_per_hour: 100,
            validations_per_ip_per_minute: 120,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: Option<u16>,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Certificate authorities trusted for the relay instead of the built-in roots.
    pub ca_file: Option<PathBuf>,
}

/// The resolved `[otp]` settings of a running server.
#[derive(Clone, Debug)]
pub struct OtpSettings {
    pub keys: KeySources,
    /// `None`: no SMTP relay, so no e-mail gateway (code 132).
    pub smtp: Option<SmtpSettings>,
    /// Development: e-mails written to this folder instead of sent.
    pub email_outbox: Option<std::path::PathBuf>,
    pub sms_base_url: String,
    pub delivery_timeout: Duration,
    pub backup_code_memory_kib: u32,
    pub floods: FloodSettings,
}

pub const DEFAULT_SMS_BASE_URL: &str = "https://api.twilio.com";

impl Default for OtpSettings {
    fn default() -> Self {
        OtpSettings {
            keys: KeySources::default(),
            smtp: None,
            email_outbox: None,
            sms_base_url: DEFAULT_SMS_BASE_URL.to_string(),
            delivery_timeout: Duration::from_secs(10),
            backup_code_memory_kib: keycadence_otp::BackupHashCost::default().memory_kib,
            floods: FloodSettings::default(),
        }
    }
}

impl OtpSettings {
    /// Flags and environment (`args`) over the file over the defaults.
    pub fn resolve(args: OtpArgs, file: OtpFile) -> OtpSettings {
        let d = OtpSettings::default();
        let pick =
            |flag: Option<u32>, file: Option<u32>, default: u32| flag.or(file).unwrap_or(default);
        let keys = args.keys.sources(&file);
        let smtp = args.smtp_host.or(file.smtp_host).map(|host| SmtpSettings {
            host,
            port: args.smtp_port.or(file.smtp_port),
            tls: args.smtp_tls.or(file.smtp_tls).unwrap_or_default(),
            username: args.smtp_username.or(file.smtp_username),
            password: args.smtp_password.or(file.smtp_password),
            ca_file: args.smtp_ca_file.or(file.smtp_ca_file),
        });
        OtpSettings {
            keys,
            smtp,
            email_outbox: args.email_outbox.or(file.email_outbox),
            sms_base_url: args
                .sms_base_url
                .or(file.sms_base_url)
                .unwrap_or(d.sms_base_url),
            delivery_timeout: args
                .delivery_timeout_seconds
                .or(file.delivery_timeout_seconds)
                .map_or(d.delivery_timeout, Duration::from_secs),
            backup_code_memory_kib: args
                .backup_code_memory_kib
                .or(file.backup_code_memory_kib)
                .unwrap_or(d.backup_code_memory_kib),
            floods: FloodSettings {
                sends_per_app_per_minute: pick(
                    args.sends_per_app_per_minute,
                    file.sends_per_app_per_minute,
                    d.floods.sends_per_app_per_minute,
                ),
                sends_per_ip_per_minute: pick(
                    args.sends_per_ip_per_minute,
                    file.sends_per_ip_per_minute,
                    d.floods.sends_per_ip_per_minute,
                ),
                sms_per_app_per_hour: pick(
                    args.sms_per_app_per_hour,
                    file.sms_per_app_per_hour,
                    d.floods.sms_per_app_per_hour,
                ),
                validations_per_ip_per_minute: pick(
                    args.validations_per_ip_per_minute,
                    file.validations_per_ip_per_minute,
                    d.floods.validations_per_ip_per_minute,
                ),
            },
        }
    }
}
