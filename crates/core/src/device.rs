//! Device detection: `isMobile`, the device signature (§5.2/§5.3 of the recorder spec) and
//! `checkEnvironment` (§8.7). PLACEHOLDER API: being implemented; bodies are replaced.

use crate::env::Environment;

/// Browser-object markers `checkEnvironment` looks at (read by the wasm shell from `window`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrowserMarkers {}

/// `isMobile()` (§8.6): the detectmobilebrowsers expressions of Appendix A.1/A.2.
pub fn is_mobile(user_agent: &str) -> bool {
    let _ = user_agent;
    todo!("device helper")
}

/// The 20-field device signature (§5.2). `captured_*` are the values read at construction.
pub fn device_signature(
    captured_user_agent: &str,
    captured_platform: &str,
    env: &Environment,
    mobile: bool,
    press_calculated: bool,
) -> [f64; 20] {
    let _ = (captured_user_agent, captured_platform, env, mobile, press_calculated);
    todo!("device helper")
}
