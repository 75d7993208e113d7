//! Text helpers of the Connect client: error chains, truncation, URL path segments. Pure.

/// An error and its sources, joined with ": ".
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// Percent-encode one path segment (connector names, plugin classes).
pub(super) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The cause of a failed request in a few words, for a status: the I/O error's kind when
/// there is one (refused, reset, timed out…), else what the HTTP client says failed.
/// `connect` and `request` are the timeouts this attempt ran with.
pub(super) fn cause(
    e: &reqwest::Error,
    connect: std::time::Duration,
    request: std::time::Duration,
) -> String {
    use std::io::ErrorKind as K;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            let what = match io.kind() {
                K::ConnectionRefused => Some("connection refused"),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                    Some("connection reset")
                }
                K::TimedOut => Some("connection timed out"),
                K::HostUnreachable | K::NetworkUnreachable => Some("host unreachable"),
                K::UnexpectedEof => Some("connection closed without an answer"),
                _ => None,
            };
            if let Some(w) = what {
                return w.to_string();
            }
        }
        source = s.source();
    }
    let text = chain(e);
    if e.is_timeout() && e.is_connect() {
        format!("no connection within {} s", secs(connect.min(request)))
    } else if e.is_timeout() {
        format!("no answer within {} s", secs(request))
    } else if text.contains("dns error") || text.contains("failed to lookup") {
        "host name not found".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else if e.is_body() || e.is_decode() {
        "the answer broke off".into()
    } else {
        "no answer".into()
    }
}

/// Seconds with at most one decimal: `1.5`, `4`.
pub(super) fn secs(d: std::time::Duration) -> String {
    let tenths = d.as_millis().div_ceil(100);
    if tenths % 10 == 0 {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}
