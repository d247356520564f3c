//! The recorder's listeners in a real browser (headless Chromium through wasm-bindgen-test):
//! events dispatched on the page's elements reach the recorder, or do not, as the reference's
//! listeners would let them.
#![cfg(target_arch = "wasm32")]

use std::ops::Deref;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use keycadence_core::text_id::text_id;
use keycadence_wasm::{Facts, Recorder, FRAME_LENGTH};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    Document, Event, EventTarget, HtmlInputElement, KeyboardEvent, KeyboardEventInit, MouseEvent,
    MouseEventInit,
};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

fn performance_now() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// An `<input>` with this id in the page (created once).
fn field(id: &str) -> HtmlInputElement {
    let document = document();
    if let Some(existing) = document.get_element_by_id(id) {
        return existing.unchecked_into();
    }
    let input: HtmlInputElement = document.create_element("input").unwrap().unchecked_into();
    input.set_id(id);
    document.body().unwrap().append_child(&input).unwrap();
    input
}

#[wasm_bindgen(module = "/../../pkg/src/queue.js")]
extern "C" {
    /// The package's listeners and their event queue, as the shim constructs them.
    #[wasm_bindgen(js_name = EventQueue)]
    #[derive(Clone)]
    type Queue;
    #[wasm_bindgen(constructor, js_class = "EventQueue")]
    fn new(event_clock: bool) -> Queue;
    /// How many numbers the queued records hold.
    #[wasm_bindgen(method, getter, js_class = "EventQueue", js_name = length)]
    fn queued_numbers(this: &Queue) -> u32;
    /// The function a full queue calls.
    #[wasm_bindgen(method, setter, js_class = "EventQueue", js_name = full)]
    fn set_full(this: &Queue, consume: &Function);
    /// Writes into `frame` the facts the shim reads for a pattern of the queue's recorder.
    #[wasm_bindgen(method, js_class = "EventQueue", js_name = writeFacts)]
    fn write_facts(this: &Queue, mouse: bool, frame: &js_sys::Float64Array);
    /// The browser's capabilities, as the shim reads them for a new recorder.
    fn capabilities() -> u32;
}

/// A recorder and its queue, as the shim holds them: pattern calls come with the facts the
/// shim reads for them.
struct ShimRecorder {
    recorder: Recorder,
    queue: Queue,
}

impl Deref for ShimRecorder {
    type Target = Recorder;

    fn deref(&self) -> &Recorder {
        &self.recorder
    }
}

impl ShimRecorder {
    /// What the shim reads for a pattern call now.
    fn facts(&self) -> Facts {
        let frame = js_sys::Float64Array::new_with_length(FRAME_LENGTH as u32);
        self.queue.write_facts(false, &frame);
        let mut numbers = [0.0; FRAME_LENGTH];
        frame.copy_to(&mut numbers);
        Facts::from_frame(&numbers)
    }

    /// `getTypingPattern(options)`, `options` as the shim hands them over.
    fn typing_pattern_of(&self, options: &JsValue) -> Option<String> {
        self.recorder.typing_pattern_of(options, &self.facts())
    }

    /// `getMouseDiagram()`.
    fn mouse_diagram(&self) -> String {
        self.recorder.mouse_diagram(&self.facts())
    }
}

/// A recorder fed by `queue`.
fn recorder_on(queue: &Queue) -> ShimRecorder {
    ShimRecorder {
        recorder: Recorder::new(queue.clone().unchecked_into(), false, capabilities()),
        queue: queue.clone(),
    }
}

/// A recorder constructed now; it stops listening when dropped.
fn recorder(event_clock: bool) -> ShimRecorder {
    recorder_on(&Queue::new(event_clock))
}

fn key_event(kind: &str, key_code: u32, char_code: u32, shift: bool) -> KeyboardEvent {
    let init = KeyboardEventInit::new();
    init.set_bubbles(true);
    init.set_key_code(key_code);
    init.set_char_code(char_code);
    init.set_shift_key(shift);
    KeyboardEvent::new_with_keyboard_event_init_dict(kind, &init).unwrap()
}

fn dispatch(target: &EventTarget, event: &Event) {
    target.dispatch_event(event).unwrap();
}

/// Types `text` (lower-case letters, digits and spaces; `shift` for upper-case letters) into
/// `target` as keydown, keypress, keyup, as a desktop browser sends them.
fn type_text(target: &EventTarget, text: &str) {
    for c in text.chars() {
        let shift = c.is_ascii_uppercase();
        let key_code = c.to_ascii_uppercase() as u32;
        dispatch(target, &key_event("keydown", key_code, 0, shift));
        dispatch(target, &key_event("keypress", c as u32, c as u32, shift));
        dispatch(target, &key_event("keyup", key_code, 0, shift));
    }
}

#[wasm_bindgen(module = "/../../pkg/src/helpers.js")]
extern "C" {
    /// The shim's reading of `getTypingPattern`'s argument.
    #[wasm_bindgen(js_name = patternArgument)]
    fn pattern_argument(options: &JsValue) -> JsValue;
}

/// The options object, as the shim hands it to the recorder.
fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(name), value).unwrap();
    }
    pattern_argument(&object)
}

fn pattern(recorder: &ShimRecorder, pairs: &[(&str, JsValue)]) -> Option<String> {
    recorder.typing_pattern_of(&options(pairs))
}

/// The rows of a type 1/2 pattern, each split into its numbers.
fn rows(pattern: &str) -> Vec<Vec<f64>> {
    pattern
        .split('|')
        .skip(1)
        .map(|row| row.split(',').map(|n| n.parse().unwrap()).collect())
        .collect()
}

/// The keystroke count of the type 0 history (the first field of a type 0 pattern over up to
/// 2000 keystrokes).
fn keystrokes(recorder: &ShimRecorder) -> u32 {
    let type0 = pattern(recorder, &[("type", 0.into()), ("length", 2000.into())]).unwrap();
    type0.split(',').next().unwrap().parse().unwrap()
}

fn busy_wait(ms: f64) {
    let end = performance_now() + ms;
    while performance_now() < end {}
}

async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
fn typed_keys_become_type_1_and_type_2_rows() {
    let input = field("typing");
    let rec = recorder(true);
    type_text(&input, "hello");
    let type1 = pattern(&rec, &[("type", 1.into()), ("text", "hello".into())]).unwrap();
    let header: Vec<&str> = type1.split('|').next().unwrap().split(',').collect();
    assert_eq!(
        &header[..6],
        &["0", "3.2", "0", "0", "5", &text_id("hello").to_string()]
    );
    let type1_rows = rows(&type1);
    assert_eq!(type1_rows.len(), 5);
    assert!(
        type1_rows.iter().all(|r| r.len() == 2),
        "no substituted rows: {type1}"
    );

    let type2 = pattern(&rec, &[("type", 2.into()), ("text", "hello".into())]).unwrap();
    let char_codes: Vec<f64> = rows(&type2).iter().map(|r| r[0]).collect();
    let key_codes: Vec<f64> = rows(&type2).iter().map(|r| r[3]).collect();
    assert_eq!(char_codes, [104.0, 101.0, 108.0, 108.0, 111.0]);
    assert_eq!(key_codes, [72.0, 69.0, 76.0, 76.0, 79.0]);
    assert_eq!(keystrokes(&rec), 5);
}

/// The strings of one call reach the recorder whole and each in its place: a text of 300
/// characters, then a string textId and the targetId.
#[wasm_bindgen_test]
fn long_texts_and_string_options_reach_the_recorder_whole() {
    let input = field("long-text");
    let rec = recorder(true);
    let text = "ab ".repeat(100);
    type_text(&input, &text);
    let typed_in = |target: &str| {
        pattern(
            &rec,
            &[
                ("type", 1.into()),
                ("text", text.as_str().into()),
                ("textId", "session-7".into()),
                ("targetId", target.into()),
            ],
        )
    };
    let type1 = typed_in("long-text").unwrap();
    let header: Vec<&str> = type1.split('|').next().unwrap().split(',').collect();
    assert_eq!(&header[4..6], &["300", &text_id("session-7").to_string()]);
    assert_eq!(rows(&type1).len(), 300);
    // None of the text was typed in another element.
    assert_eq!(typed_in("elsewhere"), None);
}

#[wasm_bindgen_test]
fn shifted_keys_stay_out_of_type_0_but_reach_type_2() {
    let input = field("shifted");
    let rec = recorder(true);
    type_text(&input, "aB");
    assert_eq!(keystrokes(&rec), 1);
    let type2 = pattern(&rec, &[("type", 2.into()), ("text", "aB".into())]).unwrap();
    let char_codes: Vec<f64> = rows(&type2).iter().map(|r| r[0]).collect();
    assert_eq!(char_codes, [97.0, 66.0]);
}

#[wasm_bindgen_test]
fn removed_listeners_record_nothing() {
    let input = field("removed");
    let rec = recorder(true);
    type_text(&input, "ab");
    assert_eq!(keystrokes(&rec), 2);
    rec.remove_event_listeners();
    type_text(&input, "cd");
    assert_eq!(keystrokes(&rec), 2);
}

#[wasm_bindgen_test]
fn dropping_the_recorder_removes_its_listeners() {
    let input = field("dropped");
    let queue = Queue::new(true);
    let rec = recorder_on(&queue);
    type_text(&input, "a");
    assert_eq!(queue.queued_numbers(), 3 * 8, "three key events queued");
    drop(rec);
    type_text(&input, "ab");
    assert_eq!(queue.queued_numbers(), 3 * 8);
}

/// Events reach the recorder through the queue: kept there until a method call consumes them,
/// or until the queue fills.
#[wasm_bindgen_test]
fn queued_events_are_consumed_by_method_calls_and_when_the_queue_fills() {
    let input = field("queued");
    let queue = Queue::new(true);
    let rec = recorder_on(&queue);
    type_text(&input, "ab");
    assert_eq!(queue.queued_numbers(), 6 * 8);
    assert_eq!(keystrokes(&rec), 2);
    assert_eq!(queue.queued_numbers(), 0);
    // Without a consumer for a full queue (the shim sets one), the queue grows.
    type_text(&input, &"ab ".repeat(200));
    assert_eq!(queue.queued_numbers(), 1800 * 8);
    assert_eq!(keystrokes(&rec), 2 + 600);
}

#[wasm_bindgen_test]
fn a_full_queue_is_consumed_on_the_spot() {
    let input = field("full");
    let queue = Queue::new(true);
    let rec = Rc::new(recorder_on(&queue));
    let consumer = Rc::clone(&rec);
    let consume = Closure::<dyn FnMut()>::new(move || {
        consumer.consume();
    });
    queue.set_full(consume.as_ref().unchecked_ref());
    // 1,800 events through a queue of 512 records: consumed three times, 264 left.
    type_text(&input, &"ab ".repeat(200));
    assert_eq!(queue.queued_numbers(), 264 * 8);
    assert_eq!(keystrokes(&rec), 600);
}

#[wasm_bindgen_test]
fn targets_filter_keystrokes_by_element_id() {
    let (wanted, other) = (field("wanted"), field("other"));
    let rec = recorder(true);
    rec.add_target(&"wanted".into());
    type_text(&other, "xyz");
    assert_eq!(keystrokes(&rec), 0);
    type_text(&wanted, "ab");
    assert_eq!(keystrokes(&rec), 2);
    // Without a text, a target's typed text is read from the element.
    wanted.set_value("ab");
    let type1 = pattern(&rec, &[("type", 1.into()), ("targetId", "wanted".into())]).unwrap();
    let header: Vec<&str> = type1.split('|').next().unwrap().split(',').collect();
    assert_eq!(header[4], "2");
    assert_eq!(header[5], text_id("ab").to_string());
}

#[wasm_bindgen_test]
fn stop_pauses_and_start_resumes() {
    let input = field("paused");
    let rec = recorder(true);
    assert!(!rec.stop());
    type_text(&input, "ab");
    assert_eq!(keystrokes(&rec), 0);
    assert!(rec.start());
    type_text(&input, "ab");
    assert_eq!(keystrokes(&rec), 2);
    rec.reset(true);
    assert_eq!(keystrokes(&rec), 0);
}

#[wasm_bindgen_test]
fn argument_handling_follows_the_reference() {
    let input = field("arguments");
    let rec = recorder(true);
    type_text(&input, "abc");
    // (`null` is the shim's to refuse: tests/browser/shim.test.js.)
    let default = rec.typing_pattern_of(&JsValue::UNDEFINED).unwrap();
    // A non-object and an object with an unknown type both give type 0 (360 fields).
    assert_eq!(rec.typing_pattern_of(&"x".into()).unwrap(), default);
    let string_type = pattern(&rec, &[("type", "1".into())]).unwrap();
    assert_eq!(string_type, default);
    assert_eq!(default.split(',').count(), 360);
    // More than 7 % of the text not typed: null.
    assert_eq!(
        pattern(&rec, &[("type", 1.into()), ("text", "xyz".into())]),
        None
    );
}

/// The event clock reads the time an event was created (for a real input, when the browser
/// received it), not when the handler ran; the `Date.now()` clock reads the latter.
#[wasm_bindgen_test]
fn the_event_clock_ignores_handler_delays_and_the_date_clock_does_not() {
    let input = field("clock");
    for event_clock in [true, false] {
        let rec = recorder(event_clock);
        let down = key_event("keydown", 65, 0, false);
        let press = key_event("keypress", 97, 97, false);
        let up = key_event("keyup", 65, 0, false);
        dispatch(&input, &down);
        dispatch(&input, &press);
        // The key-up happened now, but its handler runs only 40 ms later.
        busy_wait(40.0);
        dispatch(&input, &up);
        let type2 = pattern(&rec, &[("type", 2.into()), ("text", "a".into())]).unwrap();
        let press_time = rows(&type2)[0][2];
        if event_clock {
            assert!(press_time <= 2.0, "event clock press {press_time}");
        } else {
            assert!(press_time >= 40.0, "date clock press {press_time}");
        }
    }
}

fn mouse_event(kind: &str, x: i32, y: i32) -> MouseEvent {
    let init = MouseEventInit::new();
    init.set_bubbles(true);
    init.set_screen_x(x);
    init.set_screen_y(y);
    init.set_button(0);
    MouseEvent::new_with_mouse_event_init_dict(kind, &init).unwrap()
}

/// The mouse rows after the 35 header fields of a mouse pattern.
fn mouse_rows(diagram: &str) -> Vec<String> {
    diagram
        .split('|')
        .skip(1)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

#[wasm_bindgen_test]
async fn mouse_gestures_close_after_their_time_out() {
    let body: EventTarget = document().body().unwrap().into();
    let rec = recorder(true);
    assert!(rec.start_mouse());
    for (x, y) in [(10, 10), (20, 15), (40, 25), (80, 45)] {
        dispatch(&body, &mouse_event("mousemove", x, y));
    }
    assert_eq!(mouse_rows(&rec.mouse_diagram()), Vec::<String>::new());
    // 600 ms without a move close the gesture; no event has to follow.
    sleep(700).await;
    let rows = mouse_rows(&rec.mouse_diagram());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].starts_with("1,"), "a move row: {rows:?}");
    // A click: a stop row at mousedown and a click row at mouseup.
    dispatch(&body, &mouse_event("mousemove", 90, 50));
    dispatch(&body, &mouse_event("mousedown", 90, 50));
    dispatch(&body, &mouse_event("mouseup", 90, 50));
    let kinds: Vec<String> = mouse_rows(&rec.mouse_diagram())
        .iter()
        .map(|r| r.split(',').next().unwrap().to_owned())
        .collect();
    // The new move only armed a gesture, which mousedown closes without a row.
    assert_eq!(kinds, ["1", "3", "4"].map(String::from));
    assert!(!rec.stop_mouse());
}

#[wasm_bindgen_test]
async fn scroll_gestures_are_read_from_the_document() {
    let doc = document();
    let rec = recorder(true);
    rec.start_mouse();
    // The first event arms the gesture; a row needs two more, apart in time (a zero duration
    // gives a NaN speed, which drops the row).
    for _ in 0..3 {
        dispatch(&doc, &Event::new("scroll").unwrap());
        sleep(20).await;
    }
    sleep(900).await;
    let rows = mouse_rows(&rec.mouse_diagram());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].starts_with("2,"), "a scroll row: {rows:?}");
}

/// `isMobile()` of this (desktop) browser.
#[wasm_bindgen_test]
fn a_desktop_browser_is_not_mobile() {
    assert_eq!(keycadence_wasm::is_mobile_user_agent(), 0);
}

/// The device signature carries this browser's screen and language.
#[wasm_bindgen_test]
fn the_device_signature_is_read_from_this_browser() {
    let window = web_sys::window().unwrap();
    let rec = recorder(true);
    let type0 = rec.typing_pattern_of(&JsValue::UNDEFINED).unwrap();
    let fields: Vec<&str> = type0.split(',').collect();
    let signature = &fields[340..];
    let screen = window.screen().unwrap();
    let language = window.navigator().language().unwrap();
    assert_eq!(signature[6], text_id(&language).to_string());
    assert_eq!(signature[13], screen.width().unwrap().to_string());
    assert_eq!(signature[14], screen.height().unwrap().to_string());
    // Chromium on Linux: browser 1 (Chrome), OS 3 (Linux), pc.
    assert_eq!((signature[0], signature[4], signature[12]), ("1", "3", "1"));
}

/// `navigator.language` is read for every pattern, by each recorder on its own: a change shows
/// in the next signature of every recorder, whichever read the new value first.
#[wasm_bindgen_test]
fn the_signature_follows_a_language_change() {
    let language_field = |rec: &ShimRecorder| {
        let type0 = rec.typing_pattern_of(&JsValue::UNDEFINED).unwrap();
        type0.split(',').nth(340 + 6).unwrap().to_owned()
    };
    let set_language = |language: &str| {
        js_sys::eval(&format!(
            "Object.defineProperty(navigator, 'language', {{ get: () => '{language}', configurable: true }})"
        ))
        .unwrap();
    };
    let (first, second) = (recorder(true), recorder(true));
    let original = language_field(&first);
    set_language("fr-FR");
    assert_eq!(language_field(&second), text_id("fr-FR").to_string());
    assert_eq!(language_field(&first), text_id("fr-FR").to_string());
    set_language("de-DE");
    assert_eq!(language_field(&first), text_id("de-DE").to_string());
    assert_eq!(language_field(&first), text_id("de-DE").to_string());
    js_sys::eval("delete navigator.language").unwrap();
    assert_eq!(language_field(&first), original);
}
