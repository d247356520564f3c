//! The steps the browser build takes from JavaScript (keycadence-core's js/primitives.js, run by
//! headless Chromium) give what the core's Rust gives for them: the device detection of the
//! signature and the user-agent expressions, over real user agents and random mixtures of
//! their parts.
#![cfg(target_arch = "wasm32")]

use keycadence_core::device::{is_mobile, CapturedDevice};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Real user agents of every branch of the detection, and odd ones.
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPad; CPU OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
    "Mozilla/5.0 (Linux; U; Android 2.3.4; en-us; Kindle Fire Build/GINGERBREAD) AppleWebKit/533.1 (KHTML, like Gecko) Version/4.0 Mobile Safari/533.1 Silk/3.0",
    "Mozilla/5.0 (Android 13; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.18363",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)",
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
    "Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18",
    "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Mobile; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
    "Mozilla/5.0 (Maemo; Linux armv7l; rv:10.0.1) Gecko/20100101 Firefox/10.0.1 Fennec/10.0.1",
    "Mozilla/5.0 (Windows NT 6.2; ARM; Trident/6.0; Touch)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0 Safari/537.36 Puffin/4.8.0.2965AT",
    "Mozilla/5.0 (PlayBook; U; RIM Tablet OS 2.1.0; en-US) AppleWebKit/536.2+ (KHTML, like Gecko) Version/7.2.1.0 Safari/536.2+",
    "Nokia6230/2.0 (04.44) Configuration/CLDC-1.1",
    "SAMSUNG-SGH-E250/1.0 Configuration/CLDC-1.1",
    "sgh\u{1F600}",
    "sgh-\u{1F600}",
    "Mozilla/5.0 Chrome/.5 Version/7.1",
    "Mozilla/5.0 Chrome/ Chrome/.. Version/ Opera/3",
    "MSIE 7 MSIE 8.x MSIE 9.1",
    "Mac OS X 10 10._ 10_14.3",
    "",
];

const PLATFORMS: &[&str] = &[
    "MacIntel",
    "MacPPC",
    "Win32",
    "Win64",
    "Linux x86_64",
    "Linux armv8l",
    "iPhone",
    "CrOS",
    "",
];

/// Parts user agents are made of, for random mixtures.
const PARTS: &[&str] = &[
    "Mozilla/5.0 ",
    "(Windows NT 10.0; Win64; x64) ",
    "(Macintosh; Intel Mac OS X 10_15_7) ",
    "Mac OS X 10.14 ",
    "(iPhone; CPU iPhone OS 17_1) ",
    "iPad ",
    "iPod ",
    "(Linux; Android 13) ",
    "Android ",
    "Mobile ",
    "mobile ",
    "mini ",
    "Tablet ",
    "Chrome/120.0.1 ",
    "Chrome/ ",
    "Chrome/.7 ",
    "CrOS ",
    "Edge/18.1 ",
    "Edg/120 ",
    "Firefox/121.0 ",
    "Fennec/10 ",
    "Opera ",
    "Opera/9.80 ",
    "Version/17.1 ",
    "Version/. ",
    "MSIE 10.0; ",
    "MSIE 9; ",
    "IEMobile/10 ",
    "Safari/605 ",
    "Silk/3 ",
    "Kindle ",
    "PlayBook ",
    "Touch ",
    "Windows Phone ",
    "Puffin/4AP ",
    "Puffin/4AT ",
    "Windows ",
    "1207",
    "sgh-",
    "Nokia",
    "\u{e9}",
    "\u{1F600}",
];

/// A xorshift generator: the same mixtures on every run.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn user_agents() -> Vec<String> {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut all: Vec<String> = USER_AGENTS.iter().map(|ua| (*ua).to_owned()).collect();
    for _ in 0..1500 {
        let parts = 1 + random.below(6);
        all.push(
            (0..parts)
                .map(|_| PARTS[random.below(PARTS.len())])
                .collect(),
        );
    }
    all
}

#[wasm_bindgen_test]
fn the_browsers_device_detection_is_the_cores() {
    for ua in user_agents() {
        for platform in PLATFORMS {
            for mobile in [false, true] {
                assert_eq!(
                    CapturedDevice::detect(&ua, platform, mobile),
                    CapturedDevice::detect_in_rust(&ua, platform, mobile),
                    "{ua:?} on {platform:?}, mobile {mobile}"
                );
            }
        }
    }
}

#[wasm_bindgen_test]
fn the_browsers_expressions_are_the_cores() {
    // `is_mobile` runs the browser's expressions; the core's matcher is compiled in too.
    let mobile_count = user_agents()
        .iter()
        .filter(|ua| {
            let browser = is_mobile(ua);
            assert_eq!(
                browser,
                keycadence_core::device::is_mobile_in_rust(ua),
                "{ua:?}"
            );
            browser
        })
        .count();
    // Both answers occur.
    assert!(mobile_count > 100, "{mobile_count} mobile user agents");
}

#[wasm_bindgen_test]
fn strings_come_into_the_module_as_wasm_bindgen_brings_them() {
    use js_sys::JsString;
    use keycadence_core::js::string_from_js;
    use wasm_bindgen::JsValue;

    let units: &[&[u16]] = &[
        &[],
        &[0x61, 0xE9, 0x20AC],
        // A surrogate pair, then lone surrogates: high at the end, low alone, a reversed pair.
        &[0xD83D, 0xDE00, 0x21],
        &[0x61, 0xD800],
        &[0xDC00, 0x62],
        &[0xDE00, 0xD83D],
        &[0xD800, 0xD800, 0xDC00],
    ];
    for text in units {
        let value = JsValue::from(JsString::from_char_code(text));
        assert_eq!(string_from_js(&value), value.as_string(), "{text:x?}");
    }
    for text in USER_AGENTS {
        assert_eq!(
            string_from_js(&JsValue::from_str(text)).as_deref(),
            Some(*text)
        );
    }
    for other in [
        JsValue::UNDEFINED,
        JsValue::NULL,
        JsValue::from(1.5),
        JsValue::from(true),
        js_sys::Object::new().into(),
    ] {
        assert_eq!(string_from_js(&other), None, "{other:?}");
    }
}

#[wasm_bindgen_test]
fn numbers_print_as_the_browsers_string() {
    use keycadence_core::js::number_to_string;

    for x in [
        0.0,
        -0.0,
        0.1 + 0.2,
        -123.456789,
        1e21,
        1.5e-7,
        5e-324,
        -1.7976931348623157e308,
        123456789012345680000.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        let browser = js_sys::Number::from(x).to_string_with_radix(10).unwrap();
        assert_eq!(number_to_string(x), String::from(browser), "{x:e}");
    }
}
