//! Device detection: `isMobile`, the 20-field device signature
//! (`getDeviceSignature` and `getOSBrowserMobile`) and `checkEnvironment`,
//! reproducing typingdna.js v3.2 field for field, quirks included.

use crate::env::Environment;
use crate::js::{self, push_number};
use crate::text_id::text_id;

/// The reference's mobile expression: the detectmobilebrowsers.com one plus
/// `android|ipad|playbook|silk`, tested against the whole user agent.
const MOBILE_EXPRESSION: &str = r"/(android|bb\d+|meego).+mobile|avantgo|bada\/|blackberry|blazer|compal|elaine|fennec|hiptop|iemobile|ip(hone|od)|iris|kindle|lge |maemo|midp|mmp|mobile.+firefox|netfront|opera m(ob|in)i|palm( os)?|phone|p(ixi|re)\/|plucker|pocket|psp|series(4|6)0|symbian|treo|up\.(browser|link)|vodafone|wap|windows ce|xda|xiino|android|ipad|playbook|silk/i";

/// The reference's second mobile expression, tested against the first four UTF-16 units only.
const MOBILE_PREFIX_EXPRESSION: &str = r"/1207|6310|6590|3gso|4thp|50[1-6]i|770s|802s|a wa|abac|ac(er|oo|s\-)|ai(ko|rn)|al(av|ca|co)|amoi|an(ex|ny|yw)|aptu|ar(ch|go)|as(te|us)|attw|au(di|\-m|r |s )|avan|be(ck|ll|nq)|bi(lb|rd)|bl(ac|az)|br(e|v)w|bumb|bw\-(n|u)|c55\/|capi|ccwa|cdm\-|cell|chtm|cldc|cmd\-|co(mp|nd)|craw|da(it|ll|ng)|dbte|dc\-s|devi|dica|dmob|do(c|p)o|ds(12|\-d)|el(49|ai)|em(l2|ul)|er(ic|k0)|esl8|ez([4-7]0|os|wa|ze)|fetc|fly(\-|_)|g1 u|g560|gene|gf\-5|g\-mo|go(\.w|od)|gr(ad|un)|haie|hcit|hd\-(m|p|t)|hei\-|hi(pt|ta)|hp( i|ip)|hs\-c|ht(c(\-| |_|a|g|p|s|t)|tp)|hu(aw|tc)|i\-(20|go|ma)|i230|iac( |\-|\/)|ibro|idea|ig01|ikom|im1k|inno|ipaq|iris|ja(t|v)a|jbro|jemu|jigs|kddi|keji|kgt( |\/)|klon|kpt |kwc\-|kyo(c|k)|le(no|xi)|lg( g|\/(k|l|u)|50|54|\-[a-w])|libw|lynx|m1\-w|m3ga|m50\/|ma(te|ui|xo)|mc(01|21|ca)|m\-cr|me(rc|ri)|mi(o8|oa|ts)|mmef|mo(01|02|bi|de|do|t(\-| |o|v)|zz)|mt(50|p1|v )|mwbp|mywa|n10[0-2]|n20[2-3]|n30(0|2)|n50(0|2|5)|n7(0(0|1)|10)|ne((c|m)\-|on|tf|wf|wg|wt)|nok(6|i)|nzph|o2im|op(ti|wv)|oran|owg1|p800|pan(a|d|t)|pdxg|pg(13|\-([1-8]|c))|phil|pire|pl(ay|uc)|pn\-2|po(ck|rt|se)|prox|psio|pt\-g|qa\-a|qc(07|12|21|32|60|\-[2-7]|i\-)|qtek|r380|r600|raks|rim9|ro(ve|zo)|s55\/|sa(ge|ma|mm|ms|ny|va)|sc(01|h\-|oo|p\-)|sdk\/|se(c(\-|0|1)|47|mc|nd|ri)|sgh\-|shar|sie(\-|m)|sk\-0|sl(45|id)|sm(al|ar|b3|it|t5)|so(ft|ny)|sp(01|h\-|v\-|v )|sy(01|mb)|t2(18|50)|t6(00|10|18)|ta(gt|lk)|tcl\-|tdg\-|tel(i|m)|tim\-|t\-mo|to(pl|sh)|ts(70|m\-|m3|m5)|tx\-9|up(\.b|g1|si)|utst|v400|v750|veri|vi(rg|te)|vk(40|5[0-3]|\-v)|vm40|voda|vulc|vx(52|53|60|61|70|80|81|83|85|98)|w3c(\-| )|webc|whit|wi(g |nc|nw)|wmlb|wonu|x700|yas\-|your|zeto|zte\-/i";

/// The reference's tablet expression: "tablet" in the device signature (`getOSBrowserMobile`'s
/// device type).
const TABLET_EXPRESSION: &str = r"/(ipad|tablet|(android(?!.*mobile))|(windows(?!.*phone)(.*touch))|kindle|playbook|silk|(puffin(?!.*(IP|AP|WP))))/i";

/// The reference recorder's user-agent expressions (JavaScript regular-expression literals).
/// With `browser-js` the browser's `RegExp` runs them: `js/primitives.js` holds the same
/// literals, by index (a test checks that they are the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAgentExpression {
    /// The detectmobilebrowsers.com expression plus `android|ipad|playbook|silk`, tested
    /// against the whole user agent.
    Mobile = 0,
    /// The second mobile expression, tested against the first four UTF-16 units only
    /// (`ua.substr(0, 4)`).
    MobilePrefix = 1,
    /// "tablet" in the device signature (`getOSBrowserMobile`'s device type).
    Tablet = 2,
}

impl UserAgentExpression {
    /// Every expression, in index order.
    pub const ALL: [UserAgentExpression; 3] = [
        UserAgentExpression::Mobile,
        UserAgentExpression::MobilePrefix,
        UserAgentExpression::Tablet,
    ];

    /// The expression as the JavaScript literal the reference writes (`/body/flags`).
    pub const fn literal(self) -> &'static str {
        match self {
            UserAgentExpression::Mobile => MOBILE_EXPRESSION,
            UserAgentExpression::MobilePrefix => MOBILE_PREFIX_EXPRESSION,
            UserAgentExpression::Tablet => TABLET_EXPRESSION,
        }
    }
}

/// Browser-object markers `checkEnvironment` looks at (read by the wasm shell from `window`,
/// `document` and `navigator`). Each field documents the JavaScript expression it stands for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrowserMarkers {
    /// `!!window.chrome && (!!window.chrome.webstore || !!window.chrome.runtime ||
    /// !!window.chrome.loadTimes)`.
    pub chrome_api: bool,
    /// `!!window.opr && !!window.opr.addons` (Chromium-based Opera).
    pub opera_addons: bool,
    /// `!!window.opera` (Presto-based Opera).
    pub window_opera: bool,
    /// `!!window.CSS`.
    pub window_css: bool,
    /// `typeof InstallTrigger !== 'undefined'` (Firefox).
    pub install_trigger: bool,
    /// `/*@cc_on!@*/false || !!document.documentMode` (Internet Explorer).
    pub document_mode: bool,
    /// `!!window.StyleMedia` (legacy Edge).
    pub style_media: bool,
    /// `/constructor/i.test(window.HTMLElement)` (old Safari's `HTMLElementConstructor`).
    pub html_element_constructor: bool,
    /// `String(safari.pushNotification) === "[object SafariRemoteNotification]"`, with
    /// `window.safari` truthy. (When `window.safari` is truthy but has no `pushNotification`,
    /// the reference throws a TypeError out of `checkEnvironment`; that case is not reproduced:
    /// set this to false and the user-agent test decides.)
    pub safari_push_notification: bool,
}

/// What `checkEnvironment()` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvironmentCheck {
    /// `'blink'`, `'opera'`, `'firefox'`, `'internet explorer'`, `'edge'`, `'edge chromium'`,
    /// `'chrome'`, `'safari'` or `''`.
    pub browser_type: &'static str,
    /// Whether the user agent is a mobile browser's (the recorder then builds mobile patterns).
    pub is_mobile: bool,
    /// Mobile only: `window.DeviceMotionEvent !== undefined`.
    pub has_motion_sensors: bool,
    /// Mobile only: motion sensors exist and `DeviceMotionEvent.requestPermission` is a function
    /// (iOS 13+; the page must ask, the recorder never does).
    pub needs_permission_for_motion_sensors: bool,
}

/// `isMobile()`: `MOBILE_EXPRESSION` anywhere in the user agent, or `MOBILE_PREFIX_EXPRESSION`
/// within its first four UTF-16 units.
///
/// The reference tests `navigator.userAgent || navigator.vendor || window.opera`: callers pass
/// the first of those that is a non-empty string.
pub fn is_mobile(user_agent: &str) -> bool {
    js::user_agent_test(UserAgentExpression::Mobile, user_agent)
        || js::user_agent_test(UserAgentExpression::MobilePrefix, user_agent)
}

/// [`is_mobile`] by the core's own expression matcher (`rust-js`), whatever the build's
/// primitives are.
#[cfg(feature = "rust-js")]
pub fn is_mobile_in_rust(user_agent: &str) -> bool {
    crate::ua_regex::test(UserAgentExpression::Mobile, user_agent)
        || crate::ua_regex::test(UserAgentExpression::MobilePrefix, user_agent)
}

/// What the device signature reads from the user agent and platform captured at construction,
/// worked out once: `getOSBrowserMobile` up to its device-type step, which also reads the screen as
/// it is when a pattern is made.
#[derive(Clone, Debug, PartialEq)]
pub struct CapturedDevice {
    os: u32,
    os_version: f64,
    browser: u32,
    browser_version: f64,
    /// 1 pc, 2 phone, 3 tablet, before the tablet expression is tested.
    device_type: u32,
    /// The test of `TABLET_EXPRESSION`, made only where the reference makes it: for mobile
    /// user agents not already known to be tablets.
    tablet_user_agent: bool,
    /// `IEMobile` in the user agent (field 3).
    iemobile: bool,
}

impl CapturedDevice {
    /// `getOSBrowserMobile`'s OS, browser and version steps for `navigator.userAgent` and
    /// `navigator.platform` as read at construction; `mobile` is the cached `isMobile()`.
    ///
    /// With `browser-js` on a wasm target, the browser runs these steps as the reference wrote
    /// them, with its own `includes`, `RegExp` and `split` (`detectDevice` in js/primitives.js,
    /// which a wasm test compares with [`CapturedDevice::detect_in_rust`]): they are a kilobyte
    /// less to download that way. Elsewhere they are [`CapturedDevice::detect_in_rust`].
    pub fn detect(ua: &str, platform: &str, mobile: bool) -> CapturedDevice {
        #[cfg(all(feature = "browser-js", target_family = "wasm"))]
        {
            let [os, os_version, browser, browser_version, device_type, tablet, iemobile] =
                js::detect_device(ua, platform, mobile);
            CapturedDevice {
                os: os as u32,
                os_version,
                browser: browser as u32,
                browser_version,
                device_type: device_type as u32,
                tablet_user_agent: tablet != 0.0,
                iemobile: iemobile != 0.0,
            }
        }
        #[cfg(not(all(feature = "browser-js", target_family = "wasm")))]
        Self::detect_in_rust(ua, platform, mobile)
    }

    /// [`CapturedDevice::detect`] implemented in Rust, its expression matcher included
    /// (`rust-js`).
    #[cfg(feature = "rust-js")]
    pub fn detect_in_rust(ua: &str, platform: &str, mobile: bool) -> CapturedDevice {
        let mut platform = platform;
        let mut os = 0;
        let mut browser = 0;
        // The reference keeps the version as a string; "" and the initial 0 are both falsy and
        // both convert to 0, so "" stands for either.
        let mut version = "";
        let mut device_type = 1; // 1 pc, 2 phone, 3 tablet

        // Step 1: the browser chain (case-sensitive, first hit wins).
        if js::includes(ua, "MSIE") {
            browser = 4;
            if js::includes(ua, "IEMobile") {
                device_type = 2;
            }
            version = msie_major(ua).unwrap_or(version);
        } else if js::includes(ua, "Edge") {
            browser = 6;
            version = major_after(ua, "Edge/").unwrap_or(version);
        } else if js::includes(ua, "Chrome") {
            if js::includes(ua, "CrOS") {
                platform = "CrOS";
            }
            browser = 1;
            version = major_after(ua, "Chrome/").unwrap_or(version);
        } else if js::includes(ua, "Opera") {
            browser = 3;
            if js::includes(ua, "mini") || js::includes(ua, "Mobile") {
                device_type = 2;
            }
        } else if js::includes(ua, "Android") {
            browser = 7;
            device_type = 2;
            os = 6;
        } else if js::includes(ua, "Firefox") {
            browser = 2;
            if js::includes(ua, "Fennec") {
                device_type = 2;
            }
            version = major_after(ua, "Firefox/").unwrap_or(version);
        } else if js::includes(ua, "Safari") {
            browser = 5;
            if js::includes(ua, "iPhone") || js::includes(ua, "iPad") || js::includes(ua, "iPod") {
                os = 5;
                device_type = if js::includes(ua, "iPad") { 3 } else { 2 };
            }
        }

        // Step 2: fall back to `Version/` then `Opera/`.
        if version.is_empty() {
            version = major_after(ua, "Version/")
                .or_else(|| major_after(ua, "Opera/"))
                .unwrap_or(version);
        }

        // Step 3: the OS from the platform.
        let mut os_version = 0.0;
        if platform == "MacIntel" || platform == "MacPPC" {
            os = 2;
            if let Some(digits) = mac_os_version(ua) {
                os_version = number_from_digits(&digits);
            }
        } else if platform == "CrOS" {
            os = 4;
        } else if platform == "Win32" || platform == "Win64" {
            os = 1;
        } else if os == 0 && js::includes(ua, "Android") {
            os = 6;
        } else if os == 0 && js::includes(platform, "Linux") {
            os = 3;
        } else if os == 0 && js::includes(ua, "Windows") {
            os = 1;
        }

        CapturedDevice {
            os,
            os_version,
            browser,
            browser_version: number_from_digits(version),
            device_type,
            tablet_user_agent: device_type != 3
                && mobile
                && crate::ua_regex::test(UserAgentExpression::Tablet, ua),
            iemobile: js::includes(ua, "IEMobile"),
        }
    }

    /// Step 4: phone or tablet, for mobile user agents not already known to be tablets, by the
    /// user agent or the screen as it is now.
    fn device_type(&self, env: &Environment, mobile: bool) -> u32 {
        if self.device_type == 3 || !mobile {
            return self.device_type;
        }
        let (width, height) = (env.screen_width, env.screen_height);
        let large = if portrait(env) {
            height > 767 && width > 480
        } else {
            width > 767 && height > 480
        };
        if self.tablet_user_agent || ((self.os == 6 || self.os == 0) && large) {
            3
        } else if self.os == 1 {
            if env.ms_pointer_touch {
                3
            } else {
                self.device_type
            }
        } else {
            2
        }
    }

    /// The 20-field device signature, with everything but the captured user agent and
    /// platform from `env` as it is now. `mobile` is the cached `isMobile()`;
    /// `press_calculated` says whether a press time was ever derived from motion data.
    pub fn signature(&self, env: &Environment, mobile: bool, press_calculated: bool) -> [f64; 20] {
        signature_with_hash(&self.signature_fields(env, mobile, press_calculated))
    }

    /// The signature's first 19 fields: the last one is their hash.
    pub fn signature_fields(
        &self,
        env: &Environment,
        mobile: bool,
        press_calculated: bool,
    ) -> [f64; 19] {
        let orientation_or_iemobile = env.has_orientation || self.iemobile;
        // `Number('ontouchstart' in window || navigator.maxTouchPoints || DocumentTouch... ||
        // false) + 1`: a touch laptop with 10 points gives 11 (quirk Q7).
        let touch = if env.ontouchstart {
            1
        } else if env.max_touch_points != 0 {
            env.max_touch_points
        } else {
            u32::from(env.document_touch)
        };
        // `getPressType`: `pressRecorded` is never set by the reference (quirk Q14).
        let press_type = match (mobile, press_calculated) {
            (false, _) => 1,
            (true, true) => 2,
            (true, false) => 0,
        };
        [
            f64::from(self.device_type(env, mobile)),
            0.0, // deviceModel
            0.0, // deviceId
            if orientation_or_iemobile { 2.0 } else { 1.0 },
            f64::from(self.os),
            1.0, // programmingLanguage: JavaScript
            env.language
                .as_deref()
                .map_or(0.0, |l| f64::from(text_id(l))),
            f64::from(touch) + 1.0,
            f64::from(press_type),
            0.0, // keyboardInput
            0.0, // keyboardType
            0.0, // pointerInput
            f64::from(self.browser),
            f64::from(env.screen_width),
            f64::from(env.screen_height),
            if portrait(env) { 1.0 } else { 2.0 },
            self.os_version,
            self.browser_version,
            0.0, // cookieId
        ]
    }
}

/// The 20-field device signature: `fields` and, last, their hash (`fnv1aHash` of the fields
/// joined with `-`).
pub fn signature_with_hash(fields: &[f64; 19]) -> [f64; 20] {
    let mut signature = [0.0; 20];
    signature[..19].copy_from_slice(fields);
    let mut joined = String::with_capacity(96);
    for (i, &field) in fields.iter().enumerate() {
        if i > 0 {
            joined.push('-');
        }
        push_number(&mut joined, field);
    }
    // `fnv1aHash` lower-cases its input, which only matters for "NaN" or "Infinity" fields.
    signature[19] = f64::from(text_id(&joined));
    signature
}

/// `screen.height >= screen.width`.
fn portrait(env: &Environment) -> bool {
    env.screen_height >= env.screen_width
}

/// `Number(s)` for the ASCII-digit strings the detection produces ("" gives 0, very long runs
/// give large numbers or Infinity, as in JavaScript).
#[cfg(feature = "rust-js")]
fn number_from_digits(digits: &str) -> f64 {
    if digits.is_empty() {
        0.0
    } else {
        crate::js::string_to_number(digits)
    }
}

/// `/<prefix>[\d.]+/.exec(ua)[0].split('/')[1].split('.')[0]`: the digits after the leftmost
/// `prefix` that is followed by at least one digit or dot, up to the first dot (possibly empty).
/// `prefix` ends with '/', so occurrences cannot overlap.
#[cfg(feature = "rust-js")]
fn major_after<'a>(ua: &'a str, prefix: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = js::index_of(ua, prefix, from) {
        let start = found + prefix.len();
        if run_end(ua, start, b".") > start {
            return Some(&ua[start..run_end(ua, start, b"")]);
        }
        from = found + 1;
    }
    None
}

/// `/MSIE \d+[.]\d+/.exec(ua)[0].split(' ')[1].split('.')[0]`.
#[cfg(feature = "rust-js")]
fn msie_major(ua: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(found) = js::index_of(ua, "MSIE ", from) {
        let start = found + "MSIE ".len();
        let end = run_end(ua, start, b"");
        if end > start
            && ua.as_bytes().get(end) == Some(&b'.')
            && run_end(ua, end + 1, b"") > end + 1
        {
            return Some(&ua[start..end]);
        }
        from = found + 1;
    }
    None
}

/// macOS version digits: the leftmost `/10[\.\_\d]+/` match, `.split('.', 2).join('')`, then,
/// if it has an underscore, `.split('_').slice(0, 2).join('')` ("10_15_7" and "10.15" give
/// "1015").
#[cfg(feature = "rust-js")]
fn mac_os_version(ua: &str) -> Option<String> {
    let mut from = 0;
    let found = loop {
        let at = js::index_of(ua, "10", from)?;
        let end = run_end(ua, at + 2, b"._");
        if end > at + 2 {
            break &ua[at..end];
        }
        from = at + 1;
    };
    let mut digits = first_two_parts(found, '.');
    if js::includes(&digits, "_") {
        digits = first_two_parts(&digits, '_');
    }
    Some(digits)
}

/// `text.split(separator).slice(0, 2).join('')`.
#[cfg(feature = "rust-js")]
fn first_two_parts(text: &str, separator: char) -> String {
    let mut joined = String::new();
    let mut separators = 0;
    for c in text.chars() {
        if c == separator {
            separators += 1;
            if separators == 2 {
                break;
            }
        } else {
            joined.push(c);
        }
    }
    joined
}

/// Where the run of ASCII digits (and bytes of `also`) starting at byte `start` of `text` ends.
#[cfg(feature = "rust-js")]
fn run_end(text: &str, start: usize, also: &[u8]) -> usize {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len()
        && (bytes[end].is_ascii_digit() || also.iter().any(|&byte| byte == bytes[end]))
    {
        end += 1;
    }
    end
}

/// `checkEnvironment()`. `mobile` is the cached `isMobile()`.
pub fn check_environment(env: &Environment, mobile: bool) -> EnvironmentCheck {
    let markers = &env.browser;
    let ua = env.user_agent.as_str();
    let opera = markers.opera_addons || markers.window_opera || js::includes(ua, " OPR/");
    let browser_type = if (markers.chrome_api || opera) && markers.window_css {
        "blink"
    } else if opera {
        "opera"
    } else if markers.install_trigger {
        "firefox"
    } else if markers.document_mode {
        "internet explorer"
    } else if markers.style_media {
        "edge"
    } else if markers.chrome_api && js::includes(ua, "Edg") {
        "edge chromium"
    } else if markers.chrome_api {
        "chrome"
    } else if markers.html_element_constructor
        || markers.safari_push_notification
        || (js::includes(ua, "Safari") && !js::includes(ua, "Chrome"))
    {
        "safari"
    } else {
        ""
    };
    EnvironmentCheck {
        browser_type,
        is_mobile: mobile,
        has_motion_sensors: mobile && env.device_motion_event,
        needs_permission_for_motion_sensors: mobile
            && env.device_motion_event
            && env.motion_needs_permission,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::js::number_to_string;
    use proptest::prelude::*;

    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const IPHONE_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
    const PIXEL_CHROME: &str = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36";
    const MAC_FIREFOX: &str =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0";

    /// A desktop-like environment; touch and orientation flags are set by the callers.
    fn env(ua: &str, platform: &str, language: Option<&str>, screen: (u32, u32)) -> Environment {
        Environment {
            user_agent: ua.into(),
            platform: platform.into(),
            language: language.map(Into::into),
            screen_width: screen.0,
            screen_height: screen.1,
            ..Environment::default()
        }
    }

    /// A handheld: `'ontouchstart' in window` and `window.orientation` defined.
    fn handheld(mut env: Environment, max_touch_points: u32) -> Environment {
        env.max_touch_points = max_touch_points;
        env.ontouchstart = true;
        env.has_orientation = true;
        env
    }

    /// The signature as the recorder prints it, for an environment seen since construction.
    fn signature(env: &Environment, press_calculated: bool) -> String {
        let mobile = is_mobile(&env.user_agent);
        CapturedDevice::detect(&env.user_agent, &env.platform, mobile)
            .signature(env, mobile, press_calculated)
            .iter()
            .map(|&field| number_to_string(field))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn the_expressions_compile() {
        for expression in UserAgentExpression::ALL {
            let literal = expression.literal();
            assert!(crate::ua_regex::Regex::new(literal).is_ok(), "{literal}");
        }
    }

    /// The browser build's table (`js/primitives.js`) holds the same literals, in index order.
    #[test]
    fn the_browser_table_holds_the_same_expressions() {
        let script = include_str!("../js/primitives.js");
        let table = script
            .split_once("const USER_AGENT_EXPRESSIONS = [")
            .and_then(|(_, rest)| rest.split_once("];"))
            .expect("primitives.js has the USER_AGENT_EXPRESSIONS table")
            .0;
        let literals: Vec<&str> = table
            .lines()
            .map(|line| line.trim().trim_end_matches(','))
            .filter(|line| line.starts_with('/') && !line.starts_with("//"))
            .collect();
        let expected: Vec<&str> = UserAgentExpression::ALL
            .iter()
            .map(|e| e.literal())
            .collect();
        assert_eq!(literals, expected);
    }

    #[test]
    fn golden_vector_signatures() {
        // v01 (and every desktop vector): Chrome 120, Windows, 1920x1080, en-US, no touch.
        let desktop = env(CHROME_WINDOWS, "Win32", Some("en-US"), (1920, 1080));
        assert_eq!(desktop, Environment::desktop_chrome());
        assert_eq!(
            signature(&desktop, false),
            "1,0,0,1,1,1,902248182,1,1,0,0,0,1,1920,1080,2,0,120,0,2619031885"
        );
        // v10: iPhone Safari without motion events; v11: the same after motion-derived presses.
        let iphone = handheld(env(IPHONE_SAFARI, "iPhone", Some("en-GB"), (390, 844)), 5);
        assert_eq!(
            signature(&iphone, false),
            "2,0,0,2,5,1,916068587,2,0,0,0,0,5,390,844,1,0,17,0,1771871568"
        );
        let iphone_with_motion = Environment {
            device_motion_event: true,
            ..iphone
        };
        assert_eq!(
            signature(&iphone_with_motion, true),
            "2,0,0,2,5,1,916068587,2,2,0,0,0,5,390,844,1,0,17,0,1851673390"
        );
        // v12: Android Chrome phone.
        let mut pixel = handheld(
            env(PIXEL_CHROME, "Linux armv8l", Some("ro-RO"), (412, 915)),
            5,
        );
        pixel.device_motion_event = true;
        assert_eq!(
            signature(&pixel, false),
            "2,0,0,2,6,1,149904241,2,0,0,0,0,1,412,915,1,0,119,0,1450018012"
        );
        // v13: macOS Firefox, osVersion from "10.15".
        let mac = env(MAC_FIREFOX, "MacIntel", Some("de-DE"), (1440, 900));
        assert_eq!(
            signature(&mac, false),
            "1,0,0,1,2,1,569968953,1,1,0,0,0,2,1440,900,2,1015,121,0,2372351826"
        );
    }

    #[test]
    fn press_type_on_desktop_ignores_motion() {
        let desktop = Environment::desktop_chrome();
        assert_eq!(signature(&desktop, true), signature(&desktop, false));
    }

    /// Further environments, with the signatures the reference script v3.2 prints for them
    /// (obtained by running it on the same inputs).
    #[test]
    fn signatures_across_browsers_and_devices() {
        const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
        let en = Some("en-US");
        let mut linux_touch_laptop = env(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Linux x86_64",
            en,
            (2560, 1440),
        );
        linux_touch_laptop.max_touch_points = 10;
        let mut ipados_desktop_class = env(MAC_SAFARI, "MacIntel", en, (820, 1180));
        ipados_desktop_class.max_touch_points = 5;
        ipados_desktop_class.ontouchstart = true;
        let mut windows_phone = env("Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)", "Win32", en, (480, 800));
        windows_phone.ms_pointer_touch = true;
        let mut kindle = env("Mozilla/5.0 (Linux; U; Android 2.3.4; en-us; Kindle Fire Build/GINGERBREAD) AppleWebKit/533.1 (KHTML, like Gecko) Version/4.0 Mobile Safari/533.1 Silk/3.0", "Linux armv7l", en, (600, 1024));
        kindle.ontouchstart = true;
        let cases = [
            (
                "macOS Chrome, osVersion from 10_15_7",
                env(
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                    "MacIntel",
                    en,
                    (1512, 982),
                ),
                "1,0,0,1,2,1,902248182,1,1,0,0,0,1,1512,982,2,1015,120,0,3167970474",
            ),
            (
                "macOS Safari, version from Version/",
                env(MAC_SAFARI, "MacIntel", Some("fr-FR"), (1512, 982)),
                "1,0,0,1,2,1,1535858247,1,1,0,0,0,5,1512,982,2,1015,17,0,469386997",
            ),
            (
                "iPadOS desktop-class Safari counts as a touch pc",
                ipados_desktop_class,
                "1,0,0,1,2,1,902248182,2,1,0,0,0,5,820,1180,1,1015,17,0,1977501195",
            ),
            (
                "iPad with its own user agent",
                handheld(env("Mozilla/5.0 (iPad; CPU OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1", "iPad", en, (768, 1024)), 5),
                "3,0,0,2,5,1,902248182,2,0,0,0,0,5,768,1024,1,0,12,0,560380134",
            ),
            (
                "Android tablet: android without a later mobile",
                handheld(env("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36", "Linux armv8l", en, (800, 1280)), 10),
                "3,0,0,2,6,1,902248182,2,0,0,0,0,1,800,1280,1,0,119,0,3772087630",
            ),
            (
                "Android stock browser",
                handheld(env("Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30", "Linux armv7l", Some("ko-KR"), (320, 480)), 0),
                "2,0,0,2,6,1,3823844916,2,0,0,0,0,7,320,480,1,0,4,0,3925054300",
            ),
            (
                "Kindle Fire: tablet by name despite Mobile",
                kindle,
                "3,0,0,1,6,1,902248182,2,0,0,0,0,7,600,1024,1,0,4,0,2001629708",
            ),
            (
                "Linux Firefox on a 10-point touch laptop: touch field 11",
                linux_touch_laptop,
                "1,0,0,1,3,1,902248182,11,1,0,0,0,2,2560,1440,2,0,121,0,4038307959",
            ),
            (
                "legacy Edge",
                env("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.18363", "Win32", en, (1366, 768)),
                "1,0,0,1,1,1,902248182,1,1,0,0,0,6,1366,768,2,0,18,0,3857010386",
            ),
            (
                "Chromium Edge reads as Chrome",
                env(&format!("{CHROME_WINDOWS} Edg/120.0.2210.91"), "Win32", en, (1920, 1080)),
                "1,0,0,1,1,1,902248182,1,1,0,0,0,1,1920,1080,2,0,120,0,2619031885",
            ),
            (
                "IE 11 has no MSIE token",
                env("Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko", "Win32", en, (1280, 1024)),
                "1,0,0,1,1,1,902248182,1,1,0,0,0,0,1280,1024,2,0,0,0,1982577776",
            ),
            (
                "IE 10",
                env("Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)", "Win32", en, (1280, 1024)),
                "1,0,0,1,1,1,902248182,1,1,0,0,0,4,1280,1024,2,0,10,0,965027951",
            ),
            (
                "Windows Phone with MS pointer touch becomes a tablet",
                windows_phone,
                "3,0,0,2,1,1,902248182,1,0,0,0,0,4,480,800,1,0,10,0,3952228444",
            ),
            (
                "Presto Opera, version from Version/",
                env("Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18", "Win32", en, (1920, 1080)),
                "1,0,0,1,1,1,902248182,1,1,0,0,0,3,1920,1080,2,0,12,0,785288839",
            ),
            (
                "Opera Mini, unknown OS",
                env("Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54", "", Some("en"), (240, 320)),
                "2,0,0,1,0,1,4224896695,1,0,0,0,0,3,240,320,1,0,10,0,968802018",
            ),
            (
                "ChromeOS from the user agent",
                env("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Linux x86_64", en, (1366, 768)),
                "1,0,0,1,4,1,902248182,1,1,0,0,0,1,1366,768,2,0,120,0,3355012852",
            ),
            (
                "unknown OS on a large landscape screen is a tablet",
                env("Mozilla/5.0 (Mobile; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5", "", en, (1280, 800)),
                "3,0,0,1,0,1,902248182,1,0,0,0,0,2,1280,800,2,0,48,0,3874823993",
            ),
            (
                "Fennec on Linux is a phone",
                env("Mozilla/5.0 (Maemo; Linux armv7l; rv:10.0.1) Gecko/20100101 Firefox/10.0.1 Fennec/10.0.1", "Linux armv7l", en, (800, 480)),
                "2,0,0,1,3,1,902248182,1,0,0,0,0,2,800,480,2,0,10,0,17107653",
            ),
            (
                "navigator.language not a string",
                env(CHROME_WINDOWS, "Win32", None, (1920, 1080)),
                "1,0,0,1,1,1,0,1,1,0,0,0,1,1920,1080,2,0,120,0,51204239",
            ),
            (
                "empty navigator.language is still hashed",
                env(CHROME_WINDOWS, "Win32", Some(""), (1920, 1080)),
                "1,0,0,1,1,1,1914395348,1,1,0,0,0,1,1920,1080,2,0,120,0,3942938488",
            ),
            (
                "an empty Chrome major falls back to Version/; no screen",
                env("Mozilla/5.0 Chrome/.5 Version/7.1", "Win32", en, (0, 0)),
                "1,0,0,1,1,1,902248182,1,1,0,0,0,1,0,0,1,0,7,0,2853295735",
            ),
            (
                "an overlong version is Infinity, hashed lower-cased",
                env(&format!("Mozilla/5.0 Chrome/{}", "9".repeat(400)), "Win32", en, (1920, 1080)),
                "1,0,0,1,1,1,902248182,1,1,0,0,0,1,1920,1080,2,0,Infinity,0,1383185506",
            ),
        ];
        for (what, env, expected) in cases {
            assert_eq!(signature(&env, false), expected, "{what}");
        }
    }

    #[test]
    fn screen_and_touch_are_read_live() {
        // UA and platform are the captured ones; screen, language and touch come from `env`.
        let mut later = Environment::desktop_chrome();
        later.user_agent = "changed".into();
        later.platform = "changed".into();
        later.screen_width = 1080;
        later.screen_height = 1920;
        later.document_touch = true;
        let fields =
            CapturedDevice::detect(CHROME_WINDOWS, "Win32", false).signature(&later, false, false);
        assert_eq!(fields[4], 1.0, "OS from the captured platform");
        assert_eq!(fields[12], 1.0, "browser from the captured user agent");
        assert_eq!(fields[7], 2.0, "DocumentTouch counts as touch");
        assert_eq!((fields[13], fields[14], fields[15]), (1080.0, 1920.0, 1.0));
    }

    #[test]
    fn is_mobile_on_real_user_agents() {
        let mobile = [
            IPHONE_SAFARI,
            PIXEL_CHROME,
            "Mozilla/5.0 (iPad; CPU OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Android 13; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
            "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54",
            "Mozilla/5.0 (BB10; Touch) AppleWebKit/537.10+ (KHTML, like Gecko) Version/10.0.9.2372 Mobile Safari/537.10+",
            "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
            "Mozilla/5.0 (Linux; U; en-US) AppleWebKit/528.5+ (KHTML, like Gecko, Safari/528.5+) Version/4.0 Kindle/3.0 (screen 600x800; rotate)",
            "Mozilla/5.0 (PlayBook; U; RIM Tablet OS 2.1.0; en-US) AppleWebKit/536.2+ (KHTML, like Gecko) Version/7.2.1.0 Safari/536.2+",
            // Only the first four characters give these away (A.2).
            "Nokia6230/2.0 (04.44) Configuration/CLDC-1.1",
            "SAMSUNG-SGH-E250/1.0 Configuration/CLDC-1.1",
            "SonyEricssonK750i/R1AA Browser/SEMC-Browser/4.2",
            "LG-KU990 Obigo/Q7",
        ];
        for ua in mobile {
            assert!(is_mobile(ua), "{ua}");
        }
        let desktop = [
            CHROME_WINDOWS,
            MAC_FIREFOX,
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
            // The prefix expression only looks at the first four characters.
            "Mozilla/5.0 (X11; Linux) Nokia SonyEricsson",
            "",
        ];
        for ua in desktop {
            assert!(!is_mobile(ua), "{ua}");
        }
    }

    #[test]
    fn version_digits_read_as_number_does() {
        assert_eq!(number_from_digits(""), 0.0);
        assert_eq!(number_from_digits("120"), 120.0);
        assert_eq!(number_from_digits("007"), 7.0);
        assert_eq!(number_from_digits("999999999999999"), 999_999_999_999_999.0);
        // Past 15 digits `Number()` rounds to the nearest double.
        assert_eq!(
            number_from_digits("12345678901234567890"),
            12_345_678_901_234_567_000.0
        );
    }

    #[test]
    fn prefix_is_four_utf16_units() {
        // A pair counts as two units; one cut in half matches nothing.
        assert!(!is_mobile("sgh\u{1F600}"));
        assert!(is_mobile("sgh-\u{1F600}"));
    }

    #[test]
    fn tablet_expression_and_its_lookaheads() {
        let yes = [
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Windows NT 6.2; ARM; Trident/6.0; Touch)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0 Safari/537.36 Puffin/4.8.0.2965AT",
            "Mozilla/5.0 (iPad; CPU OS 12_5 like Mac OS X)",
            "Mozilla/5.0 (Android; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0",
            "Mozilla/5.0 (Linux; U; Android 2.3.4; en-us; Kindle Fire Build/GINGERBREAD) Mobile Safari/533.1 Silk/3.0",
        ];
        for ua in yes {
            assert!(js::user_agent_test(UserAgentExpression::Tablet, ua), "{ua}");
        }
        let no = [
            PIXEL_CHROME,
            IPHONE_SAFARI,
            "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
            CHROME_WINDOWS,
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0 Safari/537.36 Puffin/4.8.0.2965AP",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 12_5 like Mac OS X) Puffin/4.8.0.2965IP",
        ];
        for ua in no {
            assert!(
                !js::user_agent_test(UserAgentExpression::Tablet, ua),
                "{ua}"
            );
        }
    }

    #[test]
    fn check_environment_on_the_v10_iphone() {
        let iphone = handheld(env(IPHONE_SAFARI, "iPhone", Some("en-GB"), (390, 844)), 5);
        assert_eq!(
            check_environment(&iphone, is_mobile(IPHONE_SAFARI)),
            EnvironmentCheck {
                browser_type: "safari",
                is_mobile: true,
                has_motion_sensors: false,
                needs_permission_for_motion_sensors: false,
            }
        );
        // iOS 13+: sensors present, but the page must ask for them.
        let ios13 = Environment {
            device_motion_event: true,
            motion_needs_permission: true,
            ..iphone
        };
        let check = check_environment(&ios13, true);
        assert!(check.has_motion_sensors && check.needs_permission_for_motion_sensors);
    }

    #[test]
    fn check_environment_on_desktop_browsers() {
        let markers = |f: fn(&mut BrowserMarkers)| {
            let mut m = BrowserMarkers::default();
            f(&mut m);
            m
        };
        let chrome = Environment {
            // Desktop Chrome has DeviceMotionEvent too; only mobile reports sensors.
            device_motion_event: true,
            browser: markers(|m| {
                m.chrome_api = true;
                m.window_css = true;
            }),
            ..Environment::desktop_chrome()
        };
        assert_eq!(
            check_environment(&chrome, false),
            EnvironmentCheck {
                browser_type: "blink",
                is_mobile: false,
                has_motion_sensors: false,
                needs_permission_for_motion_sensors: false,
            }
        );
        let browser_type = |ua: &str, browser: BrowserMarkers| {
            let env = Environment {
                user_agent: ua.into(),
                browser,
                ..Environment::default()
            };
            check_environment(&env, false).browser_type
        };
        let none = BrowserMarkers::default();
        let opera_ua = format!("{CHROME_WINDOWS} OPR/105.0.0.0");
        assert_eq!(
            browser_type(&opera_ua, markers(|m| m.window_css = true)),
            "blink"
        );
        assert_eq!(browser_type(&opera_ua, none.clone()), "opera");
        assert_eq!(
            browser_type("", markers(|m| m.window_opera = true)),
            "opera"
        );
        assert_eq!(
            browser_type(MAC_FIREFOX, markers(|m| m.install_trigger = true)),
            "firefox"
        );
        assert_eq!(
            browser_type("", markers(|m| m.document_mode = true)),
            "internet explorer"
        );
        assert_eq!(browser_type("", markers(|m| m.style_media = true)), "edge");
        let edg = format!("{CHROME_WINDOWS} Edg/120.0.2210.91");
        assert_eq!(
            browser_type(&edg, markers(|m| m.chrome_api = true)),
            "edge chromium"
        );
        assert_eq!(
            browser_type(CHROME_WINDOWS, markers(|m| m.chrome_api = true)),
            "chrome"
        );
        // Chrome's user agent mentions Safari, but also Chrome.
        assert_eq!(browser_type(CHROME_WINDOWS, none.clone()), "");
        assert_eq!(
            browser_type("", markers(|m| m.html_element_constructor = true)),
            "safari"
        );
        assert_eq!(
            browser_type("", markers(|m| m.safari_push_notification = true)),
            "safari"
        );
        assert_eq!(browser_type("", none), "");
    }

    proptest! {
        #[test]
        fn any_user_agent_gives_a_consistent_signature(
            ua in "\\PC{0,80}|Mozilla/5\\.0 \\((iPad|iPhone|Android|Windows|Macintosh)[ -~]{0,60}",
            platform in "MacIntel|Win32|Linux armv8l|iPhone|CrOS|",
            width in 0u32..4000,
            height in 0u32..4000,
            touch in 0u32..12,
        ) {
            let mut environment = env(&ua, &platform, Some("en-US"), (width, height));
            environment.max_touch_points = touch;
            let mobile = is_mobile(&ua);
            let fields = CapturedDevice::detect(&ua, &platform, mobile).signature(&environment, mobile, true);
            prop_assert!((1.0..=3.0).contains(&fields[0]));
            prop_assert!(fields[4] <= 6.0 && fields[12] <= 7.0);
            prop_assert_eq!(fields[8], if mobile { 2.0 } else { 1.0 });
            let joined: Vec<String> = fields[..19].iter().map(|&f| number_to_string(f)).collect();
            prop_assert_eq!(fields[19], f64::from(text_id(&joined.join("-"))));
            let _ = check_environment(&environment, mobile);
        }
    }
}
