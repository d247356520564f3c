//! Command line and configuration: flags, `KEYCADENCE_*` environment variables and an optional
//! TOML file, in that order of precedence, then built-in defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

#[derive(Debug, Parser)]
#[command(
    name = "keycadence-server",
    version,
    about = "Self-hosted, TypingDNA-compatible typing-biometrics API"
)]
pub struct Cli {
    /// TOML file with any of the `serve` settings (flags and environment take precedence).
    #[arg(long, global = true, env = "KEYCADENCE_CONFIG")]
    pub config: Option<PathBuf>,
    /// sqlite:PATH (created on first start) or postgres://user:password@host/db.
    #[arg(long, global = true, env = "KEYCADENCE_DATABASE_URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

// One command is parsed once per process: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server.
    Serve(ServeArgs),
    /// Create, list and revoke API keys and change their tenant's settings.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the OpenAPI description of the API.
    Openapi,
    /// Create, list and revoke Verify 2FA applications (one-time codes).
    #[command(subcommand)]
    Apps(crate::cli::apps::AppsCommand),
    /// Enable sign-in second factors for an application and set its policy.
    #[command(subcommand)]
    Signin(crate::cli::signin::SigninCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; the secret is printed once and only its argon2 hash is stored.
    Create {
        /// Tenant the key belongs to (created with default settings if new). Keys of one
        /// tenant share its users and settings, so a key can be replaced without data loss.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// A note to recognise the key by.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List keys (never secrets).
    List,
    /// Revoke a key: requests with it are refused within the auth cache time.
    Revoke { api_key: String },
    /// Print the settings of the key's tenant as JSON.
    Settings { api_key: String },
    /// Change settings of the key's tenant: `name=value` (for example `auto_enroll=false`).
    Set {
        api_key: String,
        #[arg(required = true)]
        assignments: Vec<String>,
    },
    /// Re-seal every enrolled pattern under the current at-rest key. Give the new key as the
    /// at-rest key and the old ones as previous keys, here and to every server (which keep
    /// serving meanwhile); drop the previous keys once this has finished.
    RotateAtRest {
        #[command(flatten)]
        keys: crate::otp::keys::KeyArgs,
        /// Rows re-sealed per write transaction.
        #[arg(long, default_value_t = 500)]
        batch: u32,
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// `serve` flags; every one may also come from the environment, or the config file
/// ([`ServeFile`]).
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEYCADENCE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Database connections in the pool.
    #[arg(long, env = "KEYCADENCE_MAX_CONNECTIONS")]
    pub max_connections: Option<u32>,
    /// Seconds a request waits for a database connection, also while the database is
    /// unreachable, before it is answered with code 49 (HTTP 503).
    #[arg(long, env = "KEYCADENCE_DATABASE_ACQUIRE_TIMEOUT_SECONDS")]
    pub database_acquire_timeout_seconds: Option<u64>,
    /// Seconds a verified key is trusted before it is re-read (revocation delay).
    #[arg(long, env = "KEYCADENCE_AUTH_CACHE_SECONDS")]
    pub auth_cache_seconds: Option<u64>,
    /// Requests per second from one IP address before authentication; 0 = unlimited.
    #[arg(long, env = "KEYCADENCE_IP_REQUESTS_PER_SECOND")]
    pub ip_requests_per_second: Option<u32>,
    /// Behind one proxy: the same as `--trusted-proxy-hops 1`.
    #[arg(long, env = "KEYCADENCE_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: Option<bool>,
    /// Proxies in front of the server that append to `X-Forwarded-For`: the client address is
    /// the entry this many places from the right (0: the connection's address).
    #[arg(long, env = "KEYCADENCE_TRUSTED_PROXY_HOPS")]
    pub trusted_proxy_hops: Option<u32>,
    /// Seconds a client may take to send a request's headers before it is disconnected (0: no
    /// limit).
    #[arg(long, env = "KEYCADENCE_HEADER_READ_TIMEOUT_SECONDS")]
    pub header_read_timeout_seconds: Option<u64>,
    /// Seconds a client may take to send a request's body after its headers (answered with
    /// code 31 after; 0: no limit).
    #[arg(long, env = "KEYCADENCE_BODY_READ_TIMEOUT_SECONDS")]
    pub body_read_timeout_seconds: Option<u64>,
    /// argon2 secret checks that may run at once (others wait); 0 = one per CPU.
    #[arg(long, env = "KEYCADENCE_MAX_CONCURRENT_SECRET_CHECKS")]
    pub max_concurrent_secret_checks: Option<u32>,
    /// Secret checks per API key and minute that may fail (each costs an argon2 run); past
    /// them, unverified secrets are answered with code 52 and `Retry-After` unchecked.
    #[arg(long, env = "KEYCADENCE_WRONG_SECRETS_PER_KEY_PER_MINUTE")]
    pub wrong_secrets_per_key_per_minute: Option<u32>,
    /// Phrases for `/quote`, one per line as `text|author`; a built-in list otherwise.
    #[arg(long, env = "KEYCADENCE_QUOTES_FILE")]
    pub quotes_file: Option<PathBuf>,
    /// The recorder's classic-script build (the npm package's `keycadence.js`, built by
    /// `npm run build` into pkg/), served at `/scripts/keycadence.js`; not served when unset.
    #[arg(long, env = "KEYCADENCE_RECORDER_SCRIPT")]
    pub recorder_script: Option<PathBuf>,
    /// Answer every API call with code 45 (maintenance); /healthz and /metrics keep working.
    #[arg(long, env = "KEYCADENCE_MAINTENANCE")]
    pub maintenance: Option<bool>,
    /// Log lines as text or JSON.
    #[arg(long, env = "KEYCADENCE_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Seconds to let requests in flight finish after SIGTERM/Ctrl-C.
    #[arg(long, env = "KEYCADENCE_SHUTDOWN_GRACE_SECONDS")]
    pub shutdown_grace_seconds: Option<u64>,
    /// Seconds between retention passes, the first at start (default 3600; 0: none).
    #[arg(long, env = "KEYCADENCE_RETENTION_INTERVAL_SECONDS")]
    pub retention_interval_seconds: Option<u64>,
    /// One-time codes: keys, e-mail and SMS delivery, as flags.
    #[command(flatten, next_help_heading = "One-time codes")]
    pub otp: crate::otp::settings::OtpArgs,
}

/// The config file (TOML): the `serve` settings under the names of their flags (`_` for `-`,
/// see [`ServeArgs`] for what each means), the database URL, and the one-time codes' settings
/// as the `[otp]` table. A key it does not know is an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeFile {
    pub listen: Option<SocketAddr>,
    pub database_url: Option<String>,
    pub max_connections: Option<u32>,
    pub database_acquire_timeout_seconds: Option<u64>,
    pub auth_cache_seconds: Option<u64>,
    pub ip_requests_per_second: Option<u32>,
    pub trust_forwarded_for: Option<bool>,
    pub trusted_proxy_hops: Option<u32>,
    pub header_read_timeout_seconds: Option<u64>,
    pub body_read_timeout_seconds: Option<u64>,
    pub max_concurrent_secret_checks: Option<u32>,
    pub wrong_secrets_per_key_per_minute: Option<u32>,
    pub quotes_file: Option<PathBuf>,
    pub recorder_script: Option<PathBuf>,
    pub maintenance: Option<bool>,
    pub log_format: Option<LogFormat>,
    pub shutdown_grace_seconds: Option<u64>,
    pub retention_interval_seconds: Option<u64>,
    #[serde(default)]
    pub otp: crate::otp::settings::OtpFile,
}

/// The resolved configuration of a running server.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    pub max_connections: u32,
    pub database_acquire_timeout_seconds: u64,
    pub auth_cache_seconds: u64,
    pub ip_requests_per_second: u32,
    pub trusted_proxy_hops: u32,
    pub header_read_timeout_seconds: u64,
    pub body_read_timeout_seconds: u64,
    pub max_concurrent_secret_checks: u32,
    pub wrong_secrets_per_key_per_minute: u32,
    pub quotes_file: Option<PathBuf>,
    pub recorder_script: Option<PathBuf>,
    pub maintenance: bool,
    pub log_format: LogFormat,
    pub shutdown_grace_seconds: u64,
    pub retention_interval_seconds: u64,
    pub otp: crate::otp::settings::OtpSettings,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite:keycadence.db";

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DEFAULT_DATABASE_URL.to_string(),
            max_connections: 8,
            database_acquire_timeout_seconds: 5,
            auth_cache_seconds: 5,
            ip_requests_per_second: 0,
            trusted_proxy_hops: 0,
            header_read_timeout_seconds: 10,
            body_read_timeout_seconds: 30,
            max_concurrent_secret_checks: 0,
            wrong_secrets_per_key_per_minute: 20,
            quotes_file: None,
            recorder_script: None,
            maintenance: false,
            log_format: LogFormat::Text,
            shutdown_grace_seconds: 30,
            retention_interval_seconds: 3600,
            otp: crate::otp::settings::OtpSettings::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
}

pub fn read_file(path: &Path) -> Result<ServeFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

impl ServeConfig {
    /// Flags/environment (`args`, `database_url`) over the file over the defaults: the one
    /// place the two meet.
    pub fn resolve(
        args: ServeArgs,
        database_url: Option<String>,
        file: Option<ServeFile>,
    ) -> ServeConfig {
        let file = file.unwrap_or_default();
        let d = ServeConfig::default();
        // The flag or environment, else the file, else the default.
        macro_rules! setting {
            ($name:ident) => {
                args.$name.or(file.$name).unwrap_or(d.$name)
            };
        }
        ServeConfig {
            listen: setting!(listen),
            database_url: database_url.or(file.database_url).unwrap_or(d.database_url),
            max_connections: setting!(max_connections),
            database_acquire_timeout_seconds: setting!(database_acquire_timeout_seconds),
            auth_cache_seconds: setting!(auth_cache_seconds),
            ip_requests_per_second: setting!(ip_requests_per_second),
            trusted_proxy_hops: args
                .trusted_proxy_hops
                .or(file.trusted_proxy_hops)
                .or_else(|| {
                    let trusted = args.trust_forwarded_for.or(file.trust_forwarded_for);
                    trusted.map(u32::from)
                })
                .unwrap_or(d.trusted_proxy_hops),
            header_read_timeout_seconds: setting!(header_read_timeout_seconds),
            body_read_timeout_seconds: setting!(body_read_timeout_seconds),
            max_concurrent_secret_checks: setting!(max_concurrent_secret_checks),
            wrong_secrets_per_key_per_minute: setting!(wrong_secrets_per_key_per_minute),
            quotes_file: args.quotes_file.or(file.quotes_file),
            recorder_script: args.recorder_script.or(file.recorder_script),
            maintenance: setting!(maintenance),
            log_format: setting!(log_format),
            shutdown_grace_seconds: setting!(shutdown_grace_seconds),
            retention_interval_seconds: setting!(retention_interval_seconds),
            otp: crate::otp::settings::OtpSettings::resolve(args.otp, file.otp),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults() {
        let file: ServeFile = toml::from_str(
            "listen = \"0.0.0.0:9000\"\nmax_connections = 3\ndatabase_url = \"sqlite:/tmp/x.db\"\nlog_format = \"json\"",
        )
        .unwrap();
        let args = ServeArgs {
            max_connections: Some(5),
            ..Default::default()
        };
        let c = ServeConfig::resolve(args, None, Some(file));
        assert_eq!(c.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(c.max_connections, 5);
        assert_eq!(c.database_url, "sqlite:/tmp/x.db");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.shutdown_grace_seconds, 30);
        let c = ServeConfig::resolve(ServeArgs::default(), Some("postgres://h/db".into()), None);
        assert_eq!(c.database_url, "postgres://h/db");
    }

    #[test]
    fn trust_forwarded_for_is_one_proxy_hop_unless_hops_are_given() {
        let hops = |args: ServeArgs, file: &str| {
            ServeConfig::resolve(args, None, Some(toml::from_str(file).unwrap())).trusted_proxy_hops
        };
        assert_eq!(hops(ServeArgs::default(), ""), 0);
        assert_eq!(hops(ServeArgs::default(), "trust_forwarded_for = true"), 1);
        assert_eq!(
            hops(
                ServeArgs::default(),
                "trust_forwarded_for = true\ntrusted_proxy_hops = 2"
            ),
            2
        );
        let args = ServeArgs {
            trust_forwarded_for: Some(false),
            ..Default::default()
        };
        assert_eq!(hops(args, "trust_forwarded_for = true"), 0);
    }

    #[test]
    fn unknown_file_settings_are_errors() {
        assert!(toml::from_str::<ServeFile>("lisen = \"x\"").is_err());
    }

    #[test]
    fn the_otp_table_is_read_under_the_flags() {
        let file: ServeFile = toml::from_str(
            "[otp]\nsmtp_host = \"relay.example\"\ndata_dir = \"/file\"\nsms_per_app_per_hour = 7",
        )
        .unwrap();
        let mut args = ServeArgs::default();
        args.otp.keys.data_dir = Some(PathBuf::from("/flag"));
        let c = ServeConfig::resolve(args, None, Some(file));
        assert_eq!(
            c.otp.smtp.map(|smtp| smtp.host).as_deref(),
            Some("relay.example")
        );
        assert_eq!(c.otp.keys.data_dir, Some(PathBuf::from("/flag")));
        assert_eq!(c.otp.floods.sms_per_app_per_hour, 7);
        assert!(toml::from_str::<ServeFile>("[otp]\nsmtp_hots = \"x\"").is_err());
    }

    #[test]
    fn every_serve_flag_has_a_file_key() {
        use clap::CommandFactory;
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        let mut checked = 0;
        for arg in serve.get_arguments() {
            let (Some(long), None) = (arg.get_long(), arg.get_help_heading()) else {
                continue; // positional, global or a one-time codes flag (the `[otp]` table)
            };
            let key = long.replace('-', "_");
            let error = toml::from_str::<ServeFile>(&format!("{key} = 0"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!error.contains("unknown field"), "--{long}: {error}");
            checked += 1;
        }
        assert!(checked >= 17, "{checked} flags");
    }

    #[test]
    fn the_command_line_parses() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::parse_from([
            "keycadence-server",
            "--database-url",
            "sqlite:a.db",
            "keys",
            "set",
            "k",
            "auto_enroll=false",
        ]);
        assert!(matches!(
            cli.command,
            Command::Keys(KeysCommand::Set { .. })
        ));
    }
}
