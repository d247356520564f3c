//! JavaScript-exact numerics and string helpers.
//!
//! The pattern stream is a compatibility contract with the reference recorder, which is
//! JavaScript: every number it prints went through `Math.round`, `Number(x.toFixed(4))` or
//! `String(number)`. Rust's own rounding and formatting differ on ties and on the exponent
//! form, so these functions reproduce the ECMAScript algorithms exactly.
//!
//! Some primitives need large machinery in Rust (Unicode case tables, decimal-to-float parsing,
//! shortest round-trip float printing, a regular-expression engine, the `Math` functions) that
//! a JavaScript engine already has: see `primitives`. On wasm targets with the `browser-js`
//! feature they are the browser's own (the wasm build), which also makes them exactly the
//! reference's; everywhere else they are `rust-js`'s, implemented in Rust. The features only
//! add: with both on a wasm target the browser's are used, with both on any other target
//! Rust's (the browser's cannot run there).

use crate::device::UserAgentExpression;

/// `Math.round`: nearest integer, exact ties toward +infinity (`-2.5 -> -2`, `2.5 -> 3`).
/// `f64::round` rounds ties away from zero, which differs for negative halves.
pub fn round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let floor = x.floor();
    // `x - floor` is exact for every finite double, so the tie test is exact too.
    if x - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

/// Appends `n / 10^decimals` in decimal: the digits of `n` with a point before the last
/// `decimals` of them, and a zero before the point when there is no other digit. Hand-written:
/// `core::fmt` has no fixed-point layout for integers and would add its machinery to the wasm
/// build.
fn push_decimal(out: &mut String, mut n: u64, decimals: usize) {
    let mut digits = [0u8; 24];
    let mut start = digits.len();
    while n > 0 || digits.len() - start <= decimals {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let point = digits.len() - decimals;
    for (i, &digit) in digits.iter().enumerate().skip(start) {
        if i == point {
            out.push('.');
        }
        out.push(char::from(digit));
    }
}

/// `haystack.indexOf(needle, from)` in bytes: the first offset at or after `from` where
/// `needle` occurs. A plain scan: the texts searched here are user agents, and it keeps the
/// standard library's string searchers out of the wasm build.
pub fn index_of(haystack: &str, needle: &str, from: usize) -> Option<usize> {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    let mut at = from;
    while at + needle.len() <= haystack.len() {
        if &haystack[at..at + needle.len()] == needle {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// `haystack.includes(needle)`.
pub fn includes(haystack: &str, needle: &str) -> bool {
    index_of(haystack, needle, 0).is_some()
}

/// `Number(x.toFixed(4))`, the recorder's `rd4`.
pub fn rd4(x: f64) -> f64 {
    // `toFixed(4)` rounds the exact `|x| * 10^4` to an integer n (ties up) and puts back a
    // minus sign for x < 0 (not for -0); `Number` then gives the double nearest to n / 10^4,
    // which is the correctly rounded quotient `n / 10_000.0`. Below 2^32 the product's
    // rounding error is under 2^-21, so unless it lies that close to a tie, the rounded
    // product's nearest integer is n. Near-ties and non-finite values (rare in patterns) take
    // the primitive: in the browser build a call out of the module, which costs more.
    let scaled = x.abs() * 10_000.0;
    if scaled < 4e9 && (scaled - scaled.floor() - 0.5).abs() > 1e-5 {
        let magnitude = scaled.round_ties_even() / 10_000.0;
        return if x < 0.0 { -magnitude } else { magnitude };
    }
    primitives::rd4(x)
}

/// `String(number)`: the ECMAScript Number-to-String algorithm (shortest round-trip digits,
/// plain notation for exponents in [-7, 21), `-0` printed as `0`).
pub fn number_to_string(x: f64) -> String {
    let mut out = String::new();
    push_number(&mut out, x);
    out
}

/// Appends `String(x)` to `out`; integers and four-decimal values (what the recorder prints)
/// without the general shortest-digits algorithm.
pub fn push_number(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if x == 0.0 {
        out.push('0');
        return;
    }
    let magnitude = x.abs();
    if x.fract() == 0.0 && magnitude < 9_007_199_254_740_992.0 {
        // Integers below 2^53 are exact, so their shortest digits are all their digits. Larger
        // ones print their shortest digits padded with zeros (2^60 is 1152921504606847000),
        // which the general path below does.
        if x < 0.0 {
            out.push('-');
        }
        push_decimal(out, magnitude as u64, 0);
        return;
    }
    // (The browser build leaves these to the browser's `String`, a call out of the module
    // each: this path would add about 100 B gzipped to what every page downloads, to save a
    // type 0 pattern of typed keys about a fifth of its time. Type 1 and 2 print integers.)
    if !cfg!(all(feature = "browser-js", target_family = "wasm"))
        && (1e-4..1e11).contains(&magnitude)
    {
        // Fast path for the values the recorder prints (`rd4` results). When the double is the
        // one nearest to a decimal with four decimals, that decimal (at most 15 significant
        // digits, which doubles tell apart) without trailing zeros is its shortest round-trip
        // form. `magnitude * 10^4` is below 10^15 and off the decimal's units by less than 0.25,
        // so rounding it finds them.
        let units = round(magnitude * 10_000.0);
        if units / 10_000.0 == magnitude {
            if x < 0.0 {
                out.push('-');
            }
            // `x` is no integer, so `units` is no multiple of 10^4: at least one decimal stays
            // once the trailing zeros go.
            let (mut units, mut decimals) = (units as u64, 4);
            while units % 10 == 0 {
                units /= 10;
                decimals -= 1;
            }
            push_decimal(out, units, decimals);
            return;
        }
    }
    primitives::push_shortest(out, x);
}

/// `parseInt(s)` with no radix: leading white space, an optional sign, an optional `0x` prefix,
/// then digits up to the first invalid character. `NaN` when there are no digits.
pub fn parse_int(s: &str) -> f64 {
    primitives::parse_int(s)
}

/// `Number(string)`: JS string-to-number conversion (white space trimmed, empty is 0,
/// `Infinity`, `0x`/`0o`/`0b` integers, decimal literals; anything else is NaN).
pub fn string_to_number(s: &str) -> f64 {
    primitives::string_to_number(s)
}

/// `String.prototype.toLowerCase` (locale-independent full Unicode mapping, final sigma
/// included), as UTF-16 code units.
pub fn to_lower_utf16(s: &str) -> Vec<u16> {
    case_mapped(s, false)
}

/// `String.prototype.toUpperCase`, as UTF-16 code units.
pub fn to_upper_utf16(s: &str) -> Vec<u16> {
    case_mapped(s, true)
}

/// `toUpperCase` (`upper`) or `toLowerCase`. An ASCII text stays within ASCII, one unit per
/// byte, and is mapped here (no Unicode tables, no browser call); other texts by
/// [`primitives`]. (In the browser build, a call into the browser per mapping made a type 1
/// pattern of an ASCII text about 3 µs slower.)
fn case_mapped(s: &str, upper: bool) -> Vec<u16> {
    let mut units = vec![0; s.len()];
    for (unit, b) in units.iter_mut().zip(s.bytes()) {
        if !b.is_ascii() {
            return primitives::case_mapped(s, upper);
        }
        // ASCII letters differ from their other case in bit 5 alone.
        let other_case = if upper {
            b.is_ascii_lowercase()
        } else {
            b.is_ascii_uppercase()
        };
        *unit = u16::from(b ^ (u8::from(other_case) << 5));
    }
    units
}

/// `Math.atan(x)`.
pub fn atan(x: f64) -> f64 {
    primitives::atan(x)
}

/// `Math.atan2(y, x)`.
pub fn atan2(y: f64, x: f64) -> f64 {
    primitives::atan2(y, x)
}

/// `Math.hypot(x, y)`.
pub fn hypot(x: f64, y: f64) -> f64 {
    primitives::hypot(x, y)
}

/// The reference recorder's `RegExp.prototype.test` of one of its user-agent expressions
/// against a user agent: the whole of it, or its first four UTF-16 units for
/// [`UserAgentExpression::MobilePrefix`].
pub fn user_agent_test(expression: UserAgentExpression, user_agent: &str) -> bool {
    primitives::user_agent_test(expression, user_agent)
}

#[cfg(all(feature = "browser-js", target_family = "wasm"))]
pub(crate) use primitives::detect_device;

/// `String::from_utf16_lossy`, hand-written: the standard library's iterator version costs
/// the module three times the code. A lone surrogate becomes U+FFFD, as the browser's UTF-8
/// encoder makes it.
pub fn string_from_utf16(units: &[u16]) -> String {
    let mut text = String::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        let mut code = u32::from(units[i]);
        i += 1;
        if let (0xD800..=0xDBFF, Some(&low @ 0xDC00..=0xDFFF)) = (code, units.get(i)) {
            code = 0x10000 + ((code - 0xD800) << 10) + (u32::from(low) - 0xDC00);
            i += 1;
        }
        // A lone surrogate is no `char`.
        text.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    text
}

/// A JavaScript string value as a Rust string, `None` for any other value: what
/// `JsValue::as_string` gives (a lone surrogate becomes U+FFFD, as the browser's UTF-8 encoder
/// makes it). In the browser build the string is copied as UTF-16 units by one call, without
/// wasm-bindgen's UTF-8 transfer code in the module and its glue; off wasm (where nothing calls
/// it: the bindings only compile there) it is `as_string`.
#[cfg(feature = "browser-js")]
pub fn string_from_js(value: &wasm_bindgen::JsValue) -> Option<String> {
    #[cfg(target_family = "wasm")]
    return primitives::string_from_js(value);
    #[cfg(not(target_family = "wasm"))]
    return value.as_string();
}

/// The JavaScript primitives that are large to implement in Rust. Each is exactly the
/// ECMAScript operation named in its documentation; `push_shortest` is only called for finite,
/// non-zero `x`.
#[cfg(all(
    feature = "rust-js",
    not(all(feature = "browser-js", target_family = "wasm"))
))]
mod primitives {
    /// ECMAScript white space and line terminators, as `parseInt` trims them.
    fn is_js_whitespace(c: char) -> bool {
        matches!(
            c,
            '\u{9}'..='\u{d}'
                | ' '
                | '\u{a0}'
                | '\u{1680}'
                | '\u{2000}'..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
        )
    }

    /// `parseInt(s)` with no radix: leading white space, an optional sign, an optional `0x` prefix,
    /// then digits up to the first invalid character. `NaN` when there are no digits.
    pub(super) fn parse_int(s: &str) -> f64 {
        let s = s.trim_start_matches(is_js_whitespace);
        let (negative, s) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (radix, s) = if s.len() >= 2 && (s.starts_with("0x") || s.starts_with("0X")) {
            (16, &s[2..])
        } else {
            (10, s)
        };
        let end = s
            .char_indices()
            .find(|(_, c)| !c.is_digit(radix))
            .map_or(s.len(), |(i, _)| i);
        let digits = &s[..end];
        if digits.is_empty() {
            return f64::NAN;
        }
        let magnitude = if radix == 10 {
            // Correctly rounded, as the spec allows for radix 10: `Number` of the digits alone.
            string_to_number(digits)
        } else {
            digits.chars().fold(0.0, |acc, c| {
                acc * 16.0 + c.to_digit(16).unwrap_or(0) as f64
            })
        };
        if negative {
            -magnitude
        } else {
            magnitude
        }
    }

    /// `Number(x.toFixed(4))`.
    pub(super) fn rd4(x: f64) -> f64 {
        if !x.is_finite() || x.abs() >= 1e21 {
            return x;
        }
        match fixed4_units(x) {
            // n < 2^53 and 10^4 are exact doubles, so the correctly rounded quotient is the
            // double nearest to the decimal n/10^4: the same value `Number("...")` parses.
            Some(n) if n < (1u128 << 53) => {
                let magnitude = n as f64 / 10_000.0;
                if x < 0.0 {
                    -magnitude
                } else {
                    magnitude
                }
            }
            _ => string_to_number(&to_fixed4(x)),
        }
    }

    /// `|x| * 10^4` rounded half up (ties away from zero once the sign is put back), computed
    /// on the exact binary value of `x`, as V8's `toFixed(4)` does. `None` when the result does
    /// not fit an exact `u128` computation (|x| >= 2^53), where callers fall back to slower
    /// formatting.
    fn fixed4_units(x: f64) -> Option<u128> {
        let a = x.abs();
        if a >= 9_007_199_254_740_992.0 {
            return None;
        }
        if a == 0.0 {
            return Some(0);
        }
        let bits = a.to_bits();
        let exponent_bits = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1u64 << 52) - 1);
        // a = mantissa * 2^exponent exactly.
        let (mantissa, exponent) = if exponent_bits == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), exponent_bits - 1075)
        };
        if exponent >= 0 {
            return Some(((mantissa as u128) << exponent) * 10_000);
        }
        let shift = (-exponent) as u32;
        if shift > 100 {
            // a < 2^53 * 2^-101 < 5e-5: rounds to zero.
            return Some(0);
        }
        // n = floor(a * 10^4 + 1/2) = floor((mantissa * 20000 + 2^shift) / 2^(shift + 1)).
        let numerator = mantissa as u128 * 20_000 + (1u128 << shift);
        Some(numerator >> (shift + 1))
    }

    /// `x.toFixed(4)` for finite `x` with |x| < 1e21 (the range the recorder produces).
    pub(super) fn to_fixed4(x: f64) -> String {
        if !x.is_finite() || x.abs() >= 1e21 {
            return super::number_to_string(x);
        }
        // 2^53 <= |x| < 1e21 < 2^70 is an integer that u128 holds exactly; its four decimals
        // are zeros.
        let units = fixed4_units(x).unwrap_or_else(|| x.abs() as u128 * 10_000);
        let digits = format!("{units:05}");
        let (whole, decimals) = digits.split_at(digits.len() - 4);
        let sign = if x < 0.0 { "-" } else { "" };
        format!("{sign}{whole}.{decimals}")
    }

    pub(crate) use crate::ua_regex::test as user_agent_test;

    // Rust's `f64` functions come from a port of the fdlibm that V8 also uses (so
    // `Math.atan` and friends agree bit for bit); the wasm build uses the browser's own.
    pub(super) fn atan(x: f64) -> f64 {
        x.atan()
    }

    pub(super) fn atan2(y: f64, x: f64) -> f64 {
        y.atan2(x)
    }

    pub(super) fn hypot(x: f64, y: f64) -> f64 {
        x.hypot(y)
    }

    /// `Number(s)`.
    pub(super) fn string_to_number(s: &str) -> f64 {
        let t = s.trim_matches(is_js_whitespace);
        if t.is_empty() {
            return 0.0;
        }
        let (sign, unsigned) = match t.as_bytes()[0] {
            b'-' => (-1.0, &t[1..]),
            b'+' => (1.0, &t[1..]),
            _ => (1.0, t),
        };
        if unsigned == "Infinity" {
            return sign * f64::INFINITY;
        }
        let radix = match unsigned.get(..2) {
            Some("0x" | "0X") => 16,
            Some("0o" | "0O") => 8,
            Some("0b" | "0B") => 2,
            _ => 10,
        };
        if radix != 10 {
            // Prefixed integers take no sign.
            let digits = &unsigned[2..];
            if sign < 0.0 || t.starts_with('+') || digits.is_empty() {
                return f64::NAN;
            }
            return digits
                .chars()
                .try_fold(0.0, |acc, c| {
                    c.to_digit(radix)
                        .map(|d| acc * f64::from(radix) + f64::from(d))
                })
                .unwrap_or(f64::NAN);
        }
        // A decimal literal: digits, at most one '.', an optional exponent. Rust's parser would
        // also take "inf" and "nan", which JS does not.
        let mantissa_end = unsigned.find(['e', 'E']).unwrap_or(unsigned.len());
        let (mantissa, exponent) = unsigned.split_at(mantissa_end);
        let mantissa_ok = mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
            && mantissa.matches('.').count() <= 1
            && mantissa.chars().any(|c| c.is_ascii_digit());
        let exponent_ok = exponent.is_empty() || {
            let e = exponent[1..]
                .strip_prefix(['+', '-'])
                .unwrap_or(&exponent[1..]);
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        };
        if !(mantissa_ok && exponent_ok) {
            return f64::NAN;
        }
        unsigned.parse::<f64>().map_or(f64::NAN, |v| sign * v)
    }

    /// `String(x)` for finite, non-zero `x`, appended to `out`.
    pub(super) fn push_shortest(out: &mut String, x: f64) {
        use std::fmt::Write;
        // Rust's `{:e}` gives the shortest round-trip digits; only the layout differs from JS.
        let sci = format!("{:e}", x.abs());
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let k = digits.len() as i32;
        let n = exp + 1;
        if x < 0.0 {
            out.push('-');
        }
        if k <= n && n <= 21 {
            out.push_str(&digits);
            out.extend(std::iter::repeat('0').take((n - k) as usize));
        } else if 0 < n && n <= 21 {
            out.push_str(&digits[..n as usize]);
            out.push('.');
            out.push_str(&digits[n as usize..]);
        } else if -6 < n && n <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat('0').take((-n) as usize));
            out.push_str(&digits);
        } else {
            out.push_str(&digits[..1]);
            if k > 1 {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            let _ = write!(out, "e{}{}", if n > 0 { "+" } else { "-" }, (n - 1).abs());
        }
    }

    /// `s.toUpperCase()` (`upper`) or `s.toLowerCase()` as UTF-16 code units.
    pub(super) fn case_mapped(s: &str, upper: bool) -> Vec<u16> {
        let mapped = if upper {
            s.to_uppercase()
        } else {
            s.to_lowercase()
        };
        mapped.encode_utf16().collect()
    }
}

/// With `browser-js` on a wasm target, the primitives are the browser's own (`js/primitives.js`
/// and `Math`): its `Number`, `String`, case mapping, `RegExp` and `Math` are the very
/// operations the reference recorder calls, so they are exact by construction, and the wasm
/// module carries none of the Rust machinery above. Only numbers and strings cross: no
/// JavaScript object is handed to the module, which keeps the module and its glue small and
/// each primitive one call.
#[cfg(all(feature = "browser-js", target_family = "wasm"))]
mod primitives {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/js/primitives.js")]
    extern "C" {
        pub fn rd4(x: f64) -> f64;
        #[wasm_bindgen(js_name = parseInteger)]
        pub fn parse_int(s: &str) -> f64;
        #[wasm_bindgen(js_name = stringToNumber)]
        pub fn string_to_number(s: &str) -> f64;
        #[wasm_bindgen(js_name = numberText)]
        fn number_text(x: f64, out: &mut [u16]) -> usize;
        #[wasm_bindgen(js_name = stringLength)]
        fn string_length(value: &JsValue) -> i32;
        #[wasm_bindgen(js_name = stringUnits)]
        fn string_units(value: &JsValue, out: &mut [u16]);
        #[wasm_bindgen(js_name = caseMapped)]
        fn case_mapped_value(s: &str, upper: bool) -> JsValue;
        #[wasm_bindgen(js_name = userAgentTest)]
        fn user_agent_test_by_index(expression: u32, user_agent: &str) -> bool;
        #[wasm_bindgen(js_name = detectDevice)]
        fn detect_device_into(ua: &str, platform: &str, mobile: bool, out: &mut [f64]);
    }

    /// `getOSBrowserMobile` up to its device type, by the browser (see
    /// `crate::device::CapturedDevice::detect`): `[os, osVersion, browser, browserVersion,
    /// deviceType, tablet user agent, IEMobile]`.
    pub(crate) fn detect_device(ua: &str, platform: &str, mobile: bool) -> [f64; 7] {
        let mut out = [0.0; 7];
        detect_device_into(ua, platform, mobile, &mut out);
        out
    }

    #[wasm_bindgen(js_namespace = Math)]
    extern "C" {
        pub fn atan(x: f64) -> f64;
        pub fn atan2(y: f64, x: f64) -> f64;
        pub fn hypot(x: f64, y: f64) -> f64;
    }

    pub(crate) fn push_shortest(out: &mut String, x: f64) {
        // `String(x)` of a number is ASCII and at most 24 characters ("-1.2345678901234567e-100").
        let mut text = [0u16; 32];
        let length = number_text(x, &mut text);
        out.extend(text[..length].iter().map(|&unit| char::from(unit as u8)));
    }

    /// A JavaScript string's UTF-16 code units (copied by one call into this module's
    /// memory); `None` for any other value.
    pub(crate) fn utf16_units(value: &JsValue) -> Option<Vec<u16>> {
        let length = usize::try_from(string_length(value)).ok()?;
        let mut units = vec![0; length];
        string_units(value, &mut units);
        Some(units)
    }

    /// See [`super::string_from_js`].
    pub(crate) fn string_from_js(value: &JsValue) -> Option<String> {
        utf16_units(value).map(|units| super::string_from_utf16(&units))
    }

    /// The expression's index in `primitives.js`'s table of the same literals.
    pub(crate) fn user_agent_test(
        expression: super::UserAgentExpression,
        user_agent: &str,
    ) -> bool {
        user_agent_test_by_index(expression as u32, user_agent)
    }

    pub(crate) fn case_mapped(s: &str, upper: bool) -> Vec<u16> {
        utf16_units(&case_mapped_value(s, upper)).unwrap_or_default()
    }
}

#[cfg(not(any(
    feature = "rust-js",
    all(feature = "browser-js", target_family = "wasm")
)))]
compile_error!(
    "keycadence-core needs JavaScript primitives: the `rust-js` feature (any target) or the \
     `browser-js` feature on a wasm target (the browser's primitives cannot run elsewhere)"
);

#[cfg(test)]
mod tests {
    use super::primitives::to_fixed4;
    use super::*;

    #[test]
    fn math_round_ties_go_up() {
        assert_eq!(round(2.5), 3.0);
        assert_eq!(round(-2.5), -2.0);
        assert_eq!(round(-2.5000001), -3.0);
        assert_eq!(round(0.49999999999999994), 0.0);
        assert_eq!(round(107.5), 108.0);
        assert!(round(f64::NAN).is_nan());
        assert_eq!(round(f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn to_fixed_ties_away_from_zero_on_the_exact_value() {
        // Exact binary ties: Rust's `{:.4}` would round these to even.
        assert_eq!(to_fixed4(0.03125), "0.0313");
        assert_eq!(to_fixed4(100.03125), "100.0313");
        assert_eq!(to_fixed4(-0.03125), "-0.0313");
        assert_eq!(to_fixed4(1.00005), "1.0001"); // 1.00005 is above the tie in binary
        assert_eq!(to_fixed4(1.00015), "1.0002"); // likewise
        assert_eq!(to_fixed4(1.3), "1.3000");
        assert_eq!(to_fixed4(0.0), "0.0000");
        assert_eq!(to_fixed4(0.000_001), "0.0000");
        assert_eq!(to_fixed4(123456.789), "123456.7890");
        assert_eq!(to_fixed4(f64::INFINITY), "Infinity");
        // Beyond 2^53 every double is an integer, printed exactly.
        assert_eq!(to_fixed4(2f64.powi(60)), "1152921504606846976.0000");
        assert_eq!(to_fixed4(-9.99e20), "-999000000000000000000.0000");
    }

    #[test]
    fn to_fixed_matches_exact_decimal_expansion() {
        // The slow, obviously exact recipe from the spec: 80 decimals, truncate, round up on >= 5.
        fn reference(x: f64) -> String {
            let s = format!("{:.80}", x.abs());
            let (int, frac) = s.split_once('.').unwrap();
            let mut n: u128 = format!("{int}{}", &frac[..4]).parse().unwrap();
            if frac.as_bytes()[4] >= b'5' {
                n += 1;
            }
            let sign = if x < 0.0 { "-" } else { "" };
            format!("{sign}{}.{:04}", n / 10_000, n % 10_000)
        }
        let mut state = 0x9e3779b97f4a7c15u64;
        for i in 0..20_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = match i % 4 {
                0 => (state % 1_000_000) as f64 / 32.0,
                1 => (state % 100_000) as f64 / 160.0,
                2 => f64::from_bits(0x3ff0_0000_0000_0000 | (state >> 12)) * 1000.0 - 1500.0,
                _ => (state % 10_000_000) as f64 / 7.0,
            };
            assert_eq!(to_fixed4(x), reference(x), "x = {x:e}");
        }
    }

    #[test]
    fn rd4_equals_parsing_the_fixed_string() {
        for x in [
            0.367_857_142_857_142_9,
            1.718122,
            1e-7 / 1.0000001,
            2.0 / 3.0,
            -1.23456789,
        ] {
            assert_eq!(rd4(x), to_fixed4(x).parse::<f64>().unwrap());
        }
        assert_eq!(rd4(f64::INFINITY), f64::INFINITY);
        assert!(rd4(f64::NAN).is_nan());
        // `(-0).toFixed(4)` is "0.0000", a negative value that rounds to 0 keeps its sign.
        assert!(rd4(-0.0).is_sign_positive());
        assert!(rd4(-0.000_01).is_sign_negative());
        // Exact ties (odd multiples of 1/32 are ties at four decimals), the doubles next to
        // them, and values spread over the fast path's range and past it.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..60_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let tie = (2 * (state % 1_000_000) + 1) as f64 / 32.0;
            let x = match i % 6 {
                0 => tie,
                1 => f64::from_bits(tie.to_bits() + 1),
                2 => f64::from_bits(tie.to_bits() - 1),
                3 => f64::from_bits(0x3ff0_0000_0000_0000 | (state >> 12)) - 1.0,
                4 => (state % 1_000_000_000_000) as f64 / 7.0,
                _ => f64::from_bits(state >> 2),
            };
            for x in [x, -x] {
                let expected = to_fixed4(x).parse::<f64>().unwrap();
                assert_eq!(rd4(x).to_bits(), expected.to_bits(), "x = {x:e}");
            }
        }
    }

    #[test]
    fn number_printing_follows_ecmascript() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (3.2, "3.2"),
            (0.3679, "0.3679"),
            (1914395348.0, "1914395348"),
            (-1.0, "-1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (2f64.powi(60), "1152921504606847000"),
            (1234567890123456789.0, "1234567890123456800"),
            (-2f64.powi(53), "-9007199254740992"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123e-20, "1.23e-18"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.4216370213557839, "0.4216370213557839"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (4.4, "4.4"),
        ];
        for (x, want) in cases {
            assert_eq!(number_to_string(*x), *want, "{x:e}");
        }
    }

    #[test]
    fn four_decimal_fast_path_agrees_with_shortest_digits() {
        let mut state = 0x2545f4914f6cdd1du64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = rd4((state % 2_000_000_000) as f64 / 7919.0 - 100_000.0);
            let shortest = format!("{x}");
            let shortest = shortest.strip_suffix(".0").unwrap_or(&shortest);
            assert_eq!(number_to_string(x), shortest, "{x:e}");
        }
    }

    #[test]
    fn parse_int_follows_ecmascript() {
        assert_eq!(parse_int("123"), 123.0);
        assert_eq!(parse_int("77abc"), 77.0);
        assert_eq!(parse_int("0x1F"), 31.0);
        assert_eq!(parse_int("  -5"), -5.0);
        assert_eq!(parse_int("12.9"), 12.0);
        assert_eq!(parse_int("1e+21"), 1.0);
        assert_eq!(parse_int("\u{feff}\n42"), 42.0);
        assert!(parse_int("abc").is_nan());
        assert!(parse_int("0x").is_nan());
        assert!(parse_int("").is_nan());
        assert!(parse_int("-").is_nan());
    }

    #[test]
    fn string_to_number_follows_ecmascript() {
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("  12 "), 12.0);
        assert_eq!(string_to_number("0x1F"), 31.0);
        assert_eq!(string_to_number("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(string_to_number("1e3"), 1000.0);
        assert_eq!(string_to_number(".5"), 0.5);
        assert_eq!(string_to_number("5."), 5.0);
        assert!(string_to_number("inf").is_nan());
        assert!(string_to_number("NaN").is_nan());
        assert!(string_to_number("1x").is_nan());
        assert!(string_to_number("-0x1").is_nan());
        assert!(string_to_number("1e").is_nan());
    }

    #[test]
    fn case_mapping_is_full_unicode() {
        assert_eq!(
            String::from_utf16(&to_lower_utf16("İ")).unwrap(),
            "i\u{307}"
        );
        assert_eq!(String::from_utf16(&to_upper_utf16("ß")).unwrap(), "SS");
        assert_eq!(String::from_utf16(&to_lower_utf16("ΟΔΟΣ")).unwrap(), "οδος");
    }

    #[test]
    fn index_of_finds_the_first_occurrence_at_or_after_from() {
        assert_eq!(index_of("Chrome/120 Chrome/121", "Chrome/", 0), Some(0));
        assert_eq!(index_of("Chrome/120 Chrome/121", "Chrome/", 1), Some(11));
        assert_eq!(index_of("aab", "ab", 0), Some(1));
        assert_eq!(index_of("abc", "cd", 0), None);
        assert_eq!(index_of("abc", "", 2), Some(2));
        assert_eq!(index_of("abc", "", 4), None);
    }

    #[test]
    fn ascii_case_mapping_agrees_with_the_full_mapping() {
        let ascii: String = (0u8..0x80).map(char::from).collect();
        assert_eq!(
            to_lower_utf16(&ascii),
            primitives::case_mapped(&ascii, false)
        );
        assert_eq!(
            to_upper_utf16(&ascii),
            primitives::case_mapped(&ascii, true)
        );
        // A text with one non-ASCII character is mapped whole by the full mapping.
        assert_eq!(String::from_utf16(&to_upper_utf16("aßb")).unwrap(), "ASSB");
    }

    proptest::proptest! {
        #[test]
        fn utf16_decodes_as_the_standard_library_does(
            units in proptest::collection::vec(
                proptest::prop_oneof![0xD7F0u16..0xE010, proptest::num::u16::ANY],
                0..40,
            )
        ) {
            proptest::prop_assert_eq!(string_from_utf16(&units), String::from_utf16_lossy(&units));
        }
    }
}
