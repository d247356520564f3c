//! The call frame of the `pattern` export: numbers in the module's memory into which the shim
//! writes what the call reads (`writeFacts` in `pkg/src/queue.js`: the page's facts, the queue's
//! state and the argument's description, see [`Facts`]), and from which it reads where the
//! pattern lies. Each crossing between JavaScript and the module is code the browser runs for
//! every pattern, and V8 compiles a crossing's code afresh on its thousandth call, on the page's
//! main thread: through the frame, a pattern crosses once (and once more per string option, to
//! copy it), where the call with its arguments, a call out to describe the argument and one to
//! make the pattern's string were three crossings.

use std::cell::Cell;

use crate::environment::Facts;
use crate::queue::EventQueue;

/// Where the argument's description starts: after the facts (see [`Facts::from_frame`]).
pub(crate) const ARGUMENT: usize = 7;
/// The numbers of the frame: the facts, then the argument and seven options, two numbers each.
pub const LENGTH: usize = ARGUMENT + 16;

/// A frame, at an address that never moves (the module's memory only grows).
pub(crate) struct Frame {
    // Cells: JavaScript writes these numbers between the module's reads of them.
    numbers: Box<[Cell<f64>; LENGTH]>,
    /// The last pattern given through the frame, whose bytes JavaScript reads after the call.
    pattern: Cell<String>,
}

impl Frame {
    /// A frame, its memory and address handed to `queue` (the shim reads them there).
    pub(crate) fn new(queue: &EventQueue) -> Frame {
        let frame = Frame {
            numbers: Box::new([const { Cell::new(0.0) }; LENGTH]),
            pattern: Cell::new(String::new()),
        };
        queue.set_frame(&wasm_bindgen::memory(), frame.numbers.as_ptr() as u32);
        frame
    }

    /// What JavaScript wrote for the call, read at once: page code the call may run (a getter)
    /// can call into the module again and overwrite the frame.
    pub(crate) fn facts(&self) -> Facts {
        Facts::from_frame(&self.numbers.each_ref().map(Cell::get))
    }

    /// Gives `pattern` (or none): its address and length in the first two numbers (-1 for none),
    /// the string kept until the next.
    pub(crate) fn give(&self, pattern: Option<String>) {
        let (address, length) = pattern
            .as_ref()
            .map_or((-1.0, 0.0), |p| (p.as_ptr() as u32 as f64, p.len() as f64));
        self.numbers[0].set(address);
        self.numbers[1].set(length);
        self.pattern.set(pattern.unwrap_or_default());
    }
}
