//! Type 1 ("same text") and type 2 ("extended") patterns: a header and one row per character of
//! the text, aligned with the diagram history.

use super::any_text::filtered_timings;
use super::document::{Document, ElementValue};
use super::keyboard::{DiagramRow, HistoryRow, KeyCode};
use super::motion::PART_SEPARATOR;
use super::options::{DiagramRequest, RequestText, Target};
use super::{push_numbers, MissingSubstitute, Recorder};
use crate::js::{self, round};
use crate::stats::mean4;
use crate::text_id::text_id;

/// Above this share of unmatched characters (in percent) the pattern is `null`.
const MAX_MISSING_PERCENT: f64 = 7.0;
/// Window of the type-0 history the missing-key substitutes are computed from.
const SUBSTITUTE_WINDOW: usize = 160;

/// The mobile `#` trailer: four lists, one entry per emitted row with motion data and per
/// missing character, each joined by `|` as the entries come.
#[derive(Default)]
struct Trailer {
    lists: [String; 4],
    has_entries: bool,
}

impl Trailer {
    /// Adds the row's four motion strings; rows without motion data (an empty string, as in
    /// the reference) add no entry.
    fn push_row(&mut self, row: &DiagramRow) {
        if !row.motion.is_empty() {
            self.push_entry(&row.motion);
        }
    }

    /// Adds an entry to each list: the parts of a motion string, or (for `""`, a missing
    /// character) four empty strings.
    fn push_entry(&mut self, motion: &str) {
        // A byte scan for the (ASCII) separator: `str::split` brings the standard library's
        // string searchers into the wasm build.
        let mut rest = motion;
        for list in &mut self.lists {
            if self.has_entries {
                list.push('|');
            }
            let end = rest
                .bytes()
                .position(|b| char::from(b) == PART_SEPARATOR)
                .unwrap_or(rest.len());
            list.push_str(&rest[..end]);
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        self.has_entries = true;
    }

    fn write(&self, out: &mut String) {
        for (i, list) in self.lists.iter().enumerate() {
            // `#fixed#zacc/xrot/yrot`.
            out.push(if i < 2 { '#' } else { '/' });
            out.push_str(list);
        }
    }
}

/// One UTF-16 unit of a case-mapped text, or NaN past its end (as `charCodeAt` gives).
fn unit_at(units: &[u16], i: usize) -> f64 {
    units.get(i).map_or(f64::NAN, |u| f64::from(*u))
}

/// Appends a row: `seek,press`, or `charCode,seek,press,keyCode` when extended.
fn push_row(
    out: &mut String,
    extended: bool,
    char_code: f64,
    seek: f64,
    press: f64,
    key_code: KeyCode,
) {
    out.push('|');
    if extended {
        js::push_number(out, char_code);
        out.push(',');
    }
    push_numbers(out, &[seek, press]);
    if extended {
        out.push(',');
        key_code.push_to(out);
    }
}

impl Recorder {
    /// A type 1 or 2 pattern: the text resolved (read from the page if need be), then printed.
    pub(crate) fn diagram_pattern(
        &mut self,
        request: &DiagramRequest<'_>,
        document: &dyn Document,
    ) -> Option<String> {
        let all_rows = &self.keyboard.diagram;
        let by_target = request.target != Target::All && !all_rows.is_empty();
        // Without a text, the one read from the page's elements, if any.
        let mut text = request.text;
        let mut read = None;
        if let RequestText::FromPage { empty } = text {
            // What the text stays when nothing is read: `""` or `undefined`.
            text = if empty {
                RequestText::Text("")
            } else {
                RequestText::AllRows
            };
            if by_target {
                let value = match request.target {
                    Target::NotAString(id) => document.element_value(&id.to_js_string()),
                    Target::Id(id) => document.element_value(id),
                    Target::All => ElementValue::Missing,
                };
                match value {
                    ElementValue::Missing => {}
                    ElementValue::NoValue => text = RequestText::AllRows,
                    ElementValue::Text(s) => read = Some(s),
                }
            } else if !by_target && !self.keyboard.targets.ids.is_empty() {
                let mut joined = String::new();
                for id in &self.keyboard.targets.ids {
                    match document.element_value(id) {
                        ElementValue::Missing => {}
                        ElementValue::NoValue => joined.push_str("undefined"),
                        ElementValue::Text(s) => joined.push_str(&s),
                    }
                }
                read = Some(joined);
            }
        }
        if let Some(s) = &read {
            text = RequestText::Text(s);
        }
        // Ids compare strictly: a non-string target matches no row.
        let target = self.keyboard.rows_of(request.target.row_id());
        let mut rows: Vec<&DiagramRow> = Vec::with_capacity(all_rows.len());
        for row in all_rows {
            if !by_target || Some(row.target) == target {
                rows.push(row);
            }
        }

        let row_count = rows.len();
        let str_length = match text {
            RequestText::Text(s) => s.encode_utf16().count() as f64,
            RequestText::LastRows(n) if n < row_count as f64 => n,
            _ => row_count as f64,
        };
        let text_id_value = match (request.text_id, text) {
            (Some(given), _) => given,
            (None, RequestText::Text(s)) => f64::from(text_id(s)),
            (None, _) => 0.0,
        };
        let diagram_type = if request.header_extended { 1.0 } else { 0.0 };
        let extended = request.rows_extended;

        let mut out = String::with_capacity(512 + 16 * row_count);
        self.push_common_header(&mut out, diagram_type);
        out.push(',');
        push_numbers(&mut out, &[str_length, text_id_value]);
        out.push(',');
        self.push_special_keys_and_signature(&mut out);

        let mut trailer = Trailer::default();
        match text {
            RequestText::Text(s) if !s.is_empty() => {
                let mut substitutes = Substitutes {
                    cache: &mut self.missing_cache,
                    history: self.keyboard.history(),
                    fix_quirks: self.options.fix_quirks,
                };
                let alignment = Alignment {
                    rows: &rows,
                    case_sensitive: request.case_sensitive,
                    str_length,
                    extended,
                    mobile: self.mobile,
                    with_motion: self.mobile && self.motion.seen,
                };
                alignment.write(s, &mut substitutes, &mut out, &mut trailer)?;
            }
            _ => {
                let start = match text {
                    RequestText::LastRows(n) => {
                        let start = row_count as f64 - n;
                        // JS `Math.max(0, NaN)` is NaN (Rust's `f64::max` would give 0), and a
                        // NaN start visits no row: `NaN < n` is false. So `{length: NaN}`
                        // prints none.
                        if start.is_nan() {
                            row_count
                        } else {
                            start.max(0.0).ceil() as usize
                        }
                    }
                    _ => 0,
                };
                for row in rows.iter().skip(start) {
                    push_row(
                        &mut out,
                        extended,
                        row.char_code,
                        row.seek,
                        row.press,
                        row.key_code,
                    );
                    trailer.push_row(row);
                }
            }
        }
        if self.mobile {
            trailer.write(&mut out);
        }
        Some(out)
    }
}

/// The settings of a call that has a text to align the rows with.
struct Alignment<'a> {
    rows: &'a [&'a DiagramRow],
    case_sensitive: bool,
    str_length: f64,
    extended: bool,
    mobile: bool,
    with_motion: bool,
}

impl Alignment<'_> {
    /// Aligns the text with the rows and appends one row per character of the text.
    /// `None` once more than 7 % of the characters are missing.
    fn write(
        &self,
        text: &str,
        substitutes: &mut Substitutes<'_>,
        out: &mut String,
        trailer: &mut Trailer,
    ) -> Option<()> {
        let rows = self.rows;
        // Case-sensitive matching has no case-mapped forms, so every alternative is NaN.
        let (upper, lower) = if self.case_sensitive {
            (Vec::new(), Vec::new())
        } else {
            (js::to_upper_utf16(text), js::to_lower_utf16(text))
        };
        let mut cursor = 0usize;
        // The previous out-of-order match since the cursor last moved.
        let mut last_jump: Option<usize> = None;
        let mut missing = 0u32;
        for (i, unit) in text.encode_utf16().enumerate() {
            let current = f64::from(unit);
            // Indices into the separately case-mapped strings drift when mapping changes the
            // length (e.g. "ß" -> "SS"); past the end the alternative is NaN and never matches.
            let u = unit_at(&upper, i);
            let alternative = if u != current { u } else { unit_at(&lower, i) };
            // Rows from the cursor on, then from the start up to the cursor (which never passes
            // the row count).
            let mut found = None;
            for k in 0..rows.len() {
                let j = (cursor + k) % rows.len();
                if rows[j].char_code == current || rows[j].char_code == alternative {
                    found = Some(j);
                    break;
                }
            }
            match found {
                Some(j) => {
                    if j == cursor {
                        cursor += 1;
                        last_jump = None;
                    } else if last_jump.is_some_and(|previous| previous + 1 == j) {
                        // Two consecutive out-of-order matches re-synchronise the cursor.
                        cursor = j + 1;
                        last_jump = None;
                    } else {
                        last_jump = Some(j);
                    }
                    // A row may be emitted for several characters.
                    let row = rows[j];
                    push_row(
                        out,
                        self.extended,
                        row.char_code,
                        row.seek,
                        row.press,
                        row.key_code,
                    );
                    if self.with_motion {
                        trailer.push_row(row);
                    }
                }
                None => {
                    missing += 1;
                    // `seek,press,1`, or `c,seek,press,c,1` when extended: the text's character
                    // code stands in for the key code.
                    let substitute = substitutes.get(rows.len());
                    let key_code = KeyCode::Code(unit.into());
                    push_row(
                        out,
                        self.extended,
                        current,
                        substitute.seek,
                        substitute.press,
                        key_code,
                    );
                    out.push_str(",1");
                    if self.mobile {
                        trailer.push_entry("");
                    }
                }
            }
            if MAX_MISSING_PERCENT < f64::from(missing) * 100.0 / self.str_length {
                return None;
            }
        }
        Some(())
    }
}

/// Substitute seek and press times for missing characters: rounded filtered means of the last
/// 160 rows of the type-0 history (all targets). Quirk Q3: they are cached with only the
/// candidate-row count as key, so `reset()` and new typing of the same length reuse stale
/// values; `fix_quirks` recomputes them every time.
struct Substitutes<'a> {
    cache: &'a mut Option<MissingSubstitute>,
    history: &'a [HistoryRow],
    fix_quirks: bool,
}

impl Substitutes<'_> {
    fn get(&mut self, diagram_rows: usize) -> MissingSubstitute {
        match *self.cache {
            Some(m) if m.diagram_rows == diagram_rows && !self.fix_quirks => m,
            _ => {
                let rows = self.history;
                let window = &rows[rows.len().saturating_sub(SUBSTITUTE_WINDOW)..];
                let (seeks, presses) = filtered_timings(window);
                let m = MissingSubstitute {
                    seek: round(mean4(&seeks)),
                    press: round(mean4(&presses)),
                    diagram_rows,
                };
                *self.cache = Some(m);
                m
            }
        }
    }
}
