//! The page's elements as pattern building reads them (`document.getElementById(id).value`).

use keycadence_core::recorder::{Document, ElementValue};

use crate::browser;

/// The browser's `document`.
pub struct Page<'a>(pub &'a web_sys::Document);

impl Document for Page<'_> {
    fn element_value(&self, id: &str) -> ElementValue {
        let Some(element) = self.0.get_element_by_id(id) else {
            return ElementValue::Missing;
        };
        // Text fields have a string `value`; most other elements have none (`undefined`).
        match browser::value(&element).as_string() {
            Some(value) => ElementValue::Text(value),
            None => ElementValue::NoValue,
        }
    }
}
