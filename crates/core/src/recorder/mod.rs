//! The recorder state machine: being written.
