//! Type 1 ("same text") and type 2 ("extended") patterns: a header and one row per character of
//! the text, aligned with the diagram history (§7).

use super::any_text::filtered_timings;
use super::document::{Document, ElementValue};
use super::keyboard::{DiagramRow, HistoryRow};
use super::{push_numbers, MissingSubstitute, Recorder, Value};
use crate::js::{self, round};
use crate::stats::mean4;
use crate::text_id::text_id;
use std::collections::VecDeque;

/// Above this share of unmatched characters (in percent) the pattern is `null`.
const MAX_MISSING_PERCENT: f64 = 7.0;
/// Window of the type-0 history the missing-key substitutes are computed from.
const SUBSTITUTE_WINDOW: usize = 160;

/// The request, after the reference's argument handling (§7.1).
pub(crate) struct DiagramRequest<'a> {
    pub extended: &'a Value,
    pub text: Value,
    pub text_id: &'a Value,
    pub target_id: &'a Value,
    pub case_sensitive: &'a Value,
}

/// What a row contributes to the output.
enum Emitted<'a> {
    Row(&'a DiagramRow),
    Missing { char_code: f64 },
}

/// The mobile `#` trailer: four lists, one entry per emitted row with motion data.
#[derive(Default)]
struct Trailer {
    lists: [Vec<String>; 4],
}

impl Trailer {
    fn push_row(&mut self, row: &DiagramRow) {
        if let Some(motion) = &row.motion {
            // Rows whose fixed-motion string is empty carry nothing.
            if !motion[0].is_empty() {
                for (list, s) in self.lists.iter_mut().zip(motion.iter()) {
                    list.push(s.clone());
                }
            }
        }
    }

    fn push_missing(&mut self) {
        for list in &mut self.lists {
            list.push(String::new());
        }
    }

    fn write(&self, out: &mut String) {
        let separators = ['#', '#', '/', '/'];
        for (sep, list) in separators.iter().zip(&self.lists) {
            out.push(*sep);
            out.push_str(&list.join("|"));
        }
    }
}

/// One UTF-16 unit of a case-mapped text, or NaN past its end (as `charCodeAt` gives).
fn unit_at(units: &[u16], i: usize) -> f64 {
    units.get(i).map_or(f64::NAN, |u| f64::from(*u))
}

impl Recorder {
    pub(crate) fn diagram_pattern(
        &mut self,
        request: DiagramRequest<'_>,
        document: &dyn Document,
    ) -> Option<String> {
        let DiagramRequest {
            extended,
            mut text,
            text_id: text_id_option,
            target_id,
            case_sensitive,
        } = request;
        // Quirk Q6: the default is decided before the text may be read from an element.
        let case_sensitive = if case_sensitive.is_undefined() {
            text.is_undefined_or_empty_string()
        } else {
            case_sensitive.truthy()
        };
        // Quirk Q12: the header says extended only for `true`; rows follow truthiness.
        let diagram_type = if *extended == Value::Bool(true) {
            1.0
        } else {
            0.0
        };
        let extended = extended.truthy();

        let all_rows = &self.keyboard.diagram;
        let rows: Vec<&DiagramRow> =
            if !target_id.is_undefined_or_empty_string() && !all_rows.is_empty() {
                if text.is_undefined_or_empty_string() {
                    match document.element_value(&target_id.to_js_string()) {
                        ElementValue::Missing => {}
                        ElementValue::NoValue => text = Value::Undefined,
                        ElementValue::Text(s) => text = Value::String(s),
                    }
                }
                let id = target_id.as_str();
                all_rows
                    .iter()
                    .filter(|r| Some(r.target.as_str()) == id)
                    .collect()
            } else {
                if text.is_undefined_or_empty_string() && !self.keyboard.targets.ids.is_empty() {
                    let mut joined = String::new();
                    for id in &self.keyboard.targets.ids {
                        match document.element_value(id) {
                            ElementValue::Missing => {}
                            ElementValue::NoValue => joined.push_str("undefined"),
                            ElementValue::Text(s) => joined.push_str(&s),
                        }
                    }
                    text = Value::String(joined);
                }
                all_rows.iter().collect()
            };

        let row_count = rows.len();
        let str_length = match &text {
            Value::String(s) => s.encode_utf16().count() as f64,
            Value::Number(n) if *n < row_count as f64 => *n,
            _ => row_count as f64,
        };
        let text_id_value = if text_id_option.is_undefined() {
            match &text {
                Value::String(s) => f64::from(text_id(s)),
                _ => 0.0,
            }
        } else {
            let parsed = js::parse_int(&text_id_option.to_js_string());
            if parsed.is_nan() {
                text_id_option
                    .as_str()
                    .map_or(0.0, |s| f64::from(text_id(s)))
            } else {
                parsed
            }
        };

        let mut out = String::with_capacity(512 + 16 * row_count);
        self.push_common_header(&mut out, diagram_type);
        out.push(',');
        push_numbers(&mut out, &[str_length, text_id_value]);
        out.push(',');
        self.push_special_keys_and_signature(&mut out);

        let mut trailer = Trailer::default();
        let emitted = match &text {
            Value::String(s) if !s.is_empty() => {
                let mut substitutes = Substitutes {
                    cache: &mut self.missing_cache,
                    history: &self.keyboard.history,
                    fix_quirks: self.options.fix_quirks,
                };
                let with_motion = self.mobile && self.motion.seen;
                align(
                    s,
                    &rows,
                    case_sensitive,
                    str_length,
                    self.mobile,
                    with_motion,
                    &mut substitutes,
                    &mut trailer,
                )?
            }
            _ => {
                let start = match text.as_number() {
                    Some(n) => (row_count as f64 - n).max(0.0),
                    None => 0.0,
                };
                // A NaN start visits no row (`NaN < n` is false).
                let start = if start.is_nan() {
                    row_count
                } else {
                    start.ceil() as usize
                };
                rows.iter()
                    .skip(start)
                    .map(|row| {
                        trailer.push_row(row);
                        Emitted::Row(row)
                    })
                    .collect()
            }
        };
        let (seek, press) = match self.missing_cache {
            Some(m) => (m.seek, m.press),
            None => (0.0, 0.0),
        };
        for item in &emitted {
            out.push('|');
            match item {
                Emitted::Row(row) => {
                    if extended {
                        js::push_number(&mut out, row.char_code);
                        out.push(',');
                        push_numbers(&mut out, &[row.seek, row.press]);
                        out.push(',');
                        row.key_code.push_to(&mut out);
                    } else {
                        push_numbers(&mut out, &[row.seek, row.press]);
                    }
                }
                Emitted::Missing { char_code } => {
                    if extended {
                        push_numbers(&mut out, &[*char_code, seek, press, *char_code, 1.0]);
                    } else {
                        push_numbers(&mut out, &[seek, press, 1.0]);
                    }
                }
            }
        }
        if self.mobile {
            trailer.write(&mut out);
        }
        Some(out)
    }
}

/// Aligns the text with the rows (§7.4). `None` once more than 7 % of the characters are
/// missing.
#[allow(clippy::too_many_arguments)]
fn align<'r>(
    text: &str,
    rows: &[&'r DiagramRow],
    case_sensitive: bool,
    str_length: f64,
    mobile: bool,
    with_motion: bool,
    substitutes: &mut Substitutes<'_>,
    trailer: &mut Trailer,
) -> Option<Vec<Emitted<'r>>> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let upper = js::to_upper_utf16(text);
    let lower = js::to_lower_utf16(text);
    let mut emitted = Vec::with_capacity(units.len());
    let mut cursor = 0usize;
    let mut jumps: Vec<usize> = Vec::new();
    let mut missing = 0u32;
    for (i, unit) in units.iter().enumerate() {
        let current = f64::from(*unit);
        // Indices into the separately case-mapped strings drift when mapping changes the
        // length (e.g. "ß" -> "SS"); past the end the alternative is NaN and never matches.
        let alternative = if case_sensitive {
            f64::NAN
        } else {
            let u = unit_at(&upper, i);
            if u != current {
                u
            } else {
                unit_at(&lower, i)
            }
        };
        let matches = |row: &&DiagramRow| row.char_code == current || row.char_code == alternative;
        let found = (cursor..rows.len())
            .find(|j| matches(&rows[*j]))
            .or_else(|| (0..cursor.min(rows.len())).find(|j| matches(&rows[*j])));
        match found {
            Some(j) => {
                if j == cursor {
                    cursor += 1;
                    jumps.clear();
                } else {
                    jumps.push(j);
                    // Two consecutive out-of-order matches re-synchronise the cursor.
                    if jumps.len() > 1 && jumps[jumps.len() - 2] + 1 == j {
                        cursor = j + 1;
                        jumps.clear();
                    }
                }
                if with_motion {
                    trailer.push_row(rows[j]);
                }
                emitted.push(Emitted::Row(rows[j]));
            }
            None => {
                missing += 1;
                substitutes.ensure(rows.len());
                if mobile {
                    trailer.push_missing();
                }
                emitted.push(Emitted::Missing { char_code: current });
            }
        }
        if MAX_MISSING_PERCENT < f64::from(missing) * 100.0 / str_length {
            return None;
        }
    }
    Some(emitted)
}

/// Substitute seek and press times for missing characters: rounded filtered means of the last
/// 160 rows of the type-0 history (all targets). Quirk Q3: they are cached with only the
/// candidate-row count as key, so `reset()` and new typing of the same length reuse stale
/// values; `fix_quirks` recomputes them every time.
struct Substitutes<'a> {
    cache: &'a mut Option<MissingSubstitute>,
    history: &'a VecDeque<HistoryRow>,
    fix_quirks: bool,
}

impl Substitutes<'_> {
    fn ensure(&mut self, diagram_rows: usize) {
        let cached = self
            .cache
            .is_some_and(|m| m.diagram_rows == diagram_rows && !self.fix_quirks);
        if cached {
            return;
        }
        let (seeks, presses) = filtered_timings(self.history.iter().rev().take(SUBSTITUTE_WINDOW));
        *self.cache = Some(MissingSubstitute {
            seek: round(mean4(&seeks)),
            press: round(mean4(&presses)),
            diagram_rows,
        });
    }
}
