//! The recorder as a JavaScript class: the core state machine fed by the page's listeners, and
//! the reference's methods. Argument handling that the reference does with loose JavaScript
//! values is done here on `JsValue`s, so the shim only forwards arguments.

use std::cell::RefCell;
use std::rc::Rc;

use keycadence_core::recorder::{self as core, Handlers, RecorderOptions};
use wasm_bindgen::prelude::*;
use web_sys::Event;

use crate::browser;
use crate::clock::Clock;
use crate::environment;
use crate::events::{self, Listened};
use crate::js_value;
use crate::listeners::Listeners;
use crate::page::Page;

/// What the listeners and the methods share.
pub(crate) struct Shared {
    pub recorder: core::Recorder,
    pub clock: Clock,
    pub window: web_sys::Window,
    pub document: web_sys::Document,
}

impl Shared {
    /// One event from a listener.
    pub fn handle(&mut self, listened: Listened, event: &Event) {
        let time = self.clock.event_time(event);
        match listened {
            Listened::Key(kind) => {
                let android = matches!(
                    self.recorder.handlers(),
                    Handlers::Android | Handlers::AndroidFirefox
                );
                self.recorder.key(&events::key(kind, event, time, android));
            }
            Listened::Mouse(kind) => self.recorder.mouse(&events::mouse(kind, event, time)),
            Listened::Scroll => self
                .recorder
                .scroll(time, events::scroll_top(&self.document)),
            Listened::Motion => {
                if let Some(motion) = events::motion(event, time) {
                    self.recorder.motion(&motion);
                }
            }
        }
    }

    /// Brings the recorder up to now before a method reads or changes it: the gesture
    /// time-outs that fell due since the last event fire (the reference's `setInterval`s would
    /// have fired by now), so no timer has to run.
    fn catch_up(&mut self) {
        let now = self.clock.now();
        self.recorder.advance(now);
    }

    /// [`Self::catch_up`], and the live part of the environment read afresh: the reference
    /// reads screen, language, touch and orientation at pattern time.
    fn before_pattern(&mut self) {
        self.catch_up();
        environment::refresh_live(self.recorder.environment_mut());
    }
}

/// The recorder: listens from construction until [`Recorder::remove_event_listeners`].
#[wasm_bindgen]
pub struct Recorder {
    shared: Rc<RefCell<Shared>>,
    listeners: RefCell<Option<Listeners>>,
    created_at: f64,
}

/// `x === true`, as `reset(all)` and `resetMouse(all)` test their argument.
fn is_true(value: &JsValue) -> bool {
    value.as_bool() == Some(true)
}

/// A target id: strings as they are, anything else as `String(x)`. (The reference keeps a
/// non-string id as it is, which then never equals an element's id; the core keeps strings.)
fn target_id(value: &JsValue) -> String {
    js_value::primitive(value).to_js_string()
}

#[wasm_bindgen]
impl Recorder {
    /// A recorder constructed when `Date.now()` read `date_now` and `performance.now()` read
    /// `performance_now` (the shim samples both at `new TypingDNA()`, possibly before this
    /// module loaded). `event_time` selects the event-timestamp clock; `fix_quirks` corrects
    /// the reference's bugs Q1 to Q3.
    #[wasm_bindgen(constructor)]
    pub fn new(
        date_now: f64,
        performance_now: f64,
        event_time: bool,
        fix_quirks: bool,
    ) -> Result<Recorder, JsValue> {
        let window = browser::page_window();
        if window.is_undefined() {
            return Err("keycadence: no window: the recorder runs in a page".into());
        }
        let window: web_sys::Window = window.unchecked_into();
        let document = window
            .document()
            .ok_or("keycadence: no document: the recorder runs in a page")?;
        let clock = Clock::new(&window, event_time);
        let created_at = clock.construction_time(date_now, performance_now);
        let recorder = core::Recorder::with_options(
            environment::read(),
            created_at,
            RecorderOptions { fix_quirks },
        );
        let shared = Rc::new(RefCell::new(Shared {
            recorder,
            clock,
            window,
            document,
        }));
        let listeners = Listeners::install(&shared)?;
        Ok(Recorder {
            shared,
            listeners: RefCell::new(Some(listeners)),
            created_at: created_at as f64,
        })
    }

    /// When the recorder was constructed, in milliseconds since the epoch on its clock: the
    /// origin of the first seek time.
    #[wasm_bindgen(getter, js_name = createdAt)]
    pub fn created_at(&self) -> f64 {
        self.created_at
    }

    /// `true` when timestamps come from the events, `false` for `Date.now()`.
    #[wasm_bindgen(getter, js_name = eventClock)]
    pub fn event_clock(&self) -> bool {
        matches!(self.shared.borrow().clock, Clock::EventTime { .. })
    }

    /// `getTypingPattern(options)`: a string, `null` (type 1/2 with more than 7 % of the text
    /// not typed), or a `TypeError` for a `null` argument.
    #[wasm_bindgen(js_name = getTypingPattern)]
    pub fn typing_pattern(&self, options: JsValue) -> Result<Option<String>, JsValue> {
        // Read the options before borrowing: their getters are page code.
        let argument = js_value::options(&options)?;
        let mut shared = self.shared.borrow_mut();
        shared.before_pattern();
        let Shared {
            recorder, document, ..
        } = &mut *shared;
        recorder
            .typing_pattern_from_value(&argument, &Page(document))
            .map_err(|_: core::TypingPatternError| {
                js_sys::TypeError::new(core::TypingPatternError::MESSAGE).into()
            })
    }

    /// Deprecated `get(length)`: type 0 without a target.
    pub fn get(&self, length: JsValue) -> String {
        let length = js_value::primitive(&length);
        let mut shared = self.shared.borrow_mut();
        shared.before_pattern();
        shared.recorder.get(&length)
    }

    /// Deprecated `getDiagram(str, textId)` (`extended`: `getExtendedDiagram`).
    #[wasm_bindgen(js_name = getDiagram)]
    pub fn diagram(&self, extended: bool, text: JsValue, text_id: JsValue) -> Option<String> {
        let text = js_value::primitive(&text);
        let text_id = js_value::primitive(&text_id);
        let mut shared = self.shared.borrow_mut();
        shared.before_pattern();
        let Shared {
            recorder, document, ..
        } = &mut *shared;
        recorder.legacy_diagram(extended, &text, &text_id, &Page(document))
    }

    /// `getMouseDiagram()`: the "type 9" mouse pattern.
    #[wasm_bindgen(js_name = getMouseDiagram)]
    pub fn mouse_diagram(&self) -> String {
        let mut shared = self.shared.borrow_mut();
        shared.before_pattern();
        shared.recorder.mouse_diagram()
    }

    /// `start()`: returns `true`.
    pub fn start(&self) -> bool {
        self.shared.borrow_mut().recorder.start()
    }

    /// `stop()`: returns `false`; the histories are kept.
    pub fn stop(&self) -> bool {
        self.shared.borrow_mut().recorder.stop()
    }

    /// `reset(all)`: clears the key histories (and with `all === true` the mouse gestures).
    pub fn reset(&self, all: JsValue) {
        let mut shared = self.shared.borrow_mut();
        shared.catch_up();
        shared.recorder.reset(is_true(&all));
    }

    /// `TypingDNA.resetMouse(all)`.
    #[wasm_bindgen(js_name = resetMouse)]
    pub fn reset_mouse(&self, all: JsValue) {
        let mut shared = self.shared.borrow_mut();
        shared.catch_up();
        shared.recorder.reset_mouse(is_true(&all));
    }

    /// `startMouse()`: returns `true`.
    #[wasm_bindgen(js_name = startMouse)]
    pub fn start_mouse(&self) -> bool {
        let mut shared = self.shared.borrow_mut();
        shared.catch_up();
        shared.recorder.start_mouse()
    }

    /// `stopMouse()`: returns `false`.
    #[wasm_bindgen(js_name = stopMouse)]
    pub fn stop_mouse(&self) -> bool {
        let mut shared = self.shared.borrow_mut();
        shared.catch_up();
        shared.recorder.stop_mouse()
    }

    /// `addTarget(id)`.
    #[wasm_bindgen(js_name = addTarget)]
    pub fn add_target(&self, id: JsValue) {
        let id = target_id(&id);
        self.shared.borrow_mut().recorder.add_target(&id);
    }

    /// `removeTarget(id)`.
    #[wasm_bindgen(js_name = removeTarget)]
    pub fn remove_target(&self, id: JsValue) {
        let id = target_id(&id);
        self.shared.borrow_mut().recorder.remove_target(&id);
    }

    /// `isMobile()`: 1 or 0, decided at construction.
    #[wasm_bindgen(js_name = isMobile)]
    pub fn is_mobile(&self) -> u8 {
        u8::from(self.shared.borrow().recorder.is_mobile())
    }

    /// `checkEnvironment()`:
    /// `{browserType, isMobile, hasMotionSensors, needsPermissionForMotionSensors}`.
    #[wasm_bindgen(js_name = checkEnvironment)]
    pub fn check_environment(&self) -> JsValue {
        let mut shared = self.shared.borrow_mut();
        shared.catch_up();
        // `checkEnvironment` evaluates its browser markers at each call.
        shared.recorder.environment_mut().browser = environment::markers();
        let check = shared.recorder.check_environment();
        browser::environment_check(
            check.browser_type,
            check.is_mobile,
            check.has_motion_sensors,
            check.needs_permission_for_motion_sensors,
        )
    }

    /// `removeEventListeners()`: stops listening for good (they cannot be added again).
    #[wasm_bindgen(js_name = removeEventListeners)]
    pub fn remove_event_listeners(&self) {
        drop(self.listeners.borrow_mut().take());
    }
}
