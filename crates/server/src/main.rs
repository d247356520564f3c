use std::process::ExitCode;

use clap::Parser;
use keycadence_server::app::{self, AppState};
use keycadence_server::cli;
use keycadence_server::config::{self, Cli, Command, LogFormat, ServeConfig, DEFAULT_DATABASE_URL};
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
            cli::keys::run(command, &url, otp_file)
                .await
                .map_err(|e| e.to_string())
        }
        Command::Apps(command) => {
            let otp_file = file.as_ref().map(|f| f.otp.clone());
            let url = cli
                .database_url
                .or(file.and_then(|f| f.database_url))
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
            cli::apps::run(command, &url, otp_file)
                .await
                .map_err(|e| e.to_string())
        }
        Command::Signin(command) => {
            let url = cli
                .database_url
                .or(file.and_then(|f| f.database_url))
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
            cli::signin::run(command, &url)
                .await
                .map_err(|e| e.to_string())
        }
        Command::Openapi => {
            println!("{}", keycadence_server::routes::OPENAPI);
            Ok(())
        }
    }
}
