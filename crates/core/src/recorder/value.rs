//! JavaScript values, for the parts of the API that take "any value" exactly as the reference
//! does (the `getTypingPattern` options object, `getTextId`, `textId`).

use crate::js;

/// A JavaScript value as far as the recorder distinguishes them.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// `undefined` (also a missing property).
    #[default]
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (a JS double).
    Number(f64),
    /// A string.
    String(String),
    /// An object (or array): its properties in order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// A property of an object, `undefined` for anything else or a missing property.
    pub fn get(&self, key: &str) -> &Value {
        match self {
            Value::Object(props) => props
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&Value::Undefined, |(_, v)| v),
            _ => &Value::Undefined,
        }
    }

    /// `x === undefined`.
    pub fn is_undefined(&self) -> bool {
        matches!(self, Value::Undefined)
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, when the value is one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// `x === undefined || x === ""`.
    pub fn is_undefined_or_empty_string(&self) -> bool {
        matches!(self, Value::Undefined) || self.as_str() == Some("")
    }

    /// JS truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Undefined | Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
            Value::Object(_) => true,
        }
    }

    /// `ToNumber(x)`.
    pub fn to_number(&self) -> f64 {
        match self {
            Value::Undefined => f64::NAN,
            Value::Null => 0.0,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => js::string_to_number(s),
            Value::Object(_) => f64::NAN,
        }
    }

    /// `String(x)` (objects print as `[object Object]`).
    pub fn to_js_string(&self) -> String {
        match self {
            Value::Undefined => "undefined".into(),
            Value::Null => "null".into(),
            Value::Bool(b) => if *b { "true" } else { "false" }.into(),
            Value::Number(n) => js::number_to_string(*n),
            Value::String(s) => s.clone(),
            Value::Object(_) => "[object Object]".into(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

#[cfg(test)]
mod tests {
    use super::Value;

    #[test]
    fn strings_convert_to_numbers_as_in_javascript() {
        assert_eq!(Value::from(" 42 ").to_number(), 42.0);
        assert_eq!(Value::from("0x10").to_number(), 16.0);
        assert_eq!(Value::from("").to_number(), 0.0);
        assert!(Value::from("inf").to_number().is_nan());
        assert!(Value::from("12px").to_number().is_nan());
        assert_eq!(Value::Null.to_number(), 0.0);
        assert!(Value::Undefined.to_number().is_nan());
    }
}
