//! The Aalto "136M keystrokes" desktop data (Dhakal et al., CHI 2018): one gzipped,
//! tab-separated file of raw key presses per typist.
//!
//! Defects handled: rows out of time order (sorted by press time), a release time before the
//! press (the keyup is treated as lost), timestamps in scientific notation such as
//! `1.471968e+12` (precision lost: a press time like that drops the row, a release time like
//! that loses the keyup), rows that do not parse (skipped and counted), and files that are
//! not valid UTF-8.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::replay::Stroke;
use crate::DataError;

/// One key press of the file.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    section: String,
    sentence: String,
    keystroke_id: i64,
    press: i64,
    release: Option<i64>,
    letter: String,
    key_code: u32,
}

/// A typist's sentences, in the order typed.
#[derive(Clone, Debug)]
pub(crate) struct Typist {
    pub id: String,
    /// Key strokes of each sentence, sorted by press time; sentences sorted by first press.
    pub sentences: Vec<Vec<Stroke>>,
    /// The text each sentence asked for (`SENTENCE`), in the order of `sentences`.
    pub texts: Vec<String>,
    /// Rows that could not be used as they are (see the module docs).
    pub repaired_rows: usize,
    pub dropped_rows: usize,
}

/// Reads an epoch-ms timestamp; `None` for scientific notation (rounded) or garbage.
fn exact_ms(cell: &str) -> Option<i64> {
    cell.trim().parse::<i64>().ok()
}

const SHIFT: u32 = 16;

/// Lists `*_keystrokes.txt.gz` files of `dir`, sorted by numeric participant id.
pub(crate) fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>, DataError> {
    let mut search = dir.to_path_buf();
    if search.join("keystrokes").is_dir() {
        search = search.join("keystrokes");
    }
    let entries = std::fs::read_dir(&search).map_err(|e| DataError::io(&search, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| DataError::io(&search, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix("_keystrokes.txt.gz") {
            files.push((id.to_owned(), entry.path()));
        }
    }
    files.sort_by(|a, b| {
        let key = |s: &str| (s.parse::<u64>().unwrap_or(u64::MAX), s.to_owned());
        key(&a.0).cmp(&key(&b.0))
    });
    Ok(files)
}

/// Reads one typist's file.
pub(crate) fn load(id: &str, path: &Path) -> Result<Typist, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| DataError::io(path, e))?;
    // A few files are not UTF-8 (sentences in another encoding); only the sentence text is
    // affected, and the key columns are ASCII.
    let text = String::from_utf8_lossy(&bytes);
    let mut rows = Vec::new();
    let mut repaired_rows = 0;
    let mut dropped_rows = 0;
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() < 9 {
            dropped_rows += 1;
            continue;
        }
        let n = cells.len();
        // SENTENCE and USER_INPUT could in principle hold tabs: read the fixed columns from
        // both ends.
        let (section, keystroke, press, release, letter, code) = (
            cells[1],
            cells[n - 5],
            cells[n - 4],
            cells[n - 3],
            cells[n - 2],
            cells[n - 1],
        );
        let (Some(press), Ok(key_code)) = (exact_ms(press), code.trim().parse::<u32>()) else {
            dropped_rows += 1;
            continue;
        };
        let release = exact_ms(release).filter(|&r| r >= press);
        if release.is_none() {
            repaired_rows += 1;
        }
        rows.push(Row {
            section: section.to_owned(),
            sentence: cells[2].to_owned(),
            keystroke_id: keystroke.trim().parse().unwrap_or(i64::MAX),
            press,
            release,
            letter: letter.to_owned(),
            key_code,
        });
    }
    let mut sections: Vec<String> = rows.iter().map(|r| r.section.clone()).collect();
    sections.sort();
    sections.dedup();
    let mut sentences: Vec<Vec<Row>> = sections
        .iter()
        .map(|s| rows.iter().filter(|r| &r.section == s).cloned().collect())
        .collect();
    for s in &mut sentences {
        s.sort_by_key(|r| (r.press, r.keystroke_id));
    }
    sentences.sort_by_key(|s| s.first().map(|r| (r.press, r.keystroke_id)));
    Ok(Typist {
        id: id.to_owned(),
        sentences: sentences.iter().map(|s| strokes(s)).collect(),
        texts: sentences
            .iter()
            .map(|s| s.first().map(|r| r.sentence.clone()).unwrap_or_default())
            .collect(),
        repaired_rows,
        dropped_rows,
    })
}

/// The keypress charCode of a row: the typed character for one-character `LETTER`s (`SHIFT`,
/// `BKSP` and other key names have no keypress).
fn char_code(letter: &str) -> Option<u32> {
    let mut units = letter.encode_utf16();
    match (units.next(), units.next()) {
        (Some(u), None) if u >= 32 => Some(u as u32),
        _ => None,
    }
}

/// Key strokes of one sentence with the Shift state at each keydown and keyup.
fn strokes(rows: &[Row]) -> Vec<Stroke> {
    // Shift held from its press to its release; a Shift whose release is unusable is taken
    // as held until the next other key is released.
    let mut held: Vec<(i64, i64)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.key_code != SHIFT {
            continue;
        }
        let end = r.release.unwrap_or_else(|| {
            rows[i + 1..]
                .iter()
                .find(|o| o.key_code != SHIFT)
                .and_then(|o| o.release)
                .unwrap_or(r.press)
        });
        held.push((r.press, end));
    }
    let shift_at = |t: i64| held.iter().any(|&(a, b)| a <= t && t <= b);
    rows.iter()
        .map(|r| {
            let is_shift = r.key_code == SHIFT;
            Stroke {
                down: r.press,
                up: r.release,
                key_code: r.key_code,
                char_code: char_code(&r.letter),
                shift_down: is_shift || shift_at(r.press),
                shift_up: is_shift || r.release.is_some_and(shift_at),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_gz(dir: &Path, name: &str, body: &str) -> PathBuf {
        use std::io::Write;
        let path = dir.join(name);
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(body.as_bytes()).unwrap();
        enc.finish().unwrap();
        path
    }

    #[test]
    fn defects_are_repaired_not_fatal() {
        let dir = std::env::temp_dir().join(format!("kc-aalto-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let header = "PARTICIPANT_ID\tTEST_SECTION_ID\tSENTENCE\tUSER_INPUT\tKEYSTROKE_ID\tPRESS_TIME\tRELEASE_TIME\tLETTER\tKEYCODE\n";
        let body = format!(
            "{header}\
             7\t2\tHi.\tHi.\t5\t2000\t2080\ti\t73\n\
             7\t2\tHi.\tHi.\t3\t1900\t1990\tSHIFT\t16\n\
             7\t2\tHi.\tHi.\t4\t1950\t1.471968e+12\tH\t72\n\
             7\t1\tok\tok\t1\t1000\t900\to\t79\n\
             7\t1\tok\tok\t2\t1.2e+3\t1300\tk\t75\n\
             7\t1\tbroken\n"
        );
        let path = write_gz(&dir, "7_keystrokes.txt.gz", &body);
        let t = load("7", &path).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(t.sentences.len(), 2);
        assert_eq!(t.texts, vec!["ok", "Hi."]);
        // Section 1 was typed first; its release-before-press row lost its keyup, the row
        // with a scientific press time is gone, the short row too.
        assert_eq!(t.sentences[0].len(), 1);
        assert_eq!(t.sentences[0][0].up, None);
        assert_eq!(t.dropped_rows, 2);
        // Section 2 sorted by press: Shift, H (shifted, keyup lost), i (unshifted).
        let s = &t.sentences[1];
        assert_eq!(
            s.iter().map(|k| k.key_code).collect::<Vec<_>>(),
            vec![16, 72, 73]
        );
        assert!(s[1].shift_down && s[1].up.is_none());
        assert_eq!(s[1].char_code, Some(72));
        assert!(!s[2].shift_down);
        assert_eq!(s[0].char_code, None);
    }
}
