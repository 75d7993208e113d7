//! The relation readers and the request writer against an in-memory Juju.

use super::{connect_client, kafka_client, CaSource, NotReady, TrustedCa};
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
// from the tls secret.
#[test]
fn secrets_override_and_are_labelled() {
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
            ("secret:t", &[("tls-ca", PEM)]),
        ],
    );
    let d = kafka_client::read(&t, &rel(), "kafka-a")
        .unwrap()
        .data
        .unwrap();
    assert_eq!(d.username, "relation-3");
    assert!(d.tls && d.ca_pem.as_deref().unwrap().starts_with("-----BEGIN"));
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
// (the gate then needs `receive-ca-cert`); `tls` of "disabled" is off (not Python truthiness).
#[test]
fn tls_rules() {
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
    assert_eq!(read("enabled", PEM), (true, Some(format!("{PEM}\n"))));
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
