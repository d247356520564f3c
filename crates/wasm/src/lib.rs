//! keycadence-wasm: the keycadence recorder in the browser.
//!
//! wasm-bindgen bindings over [`keycadence_core::recorder::Recorder`]: a [`Recorder`] consumes the
//! page's real events from an [`EventQueue`] (the package's listeners, `pkg/src/queue.js`, on
//! `document` and `window` exactly as the TypingDNA recorder v3.2 listens), reads the environment
//! from `navigator`, `screen` and `window`, and answers the same method calls, exported as
//! functions over the page's one recorder (module `exports`). The npm package's hand-written shim
//! (`pkg/src/index.js`) wraps them in the `TypingDNA`-compatible singleton class.
//!
//! Timestamps come from each event's own `timeStamp` by default (the queue's clock), so a busy
//! main thread does not distort seek and press times; `Date.now()` in the handler, as the
//! reference does, is an option.

mod browser;
mod environment;
mod exports;
mod frame;
mod helpers;
mod js_value;
mod page;
mod queue;
mod recorder;

/// Talc instead of the standard library's dlmalloc: the same job in a fraction of the code.
/// (Memory the module grows extends the last heap: with a new heap per growth, as talc's
/// smaller `WasmGrowAndClaim` does, a long history's type 1 patterns fragmented the heap and
/// every few calls one took half as long again.)
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use environment::Facts;
pub use frame::LENGTH as FRAME_LENGTH;
pub use helpers::is_mobile_user_agent;
pub use queue::EventQueue;
pub use recorder::Recorder;

/// Runs when the module is instantiated: with the `panic-hook` feature, Rust panics are
/// printed to the console with their message instead of an opaque `unreachable` trap.
#[cfg(feature = "panic-hook")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn install_panic_hook() {
    console_error_panic_hook::set_once();
}
