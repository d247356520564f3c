//! The pattern format as typed values and its parser: being written.
