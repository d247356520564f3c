//! The routes of one-time codes, added to the server's router.

use axum::routing::{get, post, MethodRouter};

use super::{totp, verify_http};
use crate::app::AppState;

const ENTITY: &str = "/v2/Services/{service}/Entities/{identity}";

/// Every route of one-time codes: (path, methods). The server's router is built from this
/// list, and the OpenAPI test reads the same list.
pub fn routes() -> Vec<(String, MethodRouter<AppState>)> {
    vec![
        ("/otp/send".into(), post(verify_http::send)),
        ("/otp/validate".into(), post(verify_http::validate)),
        (
            "/user/reset-profile".into(),
            post(verify_http::reset_profile),
        ),
        ("/v2/Services".into(), post(totp::create_service)),
        ("/v2/Services/{service}".into(), get(totp::fetch_service)),
        (
            format!("{ENTITY}/Factors"),
            post(totp::create_factor).get(totp::list_factors),
        ),
        (
            format!("{ENTITY}/Factors/{{factor}}"),
            get(totp::fetch_factor)
                .post(totp::update_factor)
                .delete(totp::delete_factor),
        ),
        (format!("{ENTITY}/Challenges"), post(totp::create_challenge)),
        (
            format!("{ENTITY}/Challenges/{{challenge}}"),
            get(totp::fetch_challenge).post(totp::update_challenge),
        ),
        (
            format!("{ENTITY}/BackupCodes"),
            post(totp::create_backup_codes).get(totp::fetch_backup_codes),
        ),
        (
            format!("{ENTITY}/BackupCodes/Redeem"),
            post(totp::redeem_backup_code),
        ),
    ]
}
