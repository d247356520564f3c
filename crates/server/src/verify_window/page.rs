//! The window's HTML, rendered on the server, and the headers every window page carries: a
//! strict Content-Security-Policy (scripts and styles from this server only, wasm allowed for
//! the recorder, no inline code) whose `frame-ancestors` is the page's registered origin, and
//! nothing cached or referred.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keycadence_otp::payload::Flow;
use keycadence_signin::Device;

use super::open::{Audience, OpenedWindow};
use super::strings::{fill, Strings};
use crate::routes::RECORDER_SCRIPT_PATH;

/// The window's own script and style (served by `routes`).
pub const WINDOW_SCRIPT_PATH: &str = "/verify-2fa/window.js";
pub const WINDOW_STYLE_PATH: &str = "/verify-2fa/window.css";

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The strings the window's script needs, as JSON safe inside a `<script>` data block.
fn strings_json(s: &Strings) -> String {
    serde_json::to_string(s)
        .unwrap_or_default()
        .replace('<', "\\u003c")
}

/// `frame-ancestors`: the page's origin, or nobody while it is not known.
fn csp(audience: &Audience) -> String {
    let ancestors = audience.origin.as_deref().unwrap_or("'none'");
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; \
         frame-ancestors {ancestors}"
    )
}

fn respond(status: StatusCode, html: String, audience: &Audience) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(headers, header::CONTENT_TYPE, "text/html; charset=utf-8");
    set(headers, header::CONTENT_SECURITY_POLICY, &csp(audience));
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    response
}

fn document(s: &Strings, domain: &str, compact: bool, main_attrs: &str, body: &str) -> String {
    let heading = escape(&fill(s.heading, &[("domain", domain)]));
    let class = if compact { "compact" } else { "standard" };
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{style}\"></head>\
         <body class=\"{class}\"><main id=\"kc-window\" {main_attrs}>\
         <h1>{heading}</h1>{body}</main>\
         <script type=\"application/json\" id=\"kc-strings\">{strings}</script>\
         <script src=\"{recorder}\"></script><script src=\"{script}\"></script></body></html>\n",
        lang = s.lang,
        title = escape(s.title),
        style = WINDOW_STYLE_PATH,
        strings = strings_json(s),
        recorder = RECORDER_SCRIPT_PATH,
        script = WINDOW_SCRIPT_PATH,
    )
}

/// The sections the script shows one at a time (all hidden until it starts).
fn sections(s: &Strings, mobile: bool) -> String {
    let mobile_notice = if mobile {
        format!("<p class=\"notice\">{}</p>", escape(s.mobile_notice))
    } else {
        String::new()
    };
    format!(
        "<p id=\"kc-status\" role=\"status\" aria-live=\"polite\">{loading}</p>\
         {mobile_notice}\
         <section id=\"kc-type\" hidden aria-labelledby=\"kc-text-label\">\
           <p id=\"kc-intro\"></p>\
           <p id=\"kc-progress\"></p>\
           <p id=\"kc-text\" class=\"to-type\" aria-describedby=\"kc-intro\"></p>\
           <label id=\"kc-text-label\" for=\"kc-typing\">{type_label}</label>\
           <input id=\"kc-typing\" type=\"text\" autocomplete=\"off\" autocorrect=\"off\" \
             autocapitalize=\"off\" spellcheck=\"false\" aria-describedby=\"kc-recording kc-paste\">\
           <p id=\"kc-recording\" class=\"recording\"><span class=\"dot\" aria-hidden=\"true\"></span>\
             {recording} · <span id=\"kc-typed\"></span></p>\
           <p id=\"kc-paste\" class=\"paste\" hidden>{paste}</p>\
           <div class=\"actions\"><button id=\"kc-submit-text\" type=\"button\">{submit_text}</button>\
             <button id=\"kc-use-code\" type=\"button\" class=\"link\" hidden>{use_code}</button></div>\
         </section>\
         <section id=\"kc-code\" hidden>\
           <p id=\"kc-code-intro\"></p>\
           <label for=\"kc-code-input\">{code_label}</label>\
           <input id=\"kc-code-input\" type=\"text\" inputmode=\"numeric\" autocomplete=\"one-time-code\">\
           <div class=\"actions\"><button id=\"kc-submit-code\" type=\"button\">{submit_code}</button></div>\
         </section>\
         <section id=\"kc-done\" hidden>\
           <p id=\"kc-done-text\"></p>\
           <p id=\"kc-otp\" class=\"otp\" hidden></p>\
           <button id=\"kc-copy\" type=\"button\" hidden>{copy}</button>\
         </section>\
         <section id=\"kc-error\" hidden role=\"alert\"><h2>{error_heading}</h2><p id=\"kc-error-text\"></p></section>",
        loading = escape(s.loading),
        type_label = escape(s.type_label),
        recording = escape(s.recording),
        paste = escape(s.paste_disabled),
        submit_text = escape(s.submit_text),
        use_code = escape(s.use_code),
        code_label = escape(s.code_label),
        submit_code = escape(s.submit_code),
        copy = escape(s.copy),
        error_heading = escape(s.error_heading),
    )
}

/// A window that runs: the session's id and token for the script, the flow and where results
/// go.
pub fn window(
    s: &Strings,
    opened: &OpenedWindow,
    audience: &Audience,
    compact: bool,
    embedded: bool,
) -> Response {
    let flow = match opened.flow {
        Flow::Standard => "standard",
        Flow::ShowOtp => "show_otp",
    };
    let attrs = format!(
        "data-session=\"{session}\" data-token=\"{token}\" data-flow=\"{flow}\" \
         data-origin=\"{origin}\" data-embedded=\"{embedded}\"",
        session = escape(&opened.session),
        token = escape(&opened.token),
        origin = escape(audience.origin.as_deref().unwrap_or_default()),
    );
    let domain = audience.domain.as_deref().unwrap_or_default();
    let html = document(
        s,
        domain,
        compact,
        &attrs,
        &sections(s, opened.device == Device::Mobile),
    );
    respond(StatusCode::OK, html, audience)
}

/// A refusal: the reason in the window, and for a page known to be the application's the
/// documented error, which the script posts to it.
pub fn refusal(
    s: &Strings,
    status: StatusCode,
    code: u16,
    message: &str,
    audience: &Audience,
    compact: bool,
) -> Response {
    let attrs = format!(
        "data-error-code=\"{code}\" data-error=\"{message}\" data-origin=\"{origin}\"",
        message = escape(message),
        origin = escape(audience.origin.as_deref().unwrap_or_default()),
    );
    let body = format!(
        "<section id=\"kc-error\" role=\"alert\"><h2>{heading}</h2>\
         <p id=\"kc-error-text\">{message}</p></section>",
        heading = escape(s.error_heading),
        message = escape(message),
    );
    let domain = audience.domain.as_deref().unwrap_or("—");
    respond(
        status,
        document(s, domain, compact, &attrs, &body),
        audience,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_strings_cannot_close_the_script() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(!strings_json(&super::super::strings::EN).contains('<'));
    }

    #[test]
    fn frames_only_from_the_page_origin() {
        let mut audience = Audience::default();
        assert!(csp(&audience).ends_with("frame-ancestors 'none'"));
        audience.origin = Some("https://shop.example.com".into());
        assert!(csp(&audience).ends_with("frame-ancestors https://shop.example.com"));
        assert!(csp(&audience).contains("script-src 'self' 'wasm-unsafe-eval';"));
    }
}
