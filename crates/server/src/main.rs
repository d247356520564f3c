use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use keycadence_server::app::{self, AppState};
use keycadence_server::auth::{generate_key_pair, hash_secret};
use keycadence_server::config::{
    self, Cli, Command, KeysCommand, LogFormat, ServeConfig, DEFAULT_DATABASE_URL,
};
use keycadence_server::db::sealed_patterns::PatternSealer;
use keycadence_server::db::Db;
use keycadence_server::otp::settings::{KeySources, OtpArgs};
use keycadence_server::privacy::audit::{record_cli, Action};
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("KEYCADENCE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("keycadence-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let file = match &cli.config {
        Some(path) => Some(config::read_file(path).map_err(|e| e.to_string())?),
        None => None,
    };
    match cli.command {
        Command::Serve(args) => {
            let config = ServeConfig::resolve(args, cli.database_url, file);
            init_logging(config.log_format);
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
            let address = listener.local_addr().map_err(|e| e.to_string())?;
            let backend = config
                .database_url
                .split(':')
                .next()
                .unwrap_or("")
                .to_string();
            let state = AppState::new(config).await.map_err(|e| e.to_string())?;
            tracing::info!(%address, database = %backend, "keycadence-server listening");
            app::serve(state, listener, app::termination_signal())
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Keys(command) => {
            let otp_file = file.as_ref().map(|f| f.otp.clone()).unwrap_or_default();
            let url = cli
                .database_url
                .or(file.and_then(|f| f.database_url))
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
            let db = Db::connect(&url, 1).await.map_err(|e| e.to_string())?;
            let result = keys(&db, command, &url, otp_file).await;
            db.close().await;
            result
        }
        Command::Apps(command) => {
            let otp_file = file.as_ref().map(|f| f.otp.clone());
            let url = cli
                .database_url
                .or(file.and_then(|f| f.database_url))
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
            keycadence_server::otp::cli::run(command, &url, otp_file).await
        }
        Command::Signin(command) => {
            let url = cli
                .database_url
                .or(file.and_then(|f| f.database_url))
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
            keycadence_server::signin::cli::run(command, &url).await
        }
        Command::Openapi => {
            println!("{}", keycadence_server::routes::OPENAPI);
            Ok(())
        }
    }
}

/// `keys rotate-at-rest`: re-seals the enrolled patterns under the current at-rest key.
async fn rotate_at_rest(
    db: &Db,
    database_url: &str,
    sources: KeySources,
    batch: u32,
) -> Result<(), String> {
    let keys = sources.load(database_url)?;
    let db = db
        .clone()
        .with_pattern_sealer(PatternSealer::new(Arc::new(keys.sealer())));
    let resealed = db.reseal_patterns(batch).await.map_err(|e| e.to_string())?;
    let sign_ins = db.reseal_sign_ins().await.map_err(|e| e.to_string())?;
    let key_id = db.pattern_sealer_key_id().map_err(|e| e.to_string())?;
    record_cli(
        &db,
        None,
        Action::RotateAtRest,
        serde_json::json!({ "resealed": resealed, "sign_ins": sign_ins, "key_id": key_id }),
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("re-sealed {resealed} patterns and {sign_ins} sign-in records under the current at-rest key");
    Ok(())
}

/// A `keys` command; `otp_file` is the config file's `[otp]` table (for the at-rest keys).
async fn keys(
    db: &Db,
    command: KeysCommand,
    database_url: &str,
    otp_file: OtpArgs,
) -> Result<(), String> {
    match command {
        KeysCommand::RotateAtRest { keys, batch } => {
            rotate_at_rest(db, database_url, keys.sources(otp_file), batch).await?;
        }
        KeysCommand::Create { tenant, label } => {
            let (api_key, api_secret) = generate_key_pair();
            db.insert_key(&tenant, &label, &api_key, &hash_secret(&api_secret))
                .await
                .map_err(|e| e.to_string())?;
            println!("apiKey:    {api_key}");
            println!("apiSecret: {api_secret}");
            eprintln!("The secret is shown only now; only its hash is stored.");
        }
        KeysCommand::List => {
            println!(
                "{:<34} {:<16} {:<14} {:<10} label",
                "apiKey", "tenant", "created", "state"
            );
            for key in db.list_keys().await.map_err(|e| e.to_string())? {
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
            db.revoke_key(&api_key).await.map_err(|e| e.to_string())?;
            println!("revoked {api_key}");
        }
        KeysCommand::Settings { api_key } => {
            let settings = db.key_settings(&api_key).await.map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())?
            );
        }
        KeysCommand::Set {
            api_key,
            assignments,
        } => {
            let settings = db.key_settings(&api_key).await.map_err(|e| e.to_string())?;
            let updated = settings
                .with_assignments(&assignments)
                .map_err(|e| e.to_string())?;
            db.set_key_settings(&api_key, &updated)
                .await
                .map_err(|e| e.to_string())?;
            let tenant_id = db
                .find_key(&api_key)
                .await
                .map_err(|e| e.to_string())?
                .map(|key| key.tenant_id);
            // Names and new values: settings hold no secret.
            let new_values = serde_json::to_value(&updated).map_err(|e| e.to_string())?;
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
            )
            .await
            .map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::to_string_pretty(&updated).map_err(|e| e.to_string())?
            );
        }
    }
    Ok(())
}
