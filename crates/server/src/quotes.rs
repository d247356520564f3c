//! Phrases for `GET /quote` (texts to type): a built-in list or a file of `text|author` lines.

use std::path::Path;

use rand::seq::SliceRandom;

const BUILT_IN: &str = include_str!("../assets/quotes.txt");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub text: String,
    pub author: String,
}

#[derive(Clone, Debug)]
pub struct Quotes(Vec<Quote>);

#[derive(Debug, thiserror::Error)]
pub enum QuotesError {
    #[error("cannot read quotes file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("quotes file {path} has no phrase")]
    Empty { path: String },
}

impl Quotes {
    pub fn built_in() -> Quotes {
        Quotes::parse(BUILT_IN)
    }

    pub fn from_file(path: &Path) -> Result<Quotes, QuotesError> {
        let text = std::fs::read_to_string(path).map_err(|source| QuotesError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let quotes = Quotes::parse(&text);
        if quotes.0.is_empty() {
            return Err(QuotesError::Empty {
                path: path.display().to_string(),
            });
        }
        Ok(quotes)
    }

    /// One phrase per line, `text|author` (author optional); `#` lines are comments.
    fn parse(text: &str) -> Quotes {
        let quotes = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|line| {
                let (text, author) = line.split_once('|').unwrap_or((line, ""));
                Quote {
                    text: text.trim().to_string(),
                    author: author.trim().to_string(),
                }
            })
            .collect();
        Quotes(quotes)
    }

    /// A random phrase whose length in characters is within `min..=max`.
    pub fn pick(&self, min: usize, max: usize) -> Option<&Quote> {
        let fitting: Vec<&Quote> = self
            .0
            .iter()
            .filter(|q| (min..=max).contains(&q.text.chars().count()))
            .collect();
        fitting.choose(&mut rand::thread_rng()).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_respect_the_length_range() {
        let quotes = Quotes::built_in();
        for (min, max) in [(40, 60), (140, 180), (0, 30)] {
            let q = quotes.pick(min, max).unwrap();
            assert!((min..=max).contains(&q.text.chars().count()), "{q:?}");
            assert!(!q.author.is_empty());
        }
        assert_eq!(quotes.pick(500, 600), None);
        assert_eq!(quotes.pick(60, 40), None);
    }

    #[test]
    fn files_without_authors_and_with_comments_parse() {
        let q = Quotes::parse("# c\n\nhello there friend\nsecond|Me\n");
        assert_eq!(q.0.len(), 2);
        assert_eq!(q.0[0].author, "");
        assert_eq!(
            q.0[1],
            Quote {
                text: "second".into(),
                author: "Me".into()
            }
        );
    }
}
