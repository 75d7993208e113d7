//! `Secret`: a string that never prints itself.
//!
//! Passwords and private keys travel through the charm inside this type, so a stray `{:?}`,
//! `{}` or panic message shows `<redacted>` instead of the value. Read the value only at the
//! edge that needs it (an HTTP header, a rendered connector config) with [`Secret::expose`].

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself; call only where it must leave the process (auth header, connector config).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Replace every occurrence of each secret in `text` with `<redacted>`; used on any text that
/// came from outside (hook-tool stderr, Connect error messages) before it is logged or shown.
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.0.len() >= 4 {
            out = out.replace(&s.0, "<redacted>");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("hunter2-password");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2-password");
    }

    #[test]
    fn redact_removes_every_occurrence() {
        let s = Secret::new("p4ssw0rd");
        let text = "login failed for password=p4ssw0rd (p4ssw0rd)";
        assert_eq!(
            redact(text, &[&s]),
            "login failed for password=<redacted> (<redacted>)"
        );
    }
}
