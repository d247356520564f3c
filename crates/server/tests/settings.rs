//! Tenant settings as an operator sets them (`keycadence-server keys set KEY name=value ...`
//! applies `TenantSettings::with_assignments`) and as they are read back from the store
//! (`TenantSettings::from_json`): every range holds at its edges, a value outside it is refused
//! with a message naming the setting, and nothing else is refused.

use keycadence_server::settings::{SettingsError, TenantSettings};

fn set(assignments: &[&str]) -> Result<TenantSettings, SettingsError> {
    let assignments: Vec<String> = assignments.iter().map(|a| a.to_string()).collect();
    TenantSettings::default().with_assignments(&assignments)
}

/// The setting named by a refusal: its message starts with the setting's name.
fn refused(assignments: &[&str]) -> String {
    match set(assignments) {
        Err(SettingsError::OutOfRange(message)) => message.to_string(),
        other => panic!("{assignments:?} was not refused as out of range: {other:?}"),
    }
}

/// Each range, at its edges: (assignments accepted, assignments refused, the setting named).
const RANGES: &[(&[&str], &[&str], &str)] = &[
    (
        &["default_quality=1", "default_quality=3"],
        &["default_quality=0", "default_quality=4"],
        "default_quality",
    ),
    (
        &["auto_enroll_threshold=0", "auto_enroll_threshold=100"],
        &["auto_enroll_threshold=-0.5", "auto_enroll_threshold=100.5"],
        "auto_enroll_threshold",
    ),
    (
        &[
            "result_threshold=0",
            "result_threshold=100",
            "result_threshold=null",
        ],
        &["result_threshold=-1", "result_threshold=101"],
        "result_threshold",
    ),
    (
        &["min_initial_enrollments=1"],
        &["min_initial_enrollments=0"],
        "min_initial_enrollments",
    ),
    (
        // Default bucket size 20: the minimum may reach it, not pass it.
        &["min_initial_enrollments=20", "max_patterns_per_bucket=3"],
        &["min_initial_enrollments=21", "max_patterns_per_bucket=2"],
        "max_patterns_per_bucket",
    ),
    (
        &["max_patterns_per_verify=1"],
        &["max_patterns_per_verify=0"],
        "max_patterns_per_verify",
    ),
    (
        &["max_request_bytes=1024"],
        &["max_request_bytes=1023"],
        "max_request_bytes",
    ),
];

#[test]
fn every_range_holds_at_its_edges_and_names_the_setting_it_refuses() {
    for (accepted, refused_values, name) in RANGES {
        for assignment in *accepted {
            let settings = set(&[assignment]).unwrap_or_else(|e| panic!("{assignment}: {e}"));
            // What was set is what the tenant now has.
            let (field, value) = assignment.split_once('=').unwrap();
            let stored: serde_json::Value = serde_json::from_str(&settings.to_json()).unwrap();
            let expected: serde_json::Value = serde_json::from_str(value).unwrap();
            assert_eq!(
                stored[field].as_f64(),
                expected.as_f64(),
                "{assignment} gave {stored}"
            );
        }
        for assignment in *refused_values {
            let message = refused(&[assignment]);
            assert!(message.starts_with(name), "{assignment}: {message}");
        }
    }
}

/// Settings read back from the store are checked the same way: a stored value out of range is
/// an error, not a tenant running with it; a stored value in range is kept as it was.
#[test]
fn stored_settings_are_checked_when_read() {
    for (_, refused_values, name) in RANGES {
        for assignment in *refused_values {
            let (field, value) = assignment.split_once('=').unwrap();
            let json = format!("{{\"{field}\":{value}}}");
            match TenantSettings::from_json(&json) {
                Err(SettingsError::OutOfRange(message)) => {
                    assert!(message.starts_with(name), "{json}: {message}")
                }
                other => panic!("{json} was read as {other:?}"),
            }
        }
    }
    let mut custom = set(&[
        "auto_enroll=false",
        "default_quality=3",
        "result_threshold=42.5",
        "max_users=7",
    ])
    .unwrap();
    let read = TenantSettings::from_json(&custom.to_json()).unwrap();
    assert_eq!(read, custom);
    assert_ne!(read, TenantSettings::default());
    custom.max_users = 8;
    assert_ne!(TenantSettings::from_json(&custom.to_json()).unwrap(), read);
}

/// The defaults a new tenant gets are themselves within range, and an empty stored object
/// reads as them.
#[test]
fn defaults_are_valid_and_an_empty_object_reads_as_them() {
    assert_eq!(
        TenantSettings::from_json("{}").unwrap(),
        TenantSettings::default()
    );
    assert_eq!(set(&[]).unwrap(), TenantSettings::default());
}
