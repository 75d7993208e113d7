//! Which connector config keys hold secrets, and redaction of text that came from outside.
//!
//! Pure. Used by the renderer's `Debug`, by the planner (masked diffs) and by the Connect
//! client (Connect echoes whole configs, passwords included, in some error messages and in
//! `GET …/config`).

use crate::secret::{redact, Secret};
use std::collections::BTreeMap;

/// What a masked value prints as.
pub const MASK: &str = "<redacted>";

/// True for keys whose value is a password, a JAAS config (holds a password) or PEM material.
pub fn is_sensitive_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.ends_with("jaas.config")
        || k.contains("ssl.truststore.certificates")
        || k.contains("ssl.keystore.key")
        || k.contains("ssl.keystore.certificate.chain")
        || k.contains("secret")
        || k.contains("credential")
}

/// The value as it may be shown: `<redacted>` for sensitive keys, else unchanged.
pub fn display_value<'a>(key: &str, value: &'a str) -> &'a str {
    if is_sensitive_key(key) {
        MASK
    } else {
        value
    }
}

/// A copy of `config` with every sensitive value replaced by `<redacted>`.
pub fn masked(config: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    config
        .iter()
        .map(|(k, v)| (k.clone(), display_value(k, v).to_string()))
        .collect()
}

/// Redact text from outside (Connect error messages, response bodies) before it reaches an
/// error, a log or a status: every known secret, every `password="…"` / `password=…` value
/// (JAAS and Java map syntax, with or without JSON escaping) and every PEM block.
pub fn redact_text(text: &str, secrets: &[&Secret]) -> String {
    let text = redact(text, secrets);
    let text = mask_pem_blocks(&text);
    mask_password_assignments(&text)
}

fn mask_pem_blocks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        // The block ends after the "-----END …-----" marker; unterminated → mask to the end.
        let end = after
            .find("-----END")
            .and_then(|e| after[e + 8..].find("-----").map(|t| e + 8 + t + 5))
            .unwrap_or(after.len());
        out.push_str("<redacted pem>");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Masks the value after every `password` (case-insensitive) followed by `=` or `":` .
fn mask_password_assignments(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while let Some(found) = lower[i..].find("password") {
        let mut j = i + found + "password".len();
        // Allow key suffix chars like `ssl.key.password` or `password"` then separator.
        while j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\\' || bytes[j] == b' ') {
            j += 1;
        }
        if j < bytes.len() && (bytes[j] == b'=' || bytes[j] == b':') {
            j += 1;
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            let value_start = j;
            let value_end = scan_value(bytes, j);
            if value_end > value_start {
                out.push_str(&text[copied..value_start]);
                out.push_str(MASK);
                copied = value_end;
            }
            i = value_end.max(j);
        } else {
            i = j;
        }
        if i >= text.len() {
            break;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// End of a value starting at `start`: a quoted string (`"…"` or `\"…\"`, honouring
/// backslash escapes) or an unquoted token up to `,`, `}`, `;` or whitespace.
fn scan_value(bytes: &[u8], start: usize) -> usize {
    let mut j = start;
    // Opening quote, possibly JSON-escaped (\") or doubly escaped (\\\").
    let mut quote_prefix = 0;
    while j < bytes.len() && bytes[j] == b'\\' {
        j += 1;
        quote_prefix += 1;
    }
    if j < bytes.len() && bytes[j] == b'"' {
        j += 1;
        // Find the matching close: the same escape depth before a quote, not itself escaped further.
        while j < bytes.len() {
            if bytes[j] == b'"' {
                // count backslashes before it
                let mut k = j;
                let mut n = 0;
                while k > start && bytes[k - 1] == b'\\' {
                    k -= 1;
                    n += 1;
                }
                if n == quote_prefix {
                    return j + 1;
                }
            }
            j += 1;
        }
        return bytes.len();
    }
    j = start;
    while j < bytes.len() && !matches!(bytes[j], b',' | b'}' | b';' | b' ' | b'\n' | b'\t') {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    // proves JAAS, Java-map and JSON-escaped password forms and PEM blocks are all masked
    #[test]
    fn redact_text_masks_every_password_form() {
        let s = Secret::new("s3cr\"et\\pw");
        let text = concat!(
            "Connector config {sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required ",
            "username=\"u\" password=\"x\\\"y\";, ssl.truststore.password=abc, k=v} and ",
            "{\"sasl.jaas.config\":\"Scram required password=\\\"q\\\\\\\"w\\\";\"} ",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE----- tail"
        );
        let out = redact_text(text, &[&s]);
        assert!(!out.contains("x\\\"y"), "{out}");
        assert!(!out.contains("abc"), "{out}");
        assert!(!out.contains("q\\\\"), "{out}");
        assert!(!out.contains("MIIB"), "{out}");
        assert!(out.contains("k=v"), "{out}");
        assert!(out.ends_with(" tail"), "{out}");
    }

    proptest::proptest! {
        // proves any password, rendered into JAAS and echoed in a Java-map or JSON message, is redacted
        #[test]
        fn rendered_passwords_never_survive_redaction(pw in "[ -~\u{e9}\u{1f511}]{4,24}") {
            let secret = Secret::new(pw.clone());
            let jaas = crate::mirror::render::scram_jaas("user", &pw);
            let java_map = format!("Connector config {{sasl.jaas.config={jaas}, tasks.max=1}} contains no connector type");
            let json = serde_json::json!({"sasl.jaas.config": jaas}).to_string();
            for text in [java_map, json] {
                let out = redact_text(&text, &[&secret]);
                proptest::prop_assert!(!out.contains(&pw), "{}", out);
            }
        }
    }

    // proves sensitive keys are recognised and others are shown
    #[test]
    fn sensitive_keys() {
        assert!(is_sensitive_key("producer.override.sasl.jaas.config"));
        assert!(is_sensitive_key(
            "source.cluster.ssl.truststore.certificates"
        ));
        assert!(is_sensitive_key("ssl.key.password"));
        assert!(!is_sensitive_key("tasks.max"));
        assert_eq!(display_value("tasks.max", "4"), "4");
    }
}
