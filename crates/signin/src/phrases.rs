//! Texts to type: about four lower-case words from the word list beside this file.
//!
//! The words each have distinct letters and use at least one of the rarer keys (z x c v b n m
//! q), so a short phrase still exercises many keys and key pairs. No word of a user's recent
//! texts comes back in a new one; that a whole text is never given to two sign-ins is the
//! store's to enforce (it keeps every text issued).

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::Rng;

const WORD_LIST: &str = include_str!("words.txt");

/// Words per generated text.
pub const WORDS_PER_TEXT: usize = 4;

/// The word list, one word a line.
pub fn words() -> impl Iterator<Item = &'static str> {
    WORD_LIST.lines().map(str::trim).filter(|w| !w.is_empty())
}

/// A new text of [`WORDS_PER_TEXT`] distinct words, none of them in `recent` (the words of
/// the user's recent texts). When `recent` excludes so much that too few words are left, the
/// oldest exclusions cannot be told apart here, so the whole list is used again: a repeated
/// word is better than no text.
pub fn generate(rng: &mut impl Rng, recent: &HashSet<&str>) -> String {
    let fresh: Vec<&str> = words().filter(|w| !recent.contains(w)).collect();
    let pool: Vec<&str> = if fresh.len() >= WORDS_PER_TEXT * 4 {
        fresh
    } else {
        words().collect()
    };
    pool.choose_multiple(rng, WORDS_PER_TEXT)
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn the_word_list_keeps_its_promises() {
        let all: Vec<&str> = words().collect();
        assert!(all.len() >= 150, "{} words", all.len());
        let unique: HashSet<&str> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len(), "a word is listed twice");
        for word in &all {
            assert!(word.bytes().all(|b| b.is_ascii_lowercase()), "{word}");
            let letters: HashSet<u8> = word.bytes().collect();
            assert_eq!(letters.len(), word.len(), "{word} repeats a letter");
            assert!(word.bytes().any(|b| b"zxcvbnmq".contains(&b)), "{word}");
        }
    }

    #[test]
    fn texts_are_four_distinct_words_avoiding_recent_ones() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut recent_texts: Vec<String> = Vec::new();
        for _ in 0..20 {
            let recent: HashSet<&str> = recent_texts.iter().flat_map(|t| t.split(' ')).collect();
            let text = generate(&mut rng, &recent);
            let words: Vec<&str> = text.split(' ').collect();
            assert_eq!(words.len(), WORDS_PER_TEXT);
            let distinct: HashSet<&str> = words.iter().copied().collect();
            assert_eq!(distinct.len(), WORDS_PER_TEXT, "{text}");
            assert!(words.iter().all(|w| !recent.contains(w)), "{text}");
            recent_texts.push(text);
            // The last five texts count as recent.
            if recent_texts.len() > 5 {
                recent_texts.remove(0);
            }
        }
    }

    #[test]
    fn an_exhausted_list_still_gives_a_text() {
        let all: HashSet<&str> = words().collect();
        let text = generate(&mut StdRng::seed_from_u64(1), &all);
        assert_eq!(text.split(' ').count(), WORDS_PER_TEXT);
    }
}
