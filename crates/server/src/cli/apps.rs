//! `keycadence-server apps`: create, list and revoke Verify applications.

use clap::{Args, Subcommand};
use keycadence_otp::SecretSealer;

use super::CliError;
use crate::clock::now_millis;
use crate::db::Db;
use crate::otp::apps::{create_app, AppSettings, CreateApp};
use crate::otp::keys::{KeyArgs, KeySources, OtpKeys};
use crate::otp::settings::OtpFile;

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Create an application (and a client, unless --client-id names one). Prints the
    /// clientId, applicationId, client secret and reset-profile token; the secret and the
    /// token are shown only now.
    Create {
        /// The domain allowed to embed the Verify window.
        #[arg(long)]
        domain: String,
        /// Add the application to this existing client (it keeps the client's secret).
        #[arg(long)]
        client_id: Option<String>,
        /// Auth token of --sms-account-sid (stored sealed).
        #[arg(long, env = "KEYCADENCE_SMS_AUTH_TOKEN", hide_env_values = true)]
        sms_auth_token: Option<String>,
        #[command(flatten)]
        settings: AppFlags,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// List applications (never secrets).
    List,
    /// Revoke an application: its requests answer 106 within the auth cache time.
    Revoke { application_id: String },
}

/// The flags of `apps create` that choose the stored [`AppSettings`] (their defaults are
/// the stored defaults).
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct AppFlags {
    /// Sender of e-mailed codes; without it the application has no e-mail gateway (code 132).
    #[arg(long)]
    pub email_from: Option<String>,
    /// Subject of e-mailed codes.
    #[arg(long, default_value_t = AppSettings::default().email_subject)]
    pub email_subject: String,
    /// Account SID at the Twilio-compatible SMS gateway; with --sms-auth-token and --sms-from
    /// it gives the application an SMS gateway (code 129 otherwise).
    #[arg(long)]
    pub sms_account_sid: Option<String>,
    /// Sender number or id of code SMS.
    #[arg(long)]
    pub sms_from: Option<String>,
    /// Root of trust disabled: `/otp/send` answers 126 (codes come from elsewhere).
    #[arg(long)]
    pub disable_rot: bool,
    /// Digits per code (4-9).
    #[arg(long, default_value_t = AppSettings::default().code_length)]
    pub code_length: u8,
    /// Seconds a code stays valid.
    #[arg(long, default_value_t = AppSettings::default().code_lifetime_seconds)]
    pub code_lifetime_seconds: u64,
    /// Wrong codes per user before a lock-out (codes 11, then 12).
    #[arg(long, default_value_t = AppSettings::default().max_failed_attempts)]
    pub max_failed_attempts: u32,
    /// Seconds a lock-out lasts.
    #[arg(long, default_value_t = AppSettings::default().lockout_seconds)]
    pub lockout_seconds: u64,
    /// Codes sent to one user per send window before code 13.
    #[arg(long, default_value_t = AppSettings::default().max_sends)]
    pub max_sends: u32,
    #[arg(long, default_value_t = AppSettings::default().send_window_seconds)]
    pub send_window_seconds: u64,
    /// Seconds a backend call's payload may be old (its `ts`) before code 108.
    #[arg(long, default_value_t = AppSettings::default().payload_max_age_seconds)]
    pub payload_max_age_seconds: u64,
    /// Also accept protocol 1.0/1.1 payloads (TypingDNA's clients). RISK: they are encrypted
    /// but not authenticated, so anyone holding one (every page with the Verify button shows
    /// one) can alter the identifier inside and make the server send a code to another
    /// address. Codes are never revealed in answers, payloads must carry a fresh `ts` and are
    /// accepted once, but use protocol 2.0 clients where you can.
    #[arg(long)]
    pub legacy_payloads: bool,
    /// SANDBOXES AND TESTS ONLY: answer `/otp/send` with the code it sent (`otp`), as
    /// TypingDNA's sandbox does. Whoever calls `/otp/send` then has the user's code; the
    /// server logs a warning at start for every application with this on.
    #[arg(long)]
    pub echo_codes: bool,
}

impl From<AppFlags> for AppSettings {
    fn from(flags: AppFlags) -> Self {
        AppSettings {
            email_from: flags.email_from,
            email_subject: flags.email_subject,
            sms_account_sid: flags.sms_account_sid,
            sms_from: flags.sms_from,
            disable_rot: flags.disable_rot,
            code_length: flags.code_length,
            code_lifetime_seconds: flags.code_lifetime_seconds,
            max_failed_attempts: flags.max_failed_attempts,
            lockout_seconds: flags.lockout_seconds,
            max_sends: flags.max_sends,
            send_window_seconds: flags.send_window_seconds,
            payload_max_age_seconds: flags.payload_max_age_seconds,
            legacy_payloads: flags.legacy_payloads,
            echo_codes: flags.echo_codes,
        }
    }
}

impl KeySources {
    /// The keys, for a command: the files it generates (none configured) are named on
    /// stderr, as the server must be given the same.
    pub fn load(&self, database_url: &str) -> Result<OtpKeys, CliError> {
        let (keys, generated) = self.load_or_generate(database_url)?;
        for file in generated {
            eprintln!(
                "Generated the {} in {} (none configured); the server must use the same.",
                file.what,
                file.path.display()
            );
        }
        Ok(keys)
    }
}

/// Runs an `apps` command against the database; `file` is the config file's `[otp]` table.
pub async fn run(
    command: AppsCommand,
    database_url: &str,
    file: Option<OtpFile>,
) -> Result<(), CliError> {
    let db = Db::connect(database_url, 1).await?;
    let result = run_with(&db, command, database_url, file.unwrap_or_default()).await;
    db.close().await;
    result
}

async fn run_with(
    db: &Db,
    command: AppsCommand,
    database_url: &str,
    file: OtpFile,
) -> Result<(), CliError> {
    match command {
        AppsCommand::Create {
            domain,
            client_id,
            sms_auth_token,
            settings,
            keys,
        } => {
            let settings = AppSettings::from(settings);
            let keys = keys.sources(&file).load(database_url)?;
            if settings.legacy_payloads {
                eprintln!(
                    "Warning: this application accepts protocol 1.x payloads, which are not \
                     authenticated: whoever holds one can make the server e-mail or text a code \
                     to another address (never see it). Prefer protocol 2.0 clients."
                );
            }
            if settings.echo_codes {
                eprintln!(
                    "Warning: --echo-codes: /otp/send will answer with the code it sent, so \
                     whoever calls it has the user's code. For sandboxes and tests only."
                );
            }
            let created = create_app(
                db,
                &SecretSealer::new(&keys.at_rest),
                CreateApp {
                    client_id,
                    domain,
                    settings,
                    sms_auth_token,
                },
            )
            .await?;
            println!("clientId:      {}", created.client_id);
            println!("applicationId: {}", created.application_id);
            if let Some(secret) = &created.secret {
                println!("secret:        {}", secret.as_str());
            }
            println!("resetToken:    {}", created.reset_token.as_str());
            eprintln!("The secret and the reset-profile token are shown only now.");
        }
        AppsCommand::List => {
            println!(
                "{:<34} {:<34} {:<8} {:<14} {:<12} domain",
                "clientId", "applicationId", "state", "created", "delivery"
            );
            for app in db.verify_apps().list().await? {
                let settings: AppSettings =
                    serde_json::from_str(&app.settings).map_err(|reason| {
                        CliError::StoredSettings {
                            application_id: app.application_id.clone(),
                            reason,
                        }
                    })?;
                let mut delivery = Vec::new();
                if settings.email_from.is_some() {
                    delivery.push("email");
                }
                if settings.sms_account_sid.is_some() {
                    delivery.push("sms");
                }
                if settings.disable_rot {
                    delivery = vec!["no-rot"];
                }
                let state = if app.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<34} {:<34} {:<8} {:<14} {:<12} {}",
                    app.client_id,
                    app.application_id,
                    state,
                    app.created_at,
                    if delivery.is_empty() {
                        "none".to_string()
                    } else {
                        delivery.join(",")
                    },
                    app.domain
                );
            }
        }
        AppsCommand::Revoke { application_id } => {
            db.verify_apps()
                .revoke(&application_id, now_millis())
                .await?;
            println!("revoked {application_id}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        apps: AppsCommand,
    }

    #[test]
    fn flags_default_to_the_stored_defaults() {
        let cli = Cli::try_parse_from(["apps", "create", "--domain", "example.com"]).unwrap();
        let AppsCommand::Create { settings, .. } = cli.apps else {
            panic!("not create")
        };
        assert_eq!(AppSettings::from(settings), AppSettings::default());
    }

    #[test]
    fn delivery_options_parse() {
        let cli = Cli::try_parse_from([
            "apps",
            "create",
            "--domain",
            "example.com",
            "--email-from",
            "Acme <codes@example.com>",
            "--sms-account-sid",
            "AC123",
            "--sms-auth-token",
            "tok",
            "--sms-from",
            "+15550001111",
            "--code-lifetime-seconds",
            "60",
        ])
        .unwrap();
        let AppsCommand::Create {
            settings,
            sms_auth_token,
            ..
        } = cli.apps
        else {
            panic!("not create")
        };
        assert_eq!(
            settings.email_from.as_deref(),
            Some("Acme <codes@example.com>")
        );
        assert_eq!(settings.sms_from.as_deref(), Some("+15550001111"));
        assert_eq!(sms_auth_token.as_deref(), Some("tok"));
        assert_eq!(settings.code_lifetime_seconds, 60);
    }
}
