//! The matcher (issue 4): being written.
