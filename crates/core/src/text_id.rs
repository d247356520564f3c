//! `getTextId`: 32-bit FNV-1a over the lower-cased UTF-16 code units of a text, with the
//! recorder's non-standard offset basis.

use crate::js::to_lower_utf16;

/// The reference recorder's offset basis (the standard FNV-1a basis is 0x811C9DC5).
const OFFSET_BASIS: u32 = 0x721B_5AD4;
const FNV_PRIME: u32 = 0x0100_0193;

/// FNV-1a over UTF-16 code units, without case mapping.
pub fn fnv1a_utf16(units: impl IntoIterator<Item = u16>) -> u32 {
    units.into_iter().fold(OFFSET_BASIS, |hash, unit| {
        (hash ^ unit as u32).wrapping_mul(FNV_PRIME)
    })
}

/// The text id of a string: case-insensitive, since the text is lower-cased first.
pub fn text_id(text: &str) -> u32 {
    fnv1a_utf16(to_lower_utf16(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples_from_the_spec() {
        assert_eq!(text_id("hello world"), 939_726_232);
        assert_eq!(text_id("Hello5g21?*"), 799_796_768);
        assert_eq!(
            text_id("I am authenticated by the way I type"),
            1_054_148_122
        );
        assert_eq!(text_id(""), 1_914_395_348);
        assert_eq!(text_id("a"), 1_443_875_567);
        assert_eq!(text_id("en-US"), 902_248_182);
        assert_eq!(text_id("example@mail.com"), 304_288_170);
        assert_eq!(text_id("Ärger ß ǅ 😀"), 1_369_300_276);
        assert_eq!(text_id("hi"), 485_312_039);
    }
}
