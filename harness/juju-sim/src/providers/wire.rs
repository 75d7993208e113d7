//! Byte-exact encodings the simulated providers need: Python's `json.dumps` (which every
//! Canonical library uses to put lists and dicts into a databag) and `json.loads`-or-raw
//! decoding of databag values.

use serde_json::Value;

/// A JSON string literal as Python's `json.dumps` writes it (`ensure_ascii=True`): `"`, `\`
/// and control characters escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`), every
/// non-ASCII character as `\uXXXX` (surrogate pairs above U+FFFF), `/` left alone.
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `json.dumps(value)` with Python's default separators (`", "` and `": "`). Objects keep
/// the iteration order of `serde_json::Map`; use [`py_object`] when the order matters.
pub fn py_dumps(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => if *b { "true" } else { "false" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => py_str(s),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(py_dumps).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", py_str(k), py_dumps(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `json.dumps` of a dict whose keys come in this order (Python dicts keep insertion order).
pub fn py_object(pairs: &[(String, Value)]) -> String {
    format!(
        "{{{}}}",
        pairs
            .iter()
            .map(|(k, v)| format!("{}: {}", py_str(k), py_dumps(v)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `json.loads(s)`, falling back to the raw string when it is not JSON (what data_interfaces
/// v1's repository `get_data` does with every databag value).
pub fn loads_or_raw(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Pins the encoder to Python's `json.dumps` output for the values the providers write
    /// (reference strings produced by CPython 3.11's json module).
    #[test]
    fn matches_python_json_dumps() {
        assert_eq!(
            py_dumps(&json!(["username", "password"])),
            r#"["username", "password"]"#
        );
        assert_eq!(
            py_str("-----BEGIN CERTIFICATE-----\nMII/+=\n"),
            r#""-----BEGIN CERTIFICATE-----\nMII/+=\n""#
        );
        assert_eq!(py_str("é\u{1}\t\"\\"), r#""\u00e9\u0001\t\"\\""#);
        assert_eq!(py_str("😀"), r#""\ud83d\ude00""#);
        assert_eq!(
            py_object(&[("b".into(), json!(1)), ("a".into(), json!({"x": null}))]),
            r#"{"b": 1, "a": {"x": null}}"#
        );
        assert_eq!(loads_or_raw("admin"), json!("admin"));
        assert_eq!(loads_or_raw("[\"a\"]"), json!(["a"]));
    }
}
