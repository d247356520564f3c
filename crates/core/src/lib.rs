//! keycadence-core: the sans-IO heart of keycadence.
//!
//! * [`recorder`]: a state machine that turns timestamped keyboard, mouse and device-motion
//!   events into typing patterns byte-identical to the TypingDNA JavaScript recorder v3.2.
//! * [`pattern`]: the pattern format as typed values, with a parser that is the inverse of the
//!   builders.
//! * [`js`], [`stats`], [`text_id`]: the JavaScript-exact numerics the format depends on.
//!
//! Nothing here touches a clock, the DOM, the network or a database: events come in as values
//! with their own timestamps, and strings and scores come out.

#![warn(missing_docs)]

pub mod device;
pub mod env;
pub mod js;
pub mod stats;
pub mod text_id;
// The user-agent expressions in Rust; with `browser-js` on wasm the browser's `RegExp` runs them.
#[cfg(feature = "rust-js")]
mod ua_regex;

pub use env::Environment;
pub mod matcher;
pub mod pattern;
pub mod recorder;
