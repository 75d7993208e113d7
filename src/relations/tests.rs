//! The relation readers and the request writer against an in-memory Juju.

use super::{connect_client, kafka_client, CaSource, NotReady, SecretRef, TrustedCa};
use crate::juju::memory::{MemoryTools, Relation, SecretRecord, State};
use crate::juju::RelationRef;

const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

fn world(bag: &[(&str, &str)], secrets: &[(&str, &[(&str, &str)])]) -> MemoryTools {
    let mut s = State {
        app: "mm".into(),
        unit: "mm/0".into(),
        leader: true,
        ..Default::default()
    };
    s.relations.push(Relation {
        endpoint: "source".into(),
        id: 3,
        remote_app: "kafka-a".into(),
        remote_app_data: bag
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    });
    for (id, content) in secrets {
        s.secrets.insert(
            id.to_string(),
            SecretRecord {
                revisions: vec![content
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()],
                ..Default::default()
            },
        );
    }
    MemoryTools::new(s)
}

fn rel() -> RelationRef {
    RelationRef {
        endpoint: "source".into(),
        id: 3,
    }
}

// Without secrets (old Juju or a provider that writes plainly) the databag fields are used.
#[test]
fn plain_databag_fallback() {
    let t = world(
        &[
            ("endpoints", "h:9092"),
            ("username", "u"),
            ("password", "p4ssword"),
            ("tls", "disabled"),
        ],
        &[],
    );
    let d = kafka_client::read(&t, &rel(), "kafka-a")
        .unwrap()
        .data
        .unwrap();
    assert_eq!(
        (d.bootstrap.as_str(), d.username.as_str(), d.tls, d.ca_pem),
        ("h:9092", "u", false, None)
    );
    assert_eq!(d.password.expose(), "p4ssword");
}

// Secret content overrides the databag, is read with our consumer label, and `tls-ca` comes
// from the tls secret; the secrets the databag names are listed on the answer.
#[test]
fn secrets_override_and_are_labelled() {
    let ca = crate::pem::test_ca("kafka-a");
    let t = world(
        &[
            ("endpoints", "h:9093"),
            ("tls", "enabled"),
            ("username", "stale"),
            ("secret-user", "secret:u"),
            ("secret-tls", "secret:t"),
        ],
        &[
            (
                "secret:u",
                &[("username", "relation-3"), ("password", "pw-123456")],
            ),
            ("secret:t", &[("tls-ca", &ca)]),
        ],
    );
    let r = kafka_client::read(&t, &rel(), "kafka-a").unwrap();
    assert_eq!(
        r.secrets,
        vec![
            SecretRef {
                field: "secret-user".into(),
                uri: "secret:u".into()
            },
            SecretRef {
                field: "secret-tls".into(),
                uri: "secret:t".into()
            }
        ]
    );
    let d = r.data.unwrap();
    assert_eq!(d.username, "relation-3");
    assert_eq!(
        d.ca_pem.as_deref(),
        Some(format!("{}\n", ca.trim()).as_str())
    );
    assert!(d.tls);
    let st = t.into_state();
    assert_eq!(
        st.secrets["secret:u"].label.as_deref(),
        Some("source.3.user.secret")
    );
    assert_eq!(
        st.secrets["secret:t"].label.as_deref(),
        Some("source.3.tls.secret")
    );
}

// `tls` on with a non-PEM `tls-ca` (Charmed Kafka 3 sends "enabled") is ready without a CA
// (the gate then needs `receive-ca-cert`); `tls` of "disabled" is off (not Python truthiness);
// a PEM that is not X.509 (garbage between the markers) is refused naming `tls-ca`.
#[test]
fn tls_rules() {
    let ca = crate::pem::test_ca("kafka-a");
    let read = |tls: &str, ca: &str| {
        let bag = [
            ("endpoints", "h:9093"),
            ("username", "u"),
            ("password", "pw-123456"),
            ("tls", tls),
            ("tls-ca", ca),
        ];
        let d = kafka_client::read(&world(&bag, &[]), &rel(), "kafka-a")
            .unwrap()
            .data
            .unwrap();
        (d.tls, d.ca_pem)
    };
    assert_eq!(read("enabled", "enabled"), (true, None));
    assert_eq!(read("disabled", "disabled"), (false, None));
    assert_eq!(
        read("enabled", &ca),
        (true, Some(format!("{}\n", ca.trim())))
    );
    // Text around the blocks is dropped: only what parsed reaches a connector config.
    let wrapped = format!("subject=CN=kafka-a\n{ca}\n# end");
    assert_eq!(
        read("enabled", &wrapped).1,
        Some(format!("{}\n", ca.trim()))
    );
    let bag = [
        ("endpoints", "h:9093"),
        ("username", "u"),
        ("password", "pw-123456"),
        ("tls", "enabled"),
        ("tls-ca", PEM),
    ];
    assert_eq!(
        kafka_client::read(&world(&bag, &[]), &rel(), "kafka-a")
            .unwrap()
            .data
            .unwrap_err()
            .to_string(),
        "unusable 'tls-ca': certificate 1 is not an X.509 certificate"
    );
    // With TLS off the CA is never used, so a bad one does not matter.
    let mut off = bag;
    off[3].1 = "disabled";
    assert!(kafka_client::read(&world(&off, &[]), &rel(), "kafka-a")
        .unwrap()
        .data
        .is_ok());
}

// Kafka's `endpoints` must be a host:port list: user info, a scheme, ';', an empty item are
// refused naming the item (a password never shown); a placeholder in the username or the
// password is refused naming the field, never the value; spacing is normalised away.
#[test]
fn kafka_answer_is_parsed_strictly() {
    let read = |endpoints: &str, user: &str, pw: &str| {
        let bag = [
            ("endpoints", endpoints),
            ("username", user),
            ("password", pw),
        ];
        kafka_client::read(&world(&bag, &[]), &rel(), "kafka-a")
            .unwrap()
            .data
            .map(|d| d.bootstrap)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        read(" h1:9092 , h2:9092", "u", "pw"),
        Ok("h1:9092,h2:9092".into())
    );
    let cases = [
        (
            "mm:hunter2@h:9092",
            "u",
            "pw",
            "unusable 'endpoints': item 1 ('<redacted>@h:9092') carries user info",
        ),
        (
            "SASL_SSL://h:9093",
            "u",
            "pw",
            "unusable 'endpoints': item 1 ('SASL_SSL://h:9093') has a scheme prefix",
        ),
        (
            "h:9092;evil:9092",
            "u",
            "pw",
            "unusable 'endpoints': item 1 ('h:9092;evil:9092') has ';'",
        ),
        (
            "h:9092,,i:9092",
            "u",
            "pw",
            "unusable 'endpoints': item 2 ('') is empty",
        ),
        (
            "h:9092",
            "${env:USER}",
            "pw",
            "unusable 'username': contains '${'",
        ),
        (
            "h:9092",
            "u",
            "a${file:/etc/shadow:x}",
            "unusable 'password': contains '${'",
        ),
    ];
    for (endpoints, user, pw, want) in cases {
        let got = read(endpoints, user, pw).unwrap_err();
        assert!(got.starts_with(want), "{got}");
        assert!(!got.contains("hunter2") && !got.contains("shadow"), "{got}");
    }
}

// Connect's endpoints must be absolute http(s) URLs without user info, path, query or
// fragment; the reason names the item with its user info redacted; good ones normalise.
#[test]
fn connect_endpoints_are_parsed_strictly() {
    use connect_client::parse_endpoints;
    assert_eq!(
        parse_endpoints("http://a:8083/, https://B:8443,http://[::1]:8083,http://c").unwrap(),
        vec![
            "http://a:8083",
            "https://b:8443",
            "http://[::1]:8083",
            "http://c:80"
        ]
    );
    let cases = [
        (
            "http://user:pw-x1@h:8083",
            "item 1 ('<redacted>@h:8083') carries user info",
        ),
        (
            "http://user@h:8083",
            "item 1 ('<redacted>@h:8083') carries user info",
        ),
        (
            "http://h:8083/api",
            "item 1 ('http://h:8083/api') has a path, query or fragment",
        ),
        (
            "http://h:8083?x=1",
            "item 1 ('http://h:8083?x=1') has a path, query or fragment",
        ),
        (
            "http://h:8083#f",
            "item 1 ('http://h:8083#f') has a path, query or fragment",
        ),
        ("ftp://h:21", "item 1 ('ftp://h:21') is not an http(s) URL"),
        ("h:8083", "item 1 ('h:8083') is not an http(s) URL"),
        (
            "/connectors",
            "item 1 ('/connectors') is not an absolute URL",
        ),
        ("http://a:8083,", "item 2 ('') is empty"),
        (
            "http://h\n:8083",
            "item 1 ('http://h\\n:8083') has control characters",
        ),
        (
            "http://h:99999",
            "item 1 ('http://h:99999') is not an absolute URL",
        ),
    ];
    for (raw, want) in cases {
        let got = parse_endpoints(raw).unwrap_err();
        assert!(got.starts_with(want), "{raw}: {got}");
        assert!(!got.contains("pw-x1"), "{got}");
    }
    // Duplicates count once; a list longer than a Connect cluster could be is refused.
    assert_eq!(
        parse_endpoints("http://a:8083,http://a:8083/").unwrap(),
        vec!["http://a:8083"]
    );
    let many = vec!["http://a:1"; 65].join(",");
    assert_eq!(parse_endpoints(&many).unwrap_err(), "more than 64 URLs");
}

// Missing answers name the fields; an unreadable secret says so, and neither is an error.
#[test]
fn not_ready_names_what_is_missing() {
    let t = world(&[("endpoints", "h:9092")], &[]);
    assert_eq!(
        kafka_client::read(&t, &rel(), "kafka-a")
            .unwrap()
            .data
            .unwrap_err(),
        NotReady::Missing(vec!["username", "password"])
    );
    let t = world(
        &[("endpoints", "h:9092"), ("secret-user", "secret:gone")],
        &[],
    );
    assert!(matches!(
        kafka_client::read(&t, &rel(), "kafka-a")
            .unwrap()
            .data
            .unwrap_err(),
        NotReady::SecretUnreadable { .. }
    ));
}

// Kafka Connect over https without `secret-tls` is ready with no CA of its own (the platform
// trust store or `receive-ca-cert` verify it; verification is never off); a PEM in `tls-ca` is
// trusted as coming from secret-tls, a garbage one is not; endpoints are split into URLs.
#[test]
fn connect_endpoints_and_ca() {
    let bag = [
        ("endpoints", "https://a:8083,https://b:8083/"),
        ("username", "u"),
        ("password", "pw-123456"),
    ];
    let read = |bag: &[(&str, &str)]| {
        connect_client::read(&world(bag, &[]), &rel(), "kafka-a")
            .unwrap()
            .data
            .unwrap()
    };
    let d = read(&bag);
    assert_eq!(d.endpoints, vec!["https://a:8083", "https://b:8083"]);
    assert!(d.cas.is_empty());
    assert_eq!(d.ca_bundle(), None);

    let ca = crate::pem::test_ca("connect");
    let mut with_ca = bag.to_vec();
    with_ca.push(("tls-ca", &ca));
    let d = read(&with_ca);
    assert_eq!(
        d.cas,
        vec![TrustedCa {
            source: CaSource::SecretTls,
            pem: ca.trim().to_string() + "\n"
        }]
    );
    assert_eq!(d.ca_sources(), "secret-tls");

    let mut garbage = bag.to_vec();
    garbage.push(("tls-ca", PEM));
    assert!(read(&garbage).cas.is_empty());
}

// The request is written once; a value already there (even a different one) is never
// rewritten, because Charmed Kafka refuses a changed topic or role.
#[test]
fn request_is_written_once_and_never_changed() {
    let t = world(&[], &[]);
    assert!(kafka_client::ensure_request(&t, &rel(), "mm", "mm/0").unwrap());
    assert!(!kafka_client::ensure_request(&t, &rel(), "mm", "mm/0").unwrap());
    let mut st = t.into_state();
    st.relations[0]
        .local_app
        .insert("extra-user-roles".into(), "producer".into());
    let t = MemoryTools::new(st);
    assert!(!kafka_client::ensure_request(&t, &rel(), "mm", "mm/0").unwrap());
    assert_eq!(
        t.into_state().relations[0].local_app["extra-user-roles"],
        "producer"
    );
}
