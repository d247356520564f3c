//! Parser tests on synthetic patterns laid out like the recorder's (the golden vectors are
//! checked in `tests/pattern_roundtrip.rs`).

use super::*;

const SPECIAL_KEYS: &str = "0,-1,-1,0,-1,-1,1,106,-1,0,-1,-1,0,-1,-1";
const SIGNATURE: &str = "1,0,0,1,1,1,902248182,1,1,0,0,0,1,1920,1080,2,0,120,0,2619031885";

fn header(mobile: u8, diagram_type: &str) -> String {
    format!("{mobile},3.2,0,{diagram_type},3,939726232,{SPECIAL_KEYS},{SIGNATURE}")
}

fn legacy_header(diagram_type: &str) -> String {
    format!("0,2.15,0,{diagram_type},3,939726232,{SPECIAL_KEYS}")
}

/// The 319 statistics fields of a type-0 pattern: globals, 44 revs, 6 × 44 ratios.
fn type0_statistics() -> String {
    let mut fields = vec![
        "11", "214", "280", "0.3679", "1.7181", "0.3495", "0.301", "103", "177", "36", "31",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    fields.extend((0..44).map(|i| (i % 3).to_string()));
    fields.extend((0..264).map(|i| {
        if i % 7 == 0 {
            "0.9512".into()
        } else {
            "1".into()
        }
    }));
    fields.join(",")
}

fn type0() -> String {
    format!(
        "{},0,3.2,0,-1,11,0,{SPECIAL_KEYS},{SIGNATURE}",
        type0_statistics()
    )
}

fn legacy_type0() -> String {
    format!("{},0,2.15,0,{SPECIAL_KEYS}", type0_statistics())
}

fn mouse(rows: &str) -> String {
    format!(
        "{}|{rows}",
        header(0, "9").replacen(",3,939726232,", ",0,0,", 1)
    )
}

/// Replaces field `index` of a comma list.
fn with_field(pattern: &str, index: usize, value: &str) -> String {
    let mut fields: Vec<&str> = pattern.split(',').collect();
    fields[index] = value;
    fields.join(",")
}

fn parse_ok(s: &str) -> Pattern {
    let pattern = Pattern::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
    assert_eq!(pattern.to_string(), s, "printing gives the input back");
    pattern
}

fn error(s: &str) -> String {
    match Pattern::parse(s) {
        Ok(p) => panic!("accepted {s:?} as {p:?}"),
        Err(e) => e.to_string(),
    }
}

/// Byte offset of the `n`-th (from 0) occurrence of `needle` in `s`.
fn offset_of(s: &str, needle: &str, n: usize) -> usize {
    s.match_indices(needle).nth(n).expect("needle present").0
}

#[test]
fn type0_fields_land_in_named_slots() {
    let Pattern::AnyText(p) = parse_ok(&type0()) else {
        panic!("not type 0")
    };
    assert_eq!(p.globals.hist_rev, 11);
    assert_eq!(p.globals.cpm, 214.0);
    assert_eq!(p.globals.press_ratio, 0.3679);
    assert_eq!(p.globals.seek_sd, 31.0);
    assert_eq!(p.keys[1].rev, 1);
    assert_eq!(p.key(67).map(|k| k.rev), Some(2)); // C is the third key
    assert_eq!(p.keys[0].seek_mean, 0.9512); // first ratio field, i % 7 == 0
    assert_eq!(p.keys[1].seek_mean, 1.0);
    assert_eq!(p.key(13), None);
    assert_eq!(p.version, 3.2);
    assert_eq!(p.special_keys.space.count, 1);
    assert_eq!(p.special_keys.space.mean, 106);
    assert_eq!(p.device_signature.unwrap().display_width(), 1920.0);
    assert_eq!(p.device_signature.unwrap().signature(), 2619031885.0);
}

#[test]
fn type0_keeps_infinity() {
    let s = with_field(&type0(), 4, "Infinity");
    let Pattern::AnyText(p) = parse_ok(&s) else {
        panic!("not type 0")
    };
    assert_eq!(p.globals.seek_to_press_ratio, f64::INFINITY);
}

#[test]
fn legacy_type0_has_no_signature() {
    let p = parse_ok(&legacy_type0());
    assert_eq!(p.kind(), PatternKind::AnyText);
    assert_eq!(p.device_signature(), None);
    assert_eq!(p.special_keys().space.mean, 106);
}

#[test]
fn same_text_rows_and_substitution_marker() {
    let s = format!("{}|2228,55|206,158|191,100,1", header(0, "0"));
    let p = parse_ok(&s);
    assert_eq!(p.kind(), PatternKind::SameText);
    assert_eq!(p.text_id(), Some(939726232));
    let Pattern::Diagram(d) = p else { panic!() };
    assert_eq!(
        d.rows,
        DiagramRows::SameText(vec![
            SameTextRow {
                seek: 2228,
                press: 55,
                substituted: false
            },
            SameTextRow {
                seek: 206,
                press: 158,
                substituted: false
            },
            SameTextRow {
                seek: 191,
                press: 100,
                substituted: true
            },
        ])
    );
    assert_eq!(d.header.str_length, 3.0);
    assert_eq!(d.motion, None);
}

#[test]
fn extended_rows_keep_android_nan_and_empty_codes() {
    let s = format!(
        "{}|65,1316,63,65|0,222,139,229|NaN,10,20,NaN|0,30,40,|103,207,103,103,1#{}",
        header(1, "1"),
        "||||#||||/||||/||||"
    );
    let Pattern::Diagram(d) = parse_ok(&s) else {
        panic!()
    };
    let DiagramRows::Extended(rows) = &d.rows else {
        panic!("extended rows")
    };
    assert_eq!(rows[0].char_code, Code::Value(65));
    assert_eq!(rows[1].key_code.value(), Some(229));
    assert_eq!(rows[2].char_code, Code::NaN);
    assert_eq!(rows[2].key_code, Code::NaN);
    assert_eq!(rows[3].key_code, Code::Undefined);
    assert!(rows[4].substituted);
    assert_eq!(d.motion.unwrap().samples.len(), 5);
}

#[test]
fn type1_header_over_extended_rows_is_kept() {
    // `{type:1, extended:1}` prints header type 0 with extended rows (quirk Q12).
    let s = format!("{}|104,2228,55,72|101,206,158,69", header(0, "0"));
    let p = parse_ok(&s);
    assert_eq!(p.kind(), PatternKind::SameText);
    let Pattern::Diagram(d) = p else { panic!() };
    assert!(matches!(d.rows, DiagramRows::Extended(ref rows) if rows.len() == 2));
}

#[test]
fn diagram_without_rows() {
    let p = parse_ok(&header(0, "1"));
    let Pattern::Diagram(d) = p else { panic!() };
    assert!(d.rows.is_empty());
    assert!(matches!(d.rows, DiagramRows::Extended(_)));
}

#[test]
fn legacy_diagram_header() {
    let s = format!("{}|100,50|120,60", legacy_header("0"));
    let p = parse_ok(&s);
    assert_eq!(p.device_signature(), None);
    assert_eq!(p.text_id(), Some(939726232));
    let Pattern::Diagram(d) = p else { panic!() };
    assert_eq!(d.header.version, 2.15);
}

#[test]
fn unusual_header_values_print_back() {
    // A negative parseInt text id and a fractional numeric length are real recorder output.
    let s = with_field(&with_field(&header(0, "0"), 5, "-5"), 4, "2.5");
    let p = parse_ok(&format!("{s}|1,2"));
    assert_eq!(p.text_id(), Some(-5));
}

#[test]
fn mobile_motion_trailer() {
    let empty = format!("{}|1852,152|230,140##//", header(1, "0"));
    let Pattern::Diagram(d) = parse_ok(&empty) else {
        panic!()
    };
    assert_eq!(d.motion, Some(MotionTrailer::default()));

    let s = format!(
        "{}|1314,94|230,100|191,100,1#-7,-400,-879,16,39,19,244,4|5,-397,,,NaN,-30,244,-3|#0|12,-5|/3,NaN|1|/-2|4,4|",
        header(1, "0")
    );
    let Pattern::Diagram(d) = parse_ok(&s) else {
        panic!()
    };
    let samples = d.motion.unwrap().samples;
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0].fixed.len(), 8);
    assert_eq!(samples[0].fixed[1], MotionValue::Number(-400.0));
    assert_eq!(samples[1].fixed[2], MotionValue::Undefined);
    assert_eq!(samples[1].fixed[4], MotionValue::NaN);
    assert_eq!(
        samples[1].z_acceleration,
        [MotionValue::Number(12.0), MotionValue::Number(-5.0)]
    );
    assert_eq!(samples[0].x_rotation[1], MotionValue::NaN);
    assert_eq!(samples[2], MotionSample::default());
}

#[test]
fn mouse_rows() {
    let s = mouse("1,128,104,81,248,88|2,90,120.5,Infinity|3,257|4,110|5,60,61,102,351,66");
    let p = parse_ok(&s);
    assert_eq!(p.kind(), PatternKind::Mouse);
    assert_eq!(p.text_id(), None);
    let Pattern::Mouse(m) = p else { panic!() };
    assert_eq!(m.rows.len(), 5);
    assert_eq!(
        m.rows[1],
        MouseRow::Scroll {
            duration: 90.0,
            distance: 120.5,
            speed: f64::INFINITY
        }
    );
    assert_eq!(m.rows[2], MouseRow::Stop { duration: 257.0 });
    assert!(matches!(m.rows[4], MouseRow::Drag(g) if g.angle == 351.0));
    let empty = parse_ok(&mouse(""));
    assert!(matches!(empty, Pattern::Mouse(ref m) if m.rows.is_empty()));
}

#[test]
fn error_empty_and_too_long() {
    assert_eq!(error(""), "pattern: empty pattern (byte 0)");
    let long = "1".repeat(MAX_INPUT_BYTES + 1);
    assert_eq!(
        error(&long),
        "pattern: input is 1048577 bytes, more than the limit of 1048576 (byte 1048576)"
    );
}

#[test]
fn error_wrong_field_count() {
    assert_eq!(
        error("1,2,3"),
        "pattern: expected 360 or 337 (type 0) or 41 or 21 (header) fields, found 3 (byte 0)"
    );
    let s = format!("{},7", type0());
    assert_eq!(
        error(&s),
        "pattern: expected 360 or 337 (type 0) or 41 or 21 (header) fields, found 361 (byte 0)"
    );
}

#[test]
fn error_row_field_count() {
    let s = format!("{}|100,50|1,2|3,4|1,2,3,4,5", header(0, "0"));
    assert_eq!(
        error(&s),
        format!(
            "row 3: expected 2 or 3 fields, found 5 (byte {})",
            offset_of(&s, "1,2,3,4,5", 0)
        )
    );
    let s = format!("{}|100,50,3", header(0, "1"));
    assert_eq!(
        error(&s),
        format!(
            "row 0: expected 4 or 5 fields, found 3 (byte {})",
            offset_of(&s, "|100", 0) + 1
        )
    );
}

#[test]
fn error_not_a_number() {
    let s = with_field(&type0(), 27, "1x");
    assert_eq!(
        error(&s),
        format!(
            "field 27: not a number: \"1x\" (byte {})",
            offset_of(&s, "1x", 0)
        )
    );
    let s = format!("{}\n", type0());
    assert_eq!(
        error(&s),
        format!(
            "field 359: not a number: \"2619031885\\n\" (byte {})",
            offset_of(&s, "2619031885", 0)
        )
    );
    let s = format!("{}|1x,2", header(0, "0"));
    assert_eq!(
        error(&s),
        format!(
            "row 0, field 0: not a number: \"1x\" (byte {})",
            offset_of(&s, "1x", 0)
        )
    );
}

#[test]
fn error_quotes_are_cut() {
    let long = "z".repeat(100);
    let s = with_field(&type0(), 1, &long);
    let message = error(&s);
    assert!(
        message.starts_with(&format!("field 1: not a number: \"{}…\"", "z".repeat(40))),
        "{message}"
    );
}

#[test]
fn error_not_canonical() {
    let s = with_field(&type0(), 3, "0.36790");
    assert_eq!(
        error(&s),
        format!(
            "field 3: number \"0.36790\" is not written the way the recorder writes it (\"0.3679\") (byte {})",
            offset_of(&s, "0.36790", 0)
        )
    );
    let s = format!("{}|-0,12", header(0, "0"));
    assert_eq!(
        error(&s),
        format!(
            "row 0, field 0: number \"-0\" is not written the way the recorder writes it (\"0\") (byte {})",
            offset_of(&s, "-0,12", 0)
        )
    );
}

#[test]
fn error_nan_where_not_allowed() {
    let s = with_field(&type0(), 5, "NaN");
    assert_eq!(
        error(&s),
        format!(
            "field 5: NaN is not allowed here (byte {})",
            offset_of(&s, "NaN", 0)
        )
    );
    let s = format!("{}|NaN,12", header(0, "0"));
    assert_eq!(
        error(&s),
        format!(
            "row 0, field 0: NaN is not allowed here (byte {})",
            offset_of(&s, "NaN", 0)
        )
    );
    // Char codes may be NaN (Android) but not empty; key codes may be both.
    let s = format!("{}|,100,50,65", header(0, "1"));
    assert_eq!(
        error(&s),
        format!(
            "row 0, field 0: not a number: \"\" (byte {})",
            offset_of(&s, "|,100", 0) + 1
        )
    );
}

#[test]
fn error_fractional_timing() {
    let s = format!("{}|100.5,12", header(0, "0"));
    assert_eq!(
        error(&s),
        format!(
            "row 0, field 0: not an integer: \"100.5\" (byte {})",
            offset_of(&s, "100.5", 0)
        )
    );
}

#[test]
fn error_unknown_type() {
    let s = header(0, "7");
    assert_eq!(
        error(&s),
        format!(
            "field 3: unknown pattern type \"7\" (header field 3 must be 0, 1 or 9) (byte {})",
            offset_of(&s, ",7,", 0) + 1
        )
    );
    let s = header(0, "-1");
    assert!(error(&s).starts_with("field 3: unknown pattern type \"-1\""));
}

#[test]
fn error_trailing_garbage() {
    let s = format!("{}|1,2", type0());
    assert_eq!(
        error(&s),
        format!(
            "pattern: unexpected \"|1,2\" after a type-0 pattern (byte {})",
            type0().len()
        )
    );
    let s = format!("{}#", type0());
    assert_eq!(
        error(&s),
        format!(
            "pattern: unexpected \"#\" after a type-0 pattern (byte {})",
            type0().len()
        )
    );
    let s = format!("{}##//", mouse("3,257"));
    assert_eq!(
        error(&s),
        format!(
            "pattern: unexpected \"##//\" after a mouse pattern (byte {})",
            mouse("3,257").len()
        )
    );
}

#[test]
fn error_empty_rows() {
    let h = header(0, "0");
    assert_eq!(
        error(&format!("{h}|")),
        format!("row 0: empty row (byte {})", h.len() + 1)
    );
    assert_eq!(
        error(&format!("{h}|1,2||3,4")),
        format!("row 1: empty row (byte {})", h.len() + 5)
    );
    assert_eq!(
        error(&format!("{h}|1,2|")),
        format!("row 1: empty row (byte {})", h.len() + 5)
    );
}

#[test]
fn error_too_many_rows() {
    let h = header(0, "0");
    let s = format!("{h}{}", "|1,2".repeat(MAX_ROWS + 1));
    assert_eq!(
        error(&s),
        format!(
            "row 10000: more than 10000 rows (byte {})",
            h.len() + 4 * MAX_ROWS + 1
        )
    );
    assert!(Pattern::parse(&format!("{h}{}", "|1,2".repeat(MAX_ROWS))).is_ok());
}

#[test]
fn error_bad_substitution_marker() {
    let s = format!("{}|1,2,2", header(0, "0"));
    assert_eq!(
        error(&s),
        format!(
            "row 0, field 2: expected 1 (the substitution marker), found \"2\" (byte {})",
            s.len() - 1
        )
    );
}

#[test]
fn error_type0_trailer() {
    let s = with_field(&type0(), 322, "0");
    assert_eq!(
        error(&s),
        format!(
            "field 322: expected -1 (the type-0 marker), found \"0\" (byte {})",
            type0_statistics().len() + 9
        )
    );
    let s = with_field(&type0(), 323, "12");
    assert_eq!(
        error(&s),
        format!(
            "field 323: the field repeats the history length of field 0 (11) but says 12 (byte {})",
            type0_statistics().len() + 12
        )
    );
    let s = with_field(&type0(), 324, "5");
    assert!(error(&s).starts_with("field 324: expected 0 (type 0 has no text id), found \"5\""));
}

#[test]
fn error_bad_flag_and_count() {
    let s = with_field(&header(0, "0"), 0, "2");
    assert_eq!(error(&s), "field 0: expected 0 or 1, found \"2\" (byte 0)");
    let s = with_field(&type0(), 11, "-1");
    assert!(error(&s)
        .starts_with("field 11: expected a count (an integer from 0 to 4294967295), found \"-1\""));
}

#[test]
fn error_motion_trailer() {
    let desktop = format!("{}|1,2##//", header(0, "0"));
    assert_eq!(
        error(&desktop),
        format!(
            "pattern: motion trailer on a desktop pattern (header field 0 is 0) (byte {})",
            desktop.len() - 4
        )
    );
    let h = header(1, "0");
    let s = format!("{h}|1,2#1,2//");
    assert_eq!(
        error(&s),
        format!(
            "pattern: motion trailer is not `#fixed#z/x/y`: no second '#' (byte {})",
            h.len() + 5
        )
    );
    let s = format!("{h}|1,2#1#2/3");
    assert_eq!(
        error(&s),
        format!(
            "pattern: motion trailer is not `#fixed#z/x/y`: expected exactly two '/' after the second '#' (byte {})",
            h.len() + 7
        )
    );
    let s = format!("{h}|1,2#1#2/3/4#");
    assert!(error(&s).contains("a third '#'"));
    let s = format!("{h}|1,2|3,4#1|2#3|4/5/6|7");
    assert_eq!(
        error(&s),
        format!(
            "pattern: motion lists differ in length: fixed 2, z 2, x 1, y 2 (byte {})",
            h.len() + 9
        )
    );
    let s = format!("{h}|1,2#1#2/3,x/4");
    assert_eq!(
        error(&s),
        format!(
            "motion trailer, x-rotation list, entry 0, value 1: not a number: \"x\" (byte {})",
            s.len() - 3
        )
    );
}

#[test]
fn error_mouse() {
    let legacy = format!("{}|3,257", legacy_header("9"));
    assert_eq!(
        error(&legacy),
        "field 3: a mouse pattern needs the 41-field header of recorder 3.x (byte 9)"
    );
    let no_bar = mouse("").trim_end_matches('|').to_string();
    assert_eq!(
        error(&no_bar),
        format!(
            "pattern: expected '|' after the mouse header, found \"\" (byte {})",
            no_bar.len()
        )
    );
    let s = mouse("7,1");
    assert!(
        error(&s).starts_with("row 0, field 0: expected a mouse row type from 1 to 5, found \"7\"")
    );
    let s = mouse("4,110|1,2,3");
    assert!(error(&s).starts_with("row 1: expected 6 (a move or drag row) fields, found 3"));
    let s = with_field(&mouse("3,1"), 5, "12");
    assert!(
        error(&s).starts_with("field 5: expected 0 (a mouse pattern has no text id), found \"12\"")
    );
}

#[test]
fn list_of_patterns() {
    let a = type0();
    let b = format!("{}|100,50", header(0, "0"));
    let list = Pattern::parse_list(&format!("{a};{b};{a}")).unwrap();
    assert_eq!(
        list.iter().map(Pattern::kind).collect::<Vec<_>>(),
        [
            PatternKind::AnyText,
            PatternKind::SameText,
            PatternKind::AnyText
        ]
    );
    assert_eq!(list[1].to_string(), b);

    let bad = format!("{b}|1x,2");
    let joined = format!("{a};{bad}");
    let e = Pattern::parse_list(&joined).unwrap_err();
    assert_eq!(e.pattern, Some(1));
    assert_eq!(
        e.to_string(),
        format!(
            "pattern 1: row 1, field 0: not a number: \"1x\" (byte {})",
            joined.len() - 4
        )
    );
    assert_eq!(
        Pattern::parse_list(&format!("{a};"))
            .unwrap_err()
            .to_string(),
        format!("pattern 1: pattern: empty pattern (byte {})", a.len() + 1)
    );
    assert_eq!(
        Pattern::parse_list("").unwrap_err().to_string(),
        "pattern 0: pattern: empty pattern (byte 0)"
    );
}

#[test]
fn from_str_is_parse() {
    let p: Pattern = type0().parse().unwrap();
    assert_eq!(p, Pattern::parse(&type0()).unwrap());
}
