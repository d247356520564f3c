//! The window's own calls as the page receives them: the step to show (`{step: "type", text,
//! …}` or `{step: "code", to, …}`, with `notice` after a failed attempt) or `{step: "done",
//! otp}`. Built from the sign-in's view (`crate::signin::wire`).

use keycadence_signin::Device;
use serde_json::{json, Value};

use super::service::{Decision, WindowStep};
use crate::signin::error::SignInFailure;
use crate::signin::wire;

/// The JSON of a step.
pub fn step(step: &WindowStep) -> Value {
    match step {
        WindowStep::Done { otp } => json!({"step": "done", "otp": otp}),
        WindowStep::Show {
            sign_in,
            decision,
            attempt,
        } => {
            let device = sign_in.record.state.at(sign_in.at).device;
            let mut shown = step_view(&wire::view(sign_in), *decision, device);
            if let Some(failed) = attempt {
                shown["notice"] = failed.map_or(Value::Null, |error| {
                    Value::from(SignInFailure::State(error).wire().0)
                });
            }
            shown
        }
    }
}

/// The step the window shows, from the sign-in's view.
fn step_view(view: &Value, decision: Decision, device: Device) -> Value {
    let verification = &view["second_factor_verification"];
    let enrolment = &view["typing_enrolment"];
    match decision {
        Decision::Type => json!({
            "step": "type",
            "purpose": verification["purpose"],
            "text": verification["text"],
            "enrolment": enrolment,
            "can_use_code": enrolment.is_null()
                && view["supported_second_factors"].as_array().is_some_and(|all| {
                    all.iter().any(|f| f["strategy"] != "typing")
                }),
        }),
        _ => {
            // The code's address: the strategy being verified, else (enrolment, where the
            // texts came last) the first code strategy on offer.
            let strategy = verification["strategy"].as_str().unwrap_or_default();
            let factors = view["supported_second_factors"].as_array();
            let to = factors
                .and_then(|all| {
                    all.iter()
                        .find(|f| f["strategy"] == strategy && !f["safe_identifier"].is_null())
                        .or_else(|| all.iter().find(|f| !f["safe_identifier"].is_null()))
                })
                .map(|f| f["safe_identifier"].clone())
                .unwrap_or(Value::Null);
            json!({
                "step": "code",
                "to": to,
                "enrolment": !enrolment.is_null(),
                "mobile": device == Device::Mobile,
            })
        }
    }
}
