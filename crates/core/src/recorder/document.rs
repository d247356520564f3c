//! The page's elements, as far as pattern building reads them (`getElementById(id).value`).

/// What `document.getElementById(id)` gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElementValue {
    /// No such element.
    Missing,
    /// An element without a `value` property (its value reads as `undefined`).
    NoValue,
    /// An element with a string value.
    Text(String),
}

/// Read access to the page's elements, provided by the shell (the DOM in the browser).
pub trait Document {
    /// The value of the element with this id, as `getElementById(id).value` reads it.
    fn element_value(&self, id: &str) -> ElementValue;
}

/// A page with no elements: for callers that always pass the text explicitly.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDocument;

impl Document for NoDocument {
    fn element_value(&self, _id: &str) -> ElementValue {
        ElementValue::Missing
    }
}
