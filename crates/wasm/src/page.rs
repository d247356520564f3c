//! The page's elements as pattern building reads them (`document.getElementById(id).value`).

use keycadence_core::recorder::{Document, ElementValue};

use crate::browser;

/// The browser's `document`.
pub(crate) struct Page;

impl Document for Page {
    fn element_value(&self, id: &str) -> ElementValue {
        let mut found = [0.0];
        match browser::element_value(id, &mut found) {
            Some(value) => ElementValue::Text(value),
            None if found[0] != 0.0 => ElementValue::NoValue,
            None => ElementValue::Missing,
        }
    }
}
