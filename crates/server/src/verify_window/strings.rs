//! Every text the window shows, in one table per language. Only English exists; a language
//! the payload asks for that has no table falls back to it (as TypingDNA's window does).

use serde::Serialize;

/// The window's texts. Server-rendered ones are used in `page`; the ones the window's script
/// needs travel to it as JSON in the page.
#[derive(Debug, Serialize)]
pub struct Strings {
    pub lang: &'static str,
    pub title: &'static str,
    /// `{domain}` is replaced by the application's domain.
    pub heading: &'static str,
    pub loading: &'static str,
    pub type_label: &'static str,
    pub enrol_intro: &'static str,
    pub verify_intro: &'static str,
    /// `{received}` and `{texts}`.
    pub enrol_progress: &'static str,
    pub recording: &'static str,
    /// `{typed}` and `{total}`.
    pub typed_progress: &'static str,
    pub paste_disabled: &'static str,
    pub submit_text: &'static str,
    pub new_text: &'static str,
    pub use_code: &'static str,
    /// `{to}`: the masked address.
    pub code_sent: &'static str,
    pub code_sent_enrol: &'static str,
    pub code_label: &'static str,
    pub submit_code: &'static str,
    pub not_matched: &'static str,
    pub not_matched_code: &'static str,
    pub code_incorrect: &'static str,
    pub text_incomplete: &'static str,
    pub verified: &'static str,
    pub verified_close: &'static str,
    pub your_code: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub error_heading: &'static str,
    pub mobile_notice: &'static str,
    // Refusals (see `error::WindowError::message`).
    pub err_missing_fields: &'static str,
    pub err_application: &'static str,
    pub err_client: &'static str,
    pub err_origin_missing: &'static str,
    /// `{origin}` and `{domain}`.
    pub err_origin: &'static str,
    pub err_payload: &'static str,
    pub err_payload_body: &'static str,
    pub err_expired: &'static str,
    pub err_replayed: &'static str,
    pub err_identifier: &'static str,
    pub err_not_enabled: &'static str,
    pub err_no_factor: &'static str,
    pub err_attempts: &'static str,
    pub err_session: &'static str,
    pub err_session_ended: &'static str,
    pub err_wrong_text: &'static str,
    pub err_too_many_codes: &'static str,
    pub err_delivery: &'static str,
    pub err_show_otp_iframe: &'static str,
    pub err_recorder: &'static str,
    pub err_internal: &'static str,
}

pub const EN: Strings = Strings {
    lang: "en",
    title: "Verify it's you",
    heading: "Verify it's you on {domain}",
    loading: "Loading…",
    type_label: "Type the text above",
    enrol_intro: "First time here: type a few short texts so we learn how you type. We also sent you a code to confirm it is you.",
    verify_intro: "Type the text below. How you type it confirms it is you.",
    enrol_progress: "Text {received} of {texts}",
    recording: "Your typing rhythm is being recorded",
    typed_progress: "{typed} of {total} characters",
    paste_disabled: "Pasting is turned off here: the text has to be typed, because the typing is what is checked.",
    submit_text: "Continue",
    new_text: "Give me another text",
    use_code: "Send me a code instead",
    code_sent: "We sent a code to {to}. Enter it below.",
    code_sent_enrol: "Enter the code we sent to {to} to finish.",
    code_label: "Code",
    submit_code: "Verify code",
    not_matched: "That did not match how you usually type. Try this new text.",
    not_matched_code: "That did not match how you usually type, so we sent you a code instead.",
    code_incorrect: "That code is not right. Check it and try again.",
    text_incomplete: "Type the whole text exactly as shown, then continue.",
    verified: "Verified.",
    verified_close: "Verified. This window closes now.",
    your_code: "Your one-time code. Copy it into the page you came from:",
    copy: "Copy code",
    copied: "Copied.",
    error_heading: "This verification cannot continue",
    mobile_notice: "On this device we use a code instead of typing.",
    err_missing_fields: "This window was opened without its data (client id, application id and payload). Open it from the site's Verify button.",
    err_application: "This application is unknown or no longer active.",
    err_client: "The client id does not match the application.",
    err_origin_missing: "This window must be opened by the site's page (its origin is missing).",
    err_origin: "The page at {origin} is not the registered site of this application ({domain}). Nothing is sent to it.",
    err_payload: "The verification data could not be read with this application's key (it belongs to another application or was altered).",
    err_payload_body: "The verification data is malformed.",
    err_expired: "This verification request has expired. Reload the page and try again.",
    err_replayed: "This verification request was already used. Reload the page to start a new one.",
    err_identifier: "The verification data names no valid e-mail address, phone number or id.",
    err_not_enabled: "Typing verification is not enabled for this application.",
    err_no_factor: "There is no way to verify this account here: it has no typing enrolment and no e-mail address or phone number to send a code to.",
    err_attempts: "Too many attempts. Start again later.",
    err_session: "This verification session is unknown.",
    err_session_ended: "This verification session has ended. Start again from the site.",
    err_wrong_text: "The typing was not of the text shown.",
    err_too_many_codes: "Too many codes were sent to this account. Try again later.",
    err_delivery: "The code could not be delivered. Try again later.",
    err_show_otp_iframe: "Showing the code is only available in the pop-up window, not in an embedded frame.",
    err_recorder: "The typing recorder is not available on this server.",
    err_internal: "Something went wrong on the server. Try again later.",
};

/// The table for a language code (case-insensitive); English when there is none.
pub fn for_language(_language: Option<&str>) -> &'static Strings {
    &EN
}

/// `{name}` placeholders replaced in order.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}
