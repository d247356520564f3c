//! Replays recorder test vectors (JSON files: an environment, then timed events and
//! calls with the reference's results) through the core: shared by
//! the `replay` example and the golden-vector test.

use std::collections::HashMap;

use keycadence_core::recorder::js_api::{self, Value};
use keycadence_core::recorder::{
    pattern_info, Document, ElementValue, KeyEvent, KeyKind, MotionEvent, MouseEvent, MouseKind,
    Recorder, RecorderOptions,
};
use keycadence_core::{text_id, Environment};
use serde_json::{json, Value as Json};

/// One `call` or `static` result, in the vectors' JSON conventions, next to what was expected.
pub(crate) struct Outcome {
    pub op_index: usize,
    pub method: String,
    pub result: Json,
    pub expect: Option<Json>,
}

/// An element of the simulated page.
#[derive(Default)]
struct Element {
    value: String,
    selection_start: Option<u32>,
}

#[derive(Default)]
struct Page {
    elements: HashMap<String, Element>,
}

impl Document for Page {
    fn element_value(&self, id: &str) -> ElementValue {
        match self.elements.get(id) {
            Some(e) => ElementValue::Text(e.value.clone()),
            None => ElementValue::Missing,
        }
    }
}

fn environment(env: &Json) -> Environment {
    let text = |k: &str| env[k].as_str().unwrap_or_default().to_owned();
    let number = |k: &str| env[k].as_f64().unwrap_or(0.0) as u32;
    Environment {
        user_agent: text("userAgent"),
        platform: text("platform"),
        language: env["language"].as_str().map(str::to_owned),
        screen_width: number("screenWidth"),
        screen_height: number("screenHeight"),
        max_touch_points: number("maxTouchPoints"),
        ontouchstart: env["ontouchstart"].as_bool().unwrap_or(false),
        has_orientation: env.get("orientation").is_some_and(|o| !o.is_null()),
        device_motion_event: env["deviceMotionEvent"].as_bool().unwrap_or(false),
        ..Environment::default()
    }
}

/// A JSON value as the JS value it stands for (`"__undefined__"` is `undefined`).
pub(crate) fn to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) if s == "__undefined__" => Value::Undefined,
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Object(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), to_value(v)))
                .collect(),
        ),
        Json::Object(props) => Value::Object(
            props
                .iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect(),
        ),
    }
}

fn number(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        // NaN and the infinities have no JSON form; JSON.stringify writes null.
        serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
    }
}

fn undefined() -> Json {
    json!("__undefined__")
}

fn optional_string(s: Option<String>) -> Json {
    s.map_or(Json::Null, Json::String)
}

fn arg(args: &[Json], i: usize) -> Value {
    args.get(i).map_or(Value::Undefined, to_value)
}

/// Runs one vector file's ops and returns every `call`/`static` result.
pub(crate) fn replay(vector: &Json, options: RecorderOptions) -> Result<Vec<Outcome>, String> {
    let env = environment(&vector["env"]);
    let mut page = Page::default();
    if let Some(ids) = vector["env"]["elements"].as_array() {
        for id in ids.iter().filter_map(Json::as_str) {
            page.elements.insert(id.to_owned(), Element::default());
        }
    }
    let ops = vector["ops"]
        .as_array()
        .ok_or("the vector has no ops array")?;
    let mut recorder: Option<Recorder> = None;
    let mut outcomes = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        let t = op["t"].as_i64().unwrap_or(0);
        let kind = op["op"].as_str().unwrap_or_default();
        if kind == "construct" {
            recorder = Some(Recorder::with_options(env.clone(), t, options));
            continue;
        }
        if kind == "setValue" {
            let target = op["target"].as_str().unwrap_or_default();
            let element = page.elements.entry(target.to_owned()).or_default();
            element.value = op["value"].as_str().unwrap_or_default().to_owned();
            continue;
        }
        let rec = recorder
            .as_mut()
            .ok_or_else(|| format!("op {index} ({kind}) comes before construct"))?;
        match kind {
            "key" => {
                let target = op["target"].as_str().unwrap_or_default();
                let element = page.elements.entry(target.to_owned()).or_default();
                if let Some(v) = op["value"].as_str() {
                    element.value = v.to_owned();
                }
                if let Some(s) = op["selectionStart"].as_u64() {
                    element.selection_start = Some(s as u32);
                }
                let event_kind = match op["type"].as_str().unwrap_or_default() {
                    "keydown" => KeyKind::Down,
                    "keypress" => KeyKind::Press,
                    "keyup" => KeyKind::Up,
                    "input" => KeyKind::Input,
                    other => return Err(format!("op {index}: unknown key event {other:?}")),
                };
                let event = KeyEvent {
                    kind: event_kind,
                    time: t,
                    key_code: op["keyCode"].as_u64().map(|k| k as u32),
                    char_code: op["charCode"].as_u64().unwrap_or(0) as u32,
                    shift_key: op["shiftKey"].as_bool().unwrap_or(false),
                    target: target.to_owned(),
                    ..KeyEvent::default()
                }
                .field(&element.value, element.selection_start);
                rec.key(&event);
            }
            "mouse" => {
                let mouse_kind = match op["type"].as_str().unwrap_or_default() {
                    "mousemove" => MouseKind::Move,
                    "mousedown" => MouseKind::Down,
                    "mouseup" => MouseKind::Up,
                    other => return Err(format!("op {index}: unknown mouse event {other:?}")),
                };
                rec.mouse(&MouseEvent {
                    kind: mouse_kind,
                    time: t,
                    screen_x: op["screenX"].as_f64().unwrap_or(0.0),
                    screen_y: op["screenY"].as_f64().unwrap_or(0.0),
                    which: op["which"].as_u64().unwrap_or(0) as u32,
                });
            }
            "scroll" => rec.scroll(t, op["scrollTop"].as_f64().unwrap_or(0.0)),
            "motion" => {
                let axes = |v: &Json| -> [Option<f64>; 3] {
                    [0, 1, 2].map(|i| v.get(i).and_then(Json::as_f64))
                };
                rec.motion(&MotionEvent {
                    time: t,
                    acceleration: axes(&op["acc"]),
                    rotation: op.get("rot").filter(|r| r.is_array()).map(axes),
                });
            }
            "call" | "static" => {
                let method = op["method"].as_str().unwrap_or_default().to_owned();
                let args = op["args"].as_array().cloned().unwrap_or_default();
                let result = call(rec, &page, &method, &args)
                    .map_err(|e| format!("op {index}: {method}: {e}"))?;
                outcomes.push(Outcome {
                    op_index: index,
                    method,
                    result,
                    expect: op.get("expect").cloned(),
                });
            }
            other => return Err(format!("op {index}: unknown op {other:?}")),
        }
    }
    Ok(outcomes)
}

/// One public method of the recorder (instance or static), by its JS name.
fn call(rec: &mut Recorder, page: &Page, method: &str, args: &[Json]) -> Result<Json, String> {
    let string_arg = |i: usize| args.get(i).and_then(Json::as_str).unwrap_or_default();
    Ok(match method {
        "getTypingPattern" => {
            let pattern = js_api::typing_pattern_from_value(rec, &arg(args, 0), page)
                .map_err(|e| e.to_string())?;
            optional_string(pattern)
        }
        "get" => json!(js_api::get(rec, &arg(args, 0))),
        "getDiagram" | "getExtendedDiagram" => optional_string(js_api::legacy_diagram(
            rec,
            method == "getExtendedDiagram",
            &arg(args, 0),
            &arg(args, 1),
            page,
        )),
        "getMouseDiagram" => json!(rec.mouse_diagram()),
        "getTextId" => match arg(args, 0) {
            Value::String(s) => number(text_id::text_id(&s).into()),
            _ => json!(0),
        },
        "getQuality" => number(pattern_info::quality(string_arg(0))),
        "getLength" => match args.first() {
            Some(Json::String(s)) => number(pattern_info::length(s)),
            _ => json!(0),
        },
        "checkMobileValidity" => number(pattern_info::mobile_validity(string_arg(0))),
        "isMobile" => json!(u8::from(rec.is_mobile())),
        "checkEnvironment" => {
            let check = rec.check_environment();
            json!({
                "browserType": check.browser_type,
                "isMobile": check.is_mobile,
                "hasMotionSensors": check.has_motion_sensors,
                "needsPermissionForMotionSensors": check.needs_permission_for_motion_sensors,
            })
        }
        "start" => json!(rec.start()),
        "stop" => json!(rec.stop()),
        "startMouse" => json!(rec.start_mouse()),
        "stopMouse" => json!(rec.stop_mouse()),
        "reset" => {
            rec.reset(args.first() == Some(&json!(true)));
            undefined()
        }
        "resetMouse" => {
            rec.reset_mouse(args.first() == Some(&json!(true)));
            undefined()
        }
        "addTarget" => {
            rec.add_target(string_arg(0));
            undefined()
        }
        "removeTarget" => {
            rec.remove_target(string_arg(0));
            undefined()
        }
        "startDiagram" | "stopDiagram" | "removeEventListeners" => undefined(),
        other => return Err(format!("unknown method {other:?}")),
    })
}
