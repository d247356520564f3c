//! The recorder: the core state machine fed by the event queue of the page's listeners, and
//! the reference's methods (exported to JavaScript by [`crate::exports`]). Argument handling
//! that the reference does with loose JavaScript values is done here, on the arguments the shim
//! puts on the queue as they are.

use std::cell::{RefCell, RefMut};

use keycadence_core::recorder::{self as core, js_api, Handlers, RecorderOptions};
use wasm_bindgen::prelude::*;

use crate::environment::{self, Facts};
use crate::frame::Frame;
use crate::js_value;
use crate::page::Page;
use crate::queue::{self, EventQueue};

/// The recorder: fed by an [`EventQueue`] that listens until
/// [`Recorder::remove_event_listeners`].
pub struct Recorder {
    recorder: RefCell<core::Recorder>,
    queue: EventQueue,
    frame: Frame,
}

/// The target id of the call under way (on `queue`): strings as they are, anything else as
/// `String(x)`. (The reference keeps a non-string id as it is, which then never equals an
/// element's id; the core keeps strings.)
fn target_id(queue: &EventQueue) -> String {
    js_value::primitive(queue).to_js_string()
}

impl Recorder {
    /// The recorder with the queued events consumed: every method reads or changes it
    /// as it stands after the events that came before the call.
    fn current(&self) -> RefMut<'_, core::Recorder> {
        let mut recorder = self.recorder.borrow_mut();
        queue::consume(&self.queue, &mut recorder);
        recorder
    }

    /// [`Self::current`], and the gesture time-outs that fell due since the last event fired
    /// (the reference's `setInterval`s would have fired by now), so no timer has to run.
    fn caught_up(&self) -> RefMut<'_, core::Recorder> {
        let mut recorder = self.current();
        recorder.advance(self.queue.now() as core::Millis);
        recorder
    }

    /// [`Self::caught_up`] by the `facts` read for the call, and the live part of the
    /// environment read afresh: the reference reads screen, language, touch and orientation at
    /// pattern time.
    fn before_pattern(&self, facts: &Facts) -> RefMut<'_, core::Recorder> {
        let mut recorder = self.recorder.borrow_mut();
        queue::consume_queued(&self.queue, facts.queued, &mut recorder);
        recorder.advance(facts.now as core::Millis);
        facts.set_live(recorder.environment_mut());
        recorder
    }
}

impl Recorder {
    /// A recorder fed by `queue` (constructed with `new TypingDNA()`, possibly before this
    /// module loaded, and possibly listening already): it starts at the queue's `createdAt`,
    /// and from now on the queue listens to the events of this browser's handler set.
    /// `fix_quirks` corrects the reference's bugs Q1 to Q3 (listed in `keycadence_core::recorder`).
    /// It reads the page (`navigator`, `document`): the shim creates it only in one, with the
    /// browser's `capabilities` it read (`capabilities()` in `pkg/src/queue.js`).
    pub fn new(queue: EventQueue, fix_quirks: bool, capabilities: u32) -> Recorder {
        let recorder = core::Recorder::with_options(
            environment::at_construction(capabilities),
            queue.created_at() as core::Millis,
            RecorderOptions { fix_quirks },
        );
        let handlers = recorder.handlers();
        queue.listen(
            queue::listened(handlers, recorder.environment().device_motion_event),
            matches!(handlers, Handlers::Android | Handlers::AndroidFirefox),
        );
        Recorder {
            recorder: RefCell::new(recorder),
            frame: Frame::new(&queue),
            queue,
        }
    }

    /// Consumes the queued events now (the queue calls it when full). `false` when a method
    /// call is under way (an event dispatched synchronously from page code it ran): the queue
    /// then keeps the events for later.
    pub fn consume(&self) -> bool {
        match self.recorder.try_borrow_mut() {
            Ok(mut recorder) => {
                queue::consume(&self.queue, &mut recorder);
                true
            }
            Err(_) => false,
        }
    }

    /// The pattern call the shim wrote into the call frame ([`crate::frame`]): the pattern,
    /// or none, given back through it.
    pub(crate) fn pattern_in_frame(&self) {
        let facts = self.frame.facts();
        self.frame.give(if facts.mouse {
            Some(self.mouse_diagram(&facts))
        } else {
            self.typing_pattern(&facts)
        });
    }

    /// `getTypingPattern(options)` for the options on the queue, as described in `facts`, with
    /// the page's facts the shim read for the call. The shim sets the options, which it has read
    /// from an object already (`patternArgument` in `pkg/src/helpers.js`, where reading `null`'s
    /// options throws the reference's `TypeError`, so `null` never reaches the module: here it
    /// gives no pattern). A string, or `null` (type 1/2 with more than 7 % of the text not
    /// typed).
    pub fn typing_pattern(&self, facts: &Facts) -> Option<String> {
        let argument = js_value::pattern_argument(&self.queue, &facts.argument);
        js_api::typing_pattern(&mut self.before_pattern(facts), &argument, &Page)
            .unwrap_or_default()
    }

    /// [`Self::typing_pattern`] for `options` (as the shim hands them over), put on the queue
    /// and described here.
    pub fn typing_pattern_of(&self, options: &JsValue, facts: &Facts) -> Option<String> {
        self.queue.set_argument(options);
        let mut facts = facts.clone();
        self.queue.describe(&mut facts.argument, 0);
        self.typing_pattern(&facts)
    }

    /// `getMouseDiagram()`: the "type 9" mouse pattern, with the `facts` the shim read for it.
    pub fn mouse_diagram(&self, facts: &Facts) -> String {
        self.before_pattern(facts).mouse_diagram()
    }

    /// `start()`: returns `true`.
    pub fn start(&self) -> bool {
        self.current().start()
    }

    /// `stop()`: returns `false`; the histories are kept.
    pub fn stop(&self) -> bool {
        self.current().stop()
    }

    /// `reset(all)`: clears the key histories (and with `all` the mouse gestures). The
    /// reference tests `all === true`, which the shim does: a boolean crosses more cheaply than
    /// a JavaScript value.
    pub fn reset(&self, all: bool) {
        self.caught_up().reset(all);
    }

    /// `TypingDNA.resetMouse(all)` (`all === true`, tested by the shim).
    pub fn reset_mouse(&self, all: bool) {
        self.caught_up().reset_mouse(all);
    }

    /// `startMouse()`: returns `true`.
    pub fn start_mouse(&self) -> bool {
        self.caught_up().start_mouse()
    }

    /// `stopMouse()`: returns `false`.
    pub fn stop_mouse(&self) -> bool {
        self.caught_up().stop_mouse()
    }

    /// `addTarget(id)`.
    pub fn add_target(&self, id: &JsValue) {
        self.queue.set_argument(id);
        self.change_target(true);
    }

    /// `removeTarget(id)`.
    pub fn remove_target(&self, id: &JsValue) {
        self.queue.set_argument(id);
        self.change_target(false);
    }

    /// `addTarget(id)` (`add`) or `removeTarget(id)` for the id on the queue (set by the shim).
    pub fn change_target(&self, add: bool) {
        let id = target_id(&self.queue);
        let mut recorder = self.current();
        if add {
            recorder.add_target(&id);
        } else {
            recorder.remove_target(&id);
        }
    }

    /// `removeEventListeners()`: stops listening for good (the shim never listens again); the
    /// events queued before still count.
    pub fn remove_event_listeners(&self) {
        self.queue.listen(0, false);
    }
}

/// A recorder dropped stops listening.
impl Drop for Recorder {
    fn drop(&mut self) {
        self.queue.listen(0, false);
    }
}
