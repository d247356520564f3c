//! `keycadence-server keys`: create, list and revoke API keys, read and change their tenant's
//! settings, and re-seal what is sealed at rest under the current key.

use std::sync::Arc;

use super::CliError;
use crate::auth::{generate_key_pair, hash_secret};
use crate::clock::now_millis;
use crate::config::KeysCommand;
use crate::db::sealed_patterns::PatternSealer;
use crate::db::Db;
use crate::otp::keys::KeySources;
use crate::otp::settings::OtpFile;
use crate::privacy::audit::{record_cli, Action};

/// Runs a `keys` command against the database at `database_url`; `otp_file` is the config
/// file's `[otp]` table (for the at-rest keys).
pub async fn run(
    command: KeysCommand,
    database_url: &str,
    otp_file: OtpFile,
) -> Result<(), CliError> {
    let db = Db::connect(database_url, 1).await?;
    let result = run_with(&db, command, database_url, otp_file).await;
    db.close().await;
    result
}

/// `keys rotate-at-rest`: re-seals the enrolled patterns under the current at-rest key.
async fn rotate_at_rest(
    db: &Db,
    database_url: &str,
    sources: KeySources,
    batch: u32,
) -> Result<(), CliError> {
    let keys = sources.load(database_url)?;
    let db = db
        .clone()
        .with_pattern_sealer(PatternSealer::new(Arc::new(keys.sealer())));
    let resealed = db.reseal_patterns(batch).await?;
    let sign_ins = db.reseal_sign_ins().await?;
    let key_id = db.pattern_sealer_key_id()?;
    record_cli(
        &db,
        None,
        Action::RotateAtRest,
        serde_json::json!({ "resealed": resealed, "sign_ins": sign_ins, "key_id": key_id }),
        now_millis(),
    )
    .await?;
    println!("re-sealed {resealed} patterns and {sign_ins} sign-in records under the current at-rest key");
    Ok(())
}

pub async fn run_with(
    db: &Db,
    command: KeysCommand,
    database_url: &str,
    otp_file: OtpFile,
) -> Result<(), CliError> {
    match command {
        KeysCommand::RotateAtRest { keys, batch } => {
            rotate_at_rest(db, database_url, keys.sources(&otp_file), batch).await?;
        }
        KeysCommand::Create { tenant, label } => {
            let (api_key, api_secret) = generate_key_pair();
            let secret_hash = hash_secret(&api_secret);
            db.keys()
                .insert(&tenant, &label, &api_key, &secret_hash, now_millis())
                .await?;
            println!("apiKey:    {api_key}");
            println!("apiSecret: {api_secret}");
            eprintln!("The secret is shown only now; only its hash is stored.");
        }
        KeysCommand::List => {
            println!(
                "{:<34} {:<16} {:<14} {:<10} label",
                "apiKey", "tenant", "created", "state"
            );
            for key in db.keys().list().await? {
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:<34} {:<16} {:<14} {:<10} {}",
                    key.api_key, key.tenant, key.created_at, state, key.label
                );
            }
        }
        KeysCommand::Revoke { api_key } => {
            db.keys().revoke(&api_key, now_millis()).await?;
            println!("revoked {api_key}");
        }
        KeysCommand::Settings { api_key } => {
            let settings = db.keys().settings(&api_key).await?;
            println!("{}", serde_json::to_string_pretty(&settings)?);
        }
        KeysCommand::Set {
            api_key,
            assignments,
        } => {
            let settings = db.keys().settings(&api_key).await?;
            let updated = settings.with_assignments(&assignments)?;
            db.keys().set_settings(&api_key, &updated).await?;
            let tenant_id = db.keys().find(&api_key).await?.map(|key| key.tenant_id);
            // Names and new values: settings hold no secret.
            let new_values = serde_json::to_value(&updated)?;
            let changed: serde_json::Map<String, serde_json::Value> = assignments
                .iter()
                .filter_map(|a| a.split_once('=').map(|(name, _)| name.trim().to_string()))
                .map(|name| (name.clone(), new_values[&name].clone()))
                .collect();
            record_cli(
                db,
                tenant_id,
                Action::SettingsChange,
                serde_json::json!({ "api_key": api_key, "changed": changed }),
                now_millis(),
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&updated)?);
        }
    }
    Ok(())
}
