//! Fuzzes the pattern parser: it never panics, and whatever it accepts prints back byte for
//! byte and re-parses to the same value.

#![no_main]

use keycadence_core::pattern::Pattern;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(pattern) = Pattern::parse(text) {
        let printed = pattern.to_string();
        assert_eq!(printed, text, "printing a parsed pattern changes it");
        let reparsed = Pattern::parse(&printed).expect("a printed pattern parses");
        assert_eq!(reparsed, pattern, "re-parsing gives another value");
    }
    if let Ok(patterns) = Pattern::parse_list(text) {
        let printed: Vec<String> = patterns.iter().map(Pattern::to_string).collect();
        assert_eq!(printed.join(";"), text, "printing a parsed list changes it");
    }
});
