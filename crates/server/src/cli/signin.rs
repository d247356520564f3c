//! `keycadence-server signin`: enable sign-ins for a Verify application and set its policy.
//! The operator binds the application to one tenant: only that tenant's API keys can create
//! sign-ins that send codes from the application's sender.

use clap::Subcommand;
use keycadence_signin::Policy;

use super::CliError;
use crate::clock::now_millis;
use crate::db::Db;

#[derive(Debug, Subcommand)]
pub enum SigninCommand {
    /// Enable sign-ins for an application (or change its policy).
    Enable {
        application_id: String,
        /// The tenant whose users sign in (its API keys create the sign-ins).
        #[arg(long)]
        tenant: String,
        /// The policy as JSON; fields left out keep their defaults. Fields: strategies
        /// (["typing","email_code","phone_code","totp","backup_code"] in order of
        /// preference), typing_quality (2), typing_attempts (2), code_attempts (3),
        /// min_enrolments (3), enrolment_texts (3), mobile_uses_codes (true),
        /// lifetime_seconds (600).
        #[arg(long, default_value = "{}")]
        policy: String,
    },
    /// Print an application's sign-in tenant and policy as JSON.
    Show { application_id: String },
}

#[derive(Debug, thiserror::Error)]
pub enum EnableError {
    #[error("no application {0}")]
    UnknownApplication(String),
    #[error("no tenant {0} (create a key for it first)")]
    UnknownTenant(String),
    #[error("the policy is not valid JSON of the documented fields: {0}")]
    PolicyJson(#[from] serde_json::Error),
    #[error("invalid policy: {0}")]
    Policy(#[from] keycadence_signin::PolicyError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Enables sign-ins for `application_id`, bound to `tenant`, with `policy` (JSON).
pub async fn enable(
    db: &Db,
    application_id: &str,
    tenant: &str,
    policy: &str,
) -> Result<Policy, EnableError> {
    let app = db
        .verify_apps()
        .find(application_id)
        .await?
        .ok_or_else(|| EnableError::UnknownApplication(application_id.to_string()))?;
    let tenant_id = db
        .tenants()
        .find_id(tenant)
        .await?
        .ok_or_else(|| EnableError::UnknownTenant(tenant.to_string()))?;
    let policy: Policy = serde_json::from_str(policy)?;
    policy.validate()?;
    let policy_json = serde_json::to_string(&policy)?;
    db.sign_in_policies()
        .set(app.app_ref, tenant_id, &policy_json, now_millis())
        .await?;
    Ok(policy)
}

pub async fn run(command: SigninCommand, database_url: &str) -> Result<(), CliError> {
    let db = Db::connect(database_url, 1).await?;
    let result = match command {
        SigninCommand::Enable {
            application_id,
            tenant,
            policy,
        } => enable(&db, &application_id, &tenant, &policy)
            .await
            .map(|policy| {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&policy).unwrap_or_default()
                )
            })
            .map_err(CliError::from),
        SigninCommand::Show { application_id } => show(&db, &application_id).await,
    };
    db.close().await;
    result
}

async fn show(db: &Db, application_id: &str) -> Result<(), CliError> {
    let app = db
        .verify_apps()
        .find(application_id)
        .await?
        .ok_or_else(|| CliError::UnknownApplication(application_id.to_string()))?;
    let stored = db
        .sign_in_policies()
        .find(app.app_ref)
        .await?
        .ok_or_else(|| CliError::SignInsNotEnabled(application_id.to_string()))?;
    println!(
        "{{\"tenant_id\": {}, \"policy\": {}}}",
        stored.tenant_id, stored.policy
    );
    Ok(())
}
