//! Per-tenant API settings (the settings of TypingDNA's dashboard "API Settings",
//! and the request limits).
//! Stored as JSON beside the tenant, so a new setting needs no migration; unknown names are
//! refused so that a typo in `keys set` is an error, not a silently ignored setting.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantSettings {
    /// `/verify` may store a pattern that verified well enough.
    pub auto_enroll: bool,
    /// Minimum score (0–100) for a verified pattern to be stored by `/verify` or `/auto`
    /// (default: the matcher's calibrated auto-enrol score).
    pub auto_enroll_threshold: f64,
    /// Enrolments a bucket needs before patterns are verified against it.
    pub min_initial_enrollments: u32,
    /// Below the minimum, `/verify` with auto-enrol stores patterns instead of refusing (code 9).
    pub force_initial_enrollments: bool,
    /// `result = 1` iff `net_score >= result_threshold`; `None` keeps the matcher's own decision
    /// for the requested quality.
    pub result_threshold: Option<f64>,
    /// Quality used when a request gives none (1 = convenience, 2 = balanced, 3 = security).
    pub default_quality: i64,
    /// Accept a pattern on `/verify` that was already sent before (replay protection off).
    pub allow_identical_on_verify: bool,
    /// Days a verified pattern's digest is remembered for replay protection.
    pub verify_digest_retention_days: u32,
    /// Days after which a user whose enrolments were not used (no enrolment, no verification
    /// booked) is removed with everything stored about them; 0 = kept (the default).
    pub enrolment_retention_days: u32,
    /// Days the audit log keeps a record of this tenant; 0 = kept.
    pub audit_retention_days: u32,
    /// `/save` and `/verify` ("advanced" endpoints) are enabled; off answers code 53.
    pub advanced_endpoints: bool,
    /// Enrolments kept per bucket; saving more rotates the oldest out.
    pub max_patterns_per_bucket: u32,
    /// Patterns accepted in one `/verify` or `/auto` call (code 56 above it).
    pub max_patterns_per_verify: u32,
    /// Largest request body in bytes (code 42 above it).
    pub max_request_bytes: u64,
    /// Requests per second for all keys of the tenant together; 0 = unlimited (code 52).
    pub requests_per_second: u32,
    /// Requests per second from one IP address for this tenant; 0 = unlimited (code 43).
    pub requests_per_second_per_ip: u32,
    /// Requests of this tenant handled at the same time; 0 = unlimited (code 37).
    pub max_concurrent_requests: u32,
    /// Users the tenant may store; 0 = unlimited (code 51).
    pub max_users: u64,
    /// Verifications per user per UTC day; 0 = unlimited (code 57).
    pub max_verifications_per_user_per_day: u32,
    /// Refuse user ids that look like an e-mail address or a phone number (code 35).
    pub reject_contact_like_user_ids: bool,
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            auto_enroll: true,
            auto_enroll_threshold: keycadence_core::matcher::AUTO_ENROL_SCORE,
            min_initial_enrollments: 3,
            force_initial_enrollments: false,
            result_threshold: None,
            default_quality: 2,
            allow_identical_on_verify: false,
            verify_digest_retention_days: 90,
            enrolment_retention_days: 0,
            audit_retention_days: 400,
            advanced_endpoints: true,
            max_patterns_per_bucket: 20,
            max_patterns_per_verify: 3,
            max_request_bytes: 256 * 1024,
            requests_per_second: 0,
            requests_per_second_per_ip: 0,
            max_concurrent_requests: 0,
            max_users: 0,
            max_verifications_per_user_per_day: 0,
            reject_contact_like_user_ids: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("setting `{0}` must be written name=value")]
    NotAnAssignment(String),
    #[error("invalid settings: {0}")]
    Invalid(#[from] serde_json::Error),
    #[error("{0}")]
    OutOfRange(&'static str),
}

impl TenantSettings {
    pub fn from_json(text: &str) -> Result<Self, SettingsError> {
        let settings: TenantSettings = serde_json::from_str(text)?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("settings always serialise")
    }

    /// Applies `name=value` assignments (values read as JSON, or as a string when they are not
    /// JSON) and validates the result.
    pub fn with_assignments(&self, assignments: &[String]) -> Result<Self, SettingsError> {
        let mut object = serde_json::to_value(self)?;
        for assignment in assignments {
            let (name, raw) = assignment
                .split_once('=')
                .ok_or_else(|| SettingsError::NotAnAssignment(assignment.clone()))?;
            let value = serde_json::from_str(raw)
                .unwrap_or_else(|_| serde_json::Value::String(raw.to_string()));
            object[name.trim()] = value;
        }
        let settings: TenantSettings = serde_json::from_value(object)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=3).contains(&self.default_quality) {
            return Err(SettingsError::OutOfRange(
                "default_quality must be 1, 2 or 3",
            ));
        }
        if !(0.0..=100.0).contains(&self.auto_enroll_threshold) {
            return Err(SettingsError::OutOfRange(
                "auto_enroll_threshold must be within 0..=100",
            ));
        }
        if let Some(t) = self.result_threshold {
            if !(0.0..=100.0).contains(&t) {
                return Err(SettingsError::OutOfRange(
                    "result_threshold must be within 0..=100",
                ));
            }
        }
        if self.min_initial_enrollments == 0 {
            return Err(SettingsError::OutOfRange(
                "min_initial_enrollments must be at least 1",
            ));
        }
        if self.max_patterns_per_bucket < self.min_initial_enrollments {
            return Err(SettingsError::OutOfRange(
                "max_patterns_per_bucket must be at least min_initial_enrollments",
            ));
        }
        if self.max_patterns_per_verify == 0 {
            return Err(SettingsError::OutOfRange(
                "max_patterns_per_verify must be at least 1",
            ));
        }
        if self.max_request_bytes < 1024 {
            return Err(SettingsError::OutOfRange(
                "max_request_bytes must be at least 1024",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_parse_json_values_and_refuse_unknown_names() {
        let s = TenantSettings::default()
            .with_assignments(&[
                "auto_enroll=false".into(),
                "result_threshold=55.5".into(),
                "max_users=10".into(),
            ])
            .unwrap();
        assert!(!s.auto_enroll);
        assert_eq!(s.result_threshold, Some(55.5));
        assert_eq!(s.max_users, 10);
        assert!(TenantSettings::default()
            .with_assignments(&["auto_enrol=false".into()])
            .is_err());
        assert!(TenantSettings::default()
            .with_assignments(&["default_quality=4".into()])
            .is_err());
        assert!(TenantSettings::default()
            .with_assignments(&["max_users".into()])
            .is_err());
    }

    #[test]
    fn stored_json_round_trips_and_missing_fields_take_defaults() {
        let s = TenantSettings::from_json(r#"{"min_initial_enrollments":2}"#).unwrap();
        assert_eq!(s.min_initial_enrollments, 2);
        assert_eq!(s.max_patterns_per_verify, 3);
        assert_eq!(TenantSettings::from_json(&s.to_json()).unwrap(), s);
    }
}
