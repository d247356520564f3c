//! The module's exports: the page's one [`Recorder`] (the package's `TypingDNA` is a
//! singleton), created by `createRecorder` and answering the reference's methods as free
//! functions. Free functions over one instance take less code in the module and its glue than
//! a class (no handle per call, no borrow checks on it, no finalizer).
// The exports are reached from JavaScript, not from another crate.
#![allow(unreachable_pub)]

use std::cell::Cell;

use wasm_bindgen::prelude::*;

use crate::queue::EventQueue;
use crate::recorder::Recorder;

thread_local! {
    /// The page's recorder, created once and kept for the page's life: it is never dropped,
    /// which keeps its drop code out of the module.
    static RECORDER: Cell<Option<&'static Recorder>> = const { Cell::new(None) };
}

/// Calls `method` on the recorder. The shim calls nothing before `createRecorder`, which
/// throws or creates it, so there is always one (a call without one would be a defect of the
/// shim: the module aborts, as on any panic). The reference is shared: a method that runs page
/// code (an option getter, an event dispatched synchronously) may be called into again;
/// [`Recorder`] guards its state.
fn with<T>(method: impl FnOnce(&Recorder) -> T) -> T {
    method(
        RECORDER
            .get()
            .expect("keycadence: no recorder before createRecorder"),
    )
}

/// Creates the page's recorder, fed by `queue`, with the browser's `capabilities` the shim read
/// (see [`Recorder::new`]). The shim creates one (its `TypingDNA` is a singleton); a later call
/// changes nothing.
#[wasm_bindgen(js_name = createRecorder)]
pub fn create_recorder(queue: EventQueue, fix_quirks: bool, capabilities: u32) {
    if RECORDER.get().is_none() {
        RECORDER.set(Some(Box::leak(Box::new(Recorder::new(
            queue,
            fix_quirks,
            capabilities,
        )))));
    }
}

#[wasm_bindgen]
pub fn consume() -> bool {
    with(Recorder::consume)
}

/// `getTypingPattern(options)` (the options put on the queue by the shim), or
/// `getMouseDiagram()`, as the shim wrote the call into the recorder's call frame (see
/// [`crate::frame`]), which gives the pattern back: one export for both, which share their code.
#[wasm_bindgen]
pub fn pattern() {
    with(Recorder::pattern_in_frame)
}

// The commands of `command`, each a method without argument or result.
const START: u32 = 0;
const STOP: u32 = 1;
const START_MOUSE: u32 = 2;
const STOP_MOUSE: u32 = 3;
const RESET: u32 = 4;
const RESET_ALL: u32 = 5;
const RESET_MOUSE: u32 = 6;
const RESET_MOUSE_ALL: u32 = 7;

/// `start()`, `stop()`, `startMouse()`, `stopMouse()`, `reset(all)` and `resetMouse(all)`, by
/// the numbers above: one export for all of them, which share their code (the shim returns the
/// start and stop methods' constant results, and tests `all === true` for the resets).
#[wasm_bindgen]
pub fn command(command: u32) {
    with(|recorder| match command {
        START => _ = recorder.start(),
        STOP => _ = recorder.stop(),
        START_MOUSE => _ = recorder.start_mouse(),
        STOP_MOUSE => _ = recorder.stop_mouse(),
        RESET | RESET_ALL => recorder.reset(command == RESET_ALL),
        RESET_MOUSE | RESET_MOUSE_ALL => recorder.reset_mouse(command == RESET_MOUSE_ALL),
        _ => {}
    })
}

/// `addTarget(id)` (`add`) or `removeTarget(id)`, the id put on the queue by the shim: one
/// export for both, which share their code.
#[wasm_bindgen(js_name = changeTarget)]
pub fn change_target(add: bool) {
    with(|recorder| recorder.change_target(add))
}
