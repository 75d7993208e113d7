//! Values that reach a connector config from outside the charm (a relation databag, a Juju
//! secret, an `extra-*-config` option): the checks they must pass first.
//!
//! Pure. Two rules: a Kafka bootstrap list is exactly `host:port[,host:port…]` (anything else
//! could smuggle credentials, a scheme or a second list into `bootstrap.servers`), and no value
//! holds `${`, which a Kafka Connect worker with config providers would expand
//! (`${file:/etc/…:key}`, `${env:…}`) in every connector config value it stores.
//! Reasons never quote a value that may be a secret; a list item with `@` is shown redacted.

/// The opening of a Kafka config-provider placeholder (`ConfigTransformer`'s `${provider:…}`).
pub const PLACEHOLDER: &str = "${";

/// The most addresses a bootstrap list may hold (a cluster has a handful of brokers).
pub const MAX_BOOTSTRAP_ITEMS: usize = 256;

/// True when `value` holds a config-provider placeholder opening.
pub fn has_placeholder(value: &str) -> bool {
    value.contains(PLACEHOLDER)
}

/// `raw` (a comma-separated `host:port` list, as Charmed Kafka writes `endpoints`) checked
/// and normalised: items trimmed (Kafka splits lists on `\s*,\s*`), joined with `,`. IPv6
/// hosts are in brackets (`[::1]:9092`). The error names the item (redacted when it has `@`).
pub fn parse_bootstrap(raw: &str) -> Result<String, String> {
    let items: Vec<&str> = raw.split(',').map(str::trim).collect();
    if items.len() > MAX_BOOTSTRAP_ITEMS {
        return Err(format!("more than {MAX_BOOTSTRAP_ITEMS} addresses"));
    }
    for (i, item) in items.iter().enumerate() {
        check_address(item).map_err(|why| format!("item {} ({}) {why}", i + 1, shown(item)))?;
    }
    Ok(items.join(","))
}

/// One `host:port`.
fn check_address(item: &str) -> Result<(), &'static str> {
    if item.is_empty() {
        return Err("is empty (a stray comma?)");
    }
    if item.contains('@') {
        return Err("carries user info ('user:password@'); credentials come from the secret");
    }
    if item.contains("://") {
        return Err("has a scheme prefix; write host:port only");
    }
    if item.contains(';') {
        return Err("has ';'; separate addresses with ','");
    }
    let (host, port) = item
        .rsplit_once(':')
        .ok_or("has no port; write host:port")?;
    if port.is_empty()
        || !port.bytes().all(|b| b.is_ascii_digit())
        || !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err("has no valid port (1 to 65535)");
    }
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => {
            v6.contains(':')
                && v6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        None => {
            !host.is_empty()
                && host.len() <= 253
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        }
    };
    if !host_ok {
        return Err("has no valid host (a DNS name, an IPv4 address or [an IPv6 address])");
    }
    Ok(())
}

/// An item as it may appear in a message: what precedes an `@` (user info) is replaced by
/// `<redacted>`, control characters are escaped, and the length is bounded.
pub fn shown(item: &str) -> String {
    let visible = match item.rsplit_once('@') {
        Some((_, host)) => format!("<redacted>@{host}"),
        None => item.to_string(),
    };
    let mut out: String = visible.chars().take(80).collect();
    if visible.chars().count() > 80 {
        out.push('…');
    }
    format!("'{}'", out.escape_debug())
}

#[cfg(test)]
mod tests {
    use super::*;

    // proves well-formed lists are accepted and normalised (items trimmed), IPv6 in brackets
    // included, so whitespace-only differences render the same bootstrap.servers
    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            parse_bootstrap(" a:9092 , b.example:9093,10.0.0.1:1 ").unwrap(),
            "a:9092,b.example:9093,10.0.0.1:1"
        );
        assert_eq!(
            parse_bootstrap("[::1]:9092,[fe80::1:2]:9093").unwrap(),
            "[::1]:9092,[fe80::1:2]:9093"
        );
        assert_eq!(
            parse_bootstrap("broker_0.kafka-k8s-endpoints:9092").unwrap(),
            "broker_0.kafka-k8s-endpoints:9092"
        );
    }

    // proves each hostile or malformed item is refused with a reason naming the item, and
    // the user info of an item with '@' (a password) never appears in the reason
    #[test]
    fn refuses_by_item_without_echoing_passwords() {
        let cases = [
            ("a:9092;b:9092", "item 1 ('a:9092;b:9092') has ';'"),
            (
                "a:9092,user:hunter2@b:9092",
                "item 2 ('<redacted>@b:9092') carries user info",
            ),
            (
                "SASL_SSL://a:9093",
                "item 1 ('SASL_SSL://a:9093') has a scheme prefix",
            ),
            ("a:9092,,b:9092", "item 2 ('') is empty"),
            ("a:9092,", "item 2 ('') is empty"),
            ("", "item 1 ('') is empty"),
            ("a", "item 1 ('a') has no port"),
            ("a:0", "item 1 ('a:0') has no valid port"),
            ("a:65536", "item 1 ('a:65536') has no valid port"),
            ("a:+92", "item 1 ('a:+92') has no valid port"),
            ("a:", "item 1 ('a:') has no valid port"),
            (":9092", "item 1 (':9092') has no valid host"),
            ("a b:9092", "item 1 ('a b:9092') has no valid host"),
            (
                "${env:X}:9092",
                "item 1 ('${env:X}:9092') has no valid host",
            ),
            ("::1:9092", "item 1 ('::1:9092') has no valid host"),
            ("[zz::1]:9092", "item 1 ('[zz::1]:9092') has no valid host"),
            (
                "a\u{1b}[31m:9092",
                "item 1 ('a\\u{1b}[31m:9092') has no valid host",
            ),
        ];
        for (raw, want) in cases {
            let got = parse_bootstrap(raw).unwrap_err();
            assert!(got.starts_with(want), "{raw:?}: {got}");
            assert!(!got.contains("hunter2"), "{got}");
        }
        let many = vec!["a:1"; MAX_BOOTSTRAP_ITEMS + 1].join(",");
        assert_eq!(
            parse_bootstrap(&many).unwrap_err(),
            format!("more than {MAX_BOOTSTRAP_ITEMS} addresses")
        );
    }

    // proves the shown form of an item is bounded and hides every user-info part
    #[test]
    fn shown_is_bounded_and_redacted() {
        assert_eq!(shown("u:p@q@h:1"), "'<redacted>@h:1'");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 83);
        assert!(has_placeholder("a${file:/x:y}") && !has_placeholder("a$b{c}"));
    }
}
