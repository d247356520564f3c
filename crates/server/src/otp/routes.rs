//! The routes of one-time codes, merged into the server's router.

use axum::routing::{get, post};
use axum::Router;

use super::{totp, verify};
use crate::app::AppState;

const ENTITY: &str = "/v2/Services/{service}/Entities/{identity}";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/otp/send", post(verify::send))
        .route("/otp/validate", post(verify::validate))
        .route("/user/reset-profile", post(verify::reset_profile))
        .route("/v2/Services", post(totp::create_service))
        .route("/v2/Services/{service}", get(totp::fetch_service))
        .route(
            &format!("{ENTITY}/Factors"),
            post(totp::create_factor).get(totp::list_factors),
        )
        .route(
            &format!("{ENTITY}/Factors/{{factor}}"),
            get(totp::fetch_factor)
                .post(totp::update_factor)
                .delete(totp::delete_factor),
        )
        .route(
            &format!("{ENTITY}/Challenges"),
            post(totp::create_challenge),
        )
        .route(
            &format!("{ENTITY}/Challenges/{{challenge}}"),
            get(totp::fetch_challenge).post(totp::update_challenge),
        )
        .route(
            &format!("{ENTITY}/BackupCodes"),
            post(totp::create_backup_codes).get(totp::fetch_backup_codes),
        )
        .route(
            &format!("{ENTITY}/BackupCodes/Redeem"),
            post(totp::redeem_backup_code),
        )
}
