//! `keycadence-server apps`: create, list and revoke Verify applications.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use keycadence_otp::SecretSealer;

use super::CliError;
use crate::db::Db;
use crate::otp::apps::{create_app, AppSettings, CreateApp};
use crate::otp::settings::{KeySources, OtpArgs, OtpKeys, Secret};

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
        settings: AppSettings,
        #[command(flatten)]
        keys: KeyArgs,
    },
    /// List applications (never secrets).
    List,
    /// Revoke an application: its requests answer 106 within the auth cache time.
    Revoke { application_id: String },
}

/// Where the at-rest key comes from (as for `serve`).
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[arg(long, env = "KEYCADENCE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[arg(long, env = "KEYCADENCE_AT_REST_KEY", hide_env_values = true)]
    pub at_rest_key: Option<Secret>,
    #[arg(long, env = "KEYCADENCE_OTP_PEPPER", hide_env_values = true)]
    pub otp_pepper: Option<Secret>,
    #[arg(
        long,
        env = "KEYCADENCE_PREVIOUS_AT_REST_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub previous_at_rest_keys: Option<Vec<Secret>>,
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

impl KeyArgs {
    /// These keys, each over the config file's `[otp]` one.
    pub fn sources(self, file: OtpArgs) -> KeySources {
        KeySources {
            data_dir: self.data_dir.or(file.data_dir),
            otp_pepper: self.otp_pepper.or(file.otp_pepper),
            at_rest_key: self.at_rest_key.or(file.at_rest_key),
            previous_at_rest_keys: self
                .previous_at_rest_keys
                .or(file.previous_at_rest_keys)
                .unwrap_or_default(),
        }
    }
}

/// Runs an `apps` command against the database; `file` is the config file's `[otp]` table.
pub async fn run(
    command: AppsCommand,
    database_url: &str,
    file: Option<OtpArgs>,
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
    file: OtpArgs,
) -> Result<(), CliError> {
    match command {
        AppsCommand::Create {
            domain,
            client_id,
            sms_auth_token,
            settings,
            keys,
        } => {
            let keys = keys.sources(file).load(database_url)?;
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
            for app in db.list_verify_apps().await? {
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
            db.revoke_verify_app(&application_id).await?;
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
        assert_eq!(settings, AppSettings::default());
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
