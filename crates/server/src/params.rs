//! Lenient request parameters, as TypingDNA's API reads them: form and JSON bodies with the same
//! keys, query strings (also on POST), bodies on GET, snake/camel aliases, repeated keys, PHP-style
//! `key[]` names, surrounding whitespace.

use crate::error::ErrorCode;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    /// Body pairs first, then query pairs: lookups prefer the body.
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Collects parameters from the body (JSON when the content type says so or the body looks
    /// like a JSON object, form-encoded otherwise) and the query string. Code 31 when a JSON
    /// body is not an object of scalars and arrays of scalars.
    pub fn from_request(
        content_type: Option<&str>,
        body: &[u8],
        query: Option<&str>,
    ) -> Result<Params, ErrorCode> {
        let mut pairs = Vec::new();
        let trimmed = body.trim_ascii();
        let json = match content_type {
            Some(ct) if ct.to_ascii_lowercase().contains("json") => true,
            _ => trimmed.first() == Some(&b'{'),
        };
        if json && !trimmed.is_empty() {
            read_json(trimmed, &mut pairs)?;
        } else {
            read_form(trimmed, &mut pairs);
        }
        if let Some(query) = query {
            read_form(query.as_bytes(), &mut pairs);
        }
        Ok(Params { pairs })
    }

    /// The first value of any of `names`, trimmed; `None` when absent or empty.
    pub fn get(&self, names: &[&str]) -> Option<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    /// Every non-empty value of any of `names`, trimmed (for repeated keys).
    pub fn all(&self, names: &[&str]) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A boolean switch: `1`, `true` or any other non-empty value is on; `0`, `false`, `no`,
    /// `off`, empty or absent is off.
    pub fn flag(&self, names: &[&str]) -> bool {
        match self.get(names) {
            None => false,
            Some(v) => !matches!(
                v.to_ascii_lowercase().as_str(),
                "0" | "false" | "no" | "off"
            ),
        }
    }

    /// `custom_field`, verbatim (not trimmed: it is the caller's data).
    pub fn custom_field(&self) -> Option<String> {
        self.pairs
            .iter()
            .find(|(k, _)| k == "custom_field")
            .map(|(_, v)| v.clone())
    }

    /// An optional integer parameter; present but not an integer is code 31.
    pub fn integer(&self, names: &[&str]) -> Result<Option<i64>, ErrorCode> {
        match self.get(names) {
            None => Ok(None),
            Some(v) => parse_integer(v).map(Some).ok_or(ErrorCode::Syntax),
        }
    }
}

/// Integers as clients send them: `2`, `2.0`, `"2"`.
fn parse_integer(v: &str) -> Option<i64> {
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    let f: f64 = v.parse().ok()?;
    (f.fract() == 0.0 && f.is_finite() && f.abs() < 9.0e15).then_some(f as i64)
}

/// `type[]` and `type[0]` (PHP's http_build_query) are `type`.
fn base_name(key: &str) -> String {
    match key.find('[') {
        Some(i) if key.ends_with(']') && i > 0 => key[..i].to_string(),
        _ => key.to_string(),
    }
}

fn read_form(bytes: &[u8], pairs: &mut Vec<(String, String)>) {
    for (k, v) in form_urlencoded::parse(bytes) {
        pairs.push((base_name(k.trim()), v.into_owned()));
    }
}

fn read_json(bytes: &[u8], pairs: &mut Vec<(String, String)>) -> Result<(), ErrorCode> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| ErrorCode::Syntax)?;
    let serde_json::Value::Object(object) = value else {
        return Err(ErrorCode::Syntax);
    };
    for (key, value) in object {
        match value {
            serde_json::Value::Array(items) => {
                for item in items {
                    if let Some(text) = scalar_text(item)? {
                        pairs.push((key.clone(), text));
                    }
                }
            }
            other => {
                if let Some(text) = scalar_text(other)? {
                    pairs.push((key, text));
                }
            }
        }
    }
    Ok(())
}

/// A JSON scalar as the form encoding would carry it; `null` is absent.
fn scalar_text(value: serde_json::Value) -> Result<Option<String>, ErrorCode> {
    Ok(match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Bool(b) => Some(if b { "1" } else { "0" }.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            return Err(ErrorCode::Syntax)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_and_json_bodies_give_the_same_parameters() {
        let form = Params::from_request(
            Some("application/x-www-form-urlencoded"),
            b"tp=0%2C3.2%0A&quality=3&deviceSimilarityOnly=0&custom_field=+x+\n",
            None,
        )
        .unwrap();
        let json = Params::from_request(
            Some("application/json"),
            br#"{"tp":"0,3.2\n","quality":3,"deviceSimilarityOnly":false,"custom_field":" x "}"#,
            None,
        )
        .unwrap();
        for p in [&form, &json] {
            assert_eq!(p.get(&["tp"]), Some("0,3.2"));
            assert_eq!(p.integer(&["quality"]).unwrap(), Some(3));
            assert!(!p.flag(&["device_similarity_only", "deviceSimilarityOnly"]));
            assert_eq!(p.custom_field().as_deref(), Some(" x "));
        }
    }

    #[test]
    fn aliases_truthiness_repeats_and_query_strings() {
        let p = Params::from_request(
            None,
            b"positionOnly=true",
            Some("type=1&type=2&type[]=0&textid=&device=all"),
        )
        .unwrap();
        assert!(p.flag(&["position_only", "positionOnly"]));
        assert_eq!(p.all(&["type"]), vec!["1", "2", "0"]);
        assert_eq!(p.get(&["textid"]), None, "empty values are absent");
        let p = Params::from_request(
            Some("application/json"),
            br#"{"type":[1,2],"x":null}"#,
            None,
        )
        .unwrap();
        assert_eq!(p.all(&["type"]), vec!["1", "2"]);
        assert_eq!(p.get(&["x"]), None);
    }

    #[test]
    fn a_json_body_without_content_type_is_recognised_and_bad_json_is_code_31() {
        let p = Params::from_request(None, br#" {"tp":"a"} "#, None).unwrap();
        assert_eq!(p.get(&["tp"]), Some("a"));
        for bad in [&br#"{"tp":"a""#[..], b"[1,2]", br#"{"tp":{"a":1}}"#] {
            assert_eq!(
                Params::from_request(Some("application/json"), bad, None),
                Err(ErrorCode::Syntax)
            );
        }
        let p = Params::from_request(None, b"quality=abc", None).unwrap();
        assert_eq!(p.integer(&["quality"]), Err(ErrorCode::Syntax));
        let p = Params::from_request(None, b"quality=2.0", None).unwrap();
        assert_eq!(p.integer(&["quality"]), Ok(Some(2)));
    }
}
