//! Hostile and malformed input, whole hooks in-process (in-memory Juju, in-memory Connect):
//! what a provider's databag or an operator's option may try, and that the charm blocks
//! naming the culprit, never uses the credentials, never shows a secret, and never touches the
//! running connectors. docs/reliability.md, bad and hostile input, lists every case with its test.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::charm::{self, ConnectApi, ConnectFailure};
use mirrormaker_integrator::juju::log::JujuLogLayer;
use mirrormaker_integrator::juju::memory::{MemoryTools, Relation, State};
use mirrormaker_integrator::juju::{Event, StatusKind};
use mirrormaker_integrator::relations::ConnectData;
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use tracing_subscriber::prelude::*;

/// What one hook did: the world after, every log line, and the Connect data the charm asked
/// a client for (empty = it never tried to reach Kafka Connect).
struct Seen {
    state: State,
    logs: Vec<String>,
    connects: Vec<ConnectData>,
}

impl Seen {
    /// Statuses, logs, tool calls and our relation data: everything an operator could read.
    fn said(&self) -> String {
        format!("{} {}", everything_said(&self.state), self.logs.join("\n"))
    }

    fn status(&self) -> (StatusKind, String) {
        let st = self.state.unit_status.clone().unwrap();
        (st.kind, st.message)
    }
}

/// Runs one hook with every tracing line captured and the Connect factory spied on.
fn hook_seen(state: State, event: &Event, connect: &FakeConnect) -> Seen {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let layer = JujuLogLayer::new(
        Box::new(move |_, m| {
            sink.lock().unwrap().push(m.to_string());
            true
        }),
        tracing::Level::DEBUG,
        false,
    );
    let connects = Rc::new(RefCell::new(Vec::new()));
    let spy = connects.clone();
    let c = connect.clone();
    let factory = move |d: &ConnectData| -> Result<Box<dyn ConnectApi>, ConnectFailure> {
        spy.borrow_mut().push(d.clone());
        Ok(Box::new(c.clone()))
    };
    let mut event = event.clone();
    event.unit = state.unit.clone();
    let tools = MemoryTools::new(state);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        charm::run_at(&event, &tools, &factory, T0).expect("hook succeeds")
    });
    let logs = lines.lock().unwrap().clone();
    let connects = connects.borrow().clone();
    Seen {
        state: tools.into_state(),
        logs,
        connects,
    }
}

fn changed(endpoint: &str, id: u64, app: &str) -> Event {
    hook(
        &format!("{endpoint}-relation-changed"),
        Some((endpoint, id, app)),
    )
}

fn relation<'a>(s: &'a mut State, endpoint: &str) -> &'a mut Relation {
    s.relations
        .iter_mut()
        .find(|r| r.endpoint == endpoint)
        .unwrap()
}

/// The converged world's connectors are all still there and nothing was written.
fn untouched(connect: &FakeConnect) {
    assert_eq!(connect.writes(), Vec::<String>::new());
    let c = connect.0.borrow();
    assert_eq!(c.actual.connectors.len(), 3);
    assert!(c
        .actual
        .connectors
        .values()
        .all(|x| x.state.as_ref().map(ToString::to_string) == Some("RUNNING".into())));
}

// Proves a secret URI named by two relations blocks the pass naming both relations, in
// every direction issue 14 names (a source naming the target's Kafka user or Connect's REST
// user, a Connect provider naming a Kafka user, the long URI form of the same secret): no
// Connect client is even built from that data, the running connectors are untouched, no
// password is shown, and undoing the reuse converges without a write.
#[test]
fn reused_secret_blocks_naming_both() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "source",
            "secret-user",
            "secret:b-user",
            "kafka-a (source:3) and kafka-b (target:4)",
        ),
        (
            "source",
            "secret-user",
            "secret:c-user",
            "kafka-a (source:3) and kafka-connect (connect-client:5)",
        ),
        (
            "source",
            "secret-tls",
            "secret:b-tls",
            "kafka-a (source:3) and kafka-b (target:4)",
        ),
        (
            "target",
            "secret-tls",
            "secret:a-user",
            "kafka-a (source:3) and kafka-b (target:4)",
        ),
        (
            "connect-client",
            "secret-user",
            "secret:b-user",
            "kafka-b (target:4) and kafka-connect (connect-client:5)",
        ),
        (
            "source",
            "secret-user",
            &format!("secret://{UUID}/b-user"),
            "kafka-a (source:3) and kafka-b (target:4)",
        ),
    ];
    for (endpoint, field, uri, both) in cases {
        let connect = FakeConnect::default();
        let good = converged(&connect);
        let mut s = good.clone();
        let r = relation(&mut s, endpoint);
        r.remote_app_data.insert(field.to_string(), uri.to_string());
        let (id, app) = (r.id, r.remote_app.clone());
        let seen = hook_seen(s, &changed(endpoint, id, &app), &connect);
        let (kind, message) = seen.status();
        assert_eq!(kind, StatusKind::Blocked, "{endpoint} {field}: {message}");
        assert!(
            message.starts_with(&format!("{both} name one secret")),
            "{message}"
        );
        assert!(
            seen.connects.is_empty(),
            "{endpoint} {field}: Connect was contacted"
        );
        untouched(&connect);
        let said = seen.said();
        assert!(!said.contains("pw-kafka-secret") && !said.contains("pw-connect-secret"));

        let back = hook_seen(good.clone(), &changed(endpoint, id, &app), &connect);
        assert_eq!(back.status().0, StatusKind::Active, "{:?}", back.status());
        assert_eq!(connect.writes(), Vec::<String>::new());
    }
}

// Proves a Kafka `endpoints` that is not a host:port list blocks naming the application, the
// endpoint and the item, with user info redacted (the password never appears anywhere) and
// control characters escaped (never an ESC in `juju status`); nothing is written.
#[test]
fn kafka_endpoints_refused_by_item() {
    let cases = [
        (
            "mm:hunter2@127.0.0.1:9003",
            "item 1 ('<redacted>@127.0.0.1:9003') carries user info",
        ),
        (
            "SASL_SSL://127.0.0.1:9003",
            "item 1 ('SASL_SSL://127.0.0.1:9003') has a scheme prefix",
        ),
        (
            "127.0.0.1:9003;127.0.0.2:9003",
            "item 1 ('127.0.0.1:9003;127.0.0.2:9003') has ';'",
        ),
        ("127.0.0.1:9003,,127.0.0.2:9003", "item 2 ('') is empty"),
        ("127.0.0.1:0", "item 1 ('127.0.0.1:0') has no valid port"),
        (
            "127.0.0.1:70000",
            "item 1 ('127.0.0.1:70000') has no valid port",
        ),
        ("127.0.0.1", "item 1 ('127.0.0.1') has no port"),
        (
            "ev\u{1b}[2Jil:9003",
            "item 1 ('ev\\u{1b}[2Jil:9003') has no valid host",
        ),
        ("::1:9003", "item 1 ('::1:9003') has no valid host"),
    ];
    for (endpoints, want) in cases {
        let connect = FakeConnect::default();
        let mut s = converged(&connect);
        relation(&mut s, "source")
            .remote_app_data
            .insert("endpoints".into(), endpoints.into());
        let seen = hook_seen(s, &changed("source", 3, "kafka-a"), &connect);
        let (kind, message) = seen.status();
        assert_eq!(kind, StatusKind::Blocked, "{message}");
        assert!(
            message.starts_with(&format!("kafka-a (source): unusable 'endpoints': {want}")),
            "{message}"
        );
        assert!(!message.contains('\u{1b}'), "{message:?}");
        assert!(!seen.said().contains("hunter2"));
        untouched(&connect);
    }
}

// Proves a Kafka Connect endpoint with credentials in the URL (or a path, query, fragment,
// another scheme, no scheme) blocks naming the item, Kafka Connect is never contacted (so
// the URL's credentials are never sent), and the URL's password appears nowhere.
#[test]
fn connect_endpoints_refused_and_never_contacted() {
    let cases = [
        (
            "http://admin:hunter2@127.0.0.1:8083",
            "item 1 ('<redacted>@127.0.0.1:8083') carries user info",
        ),
        (
            "http://127.0.0.1:8083/api",
            "item 1 ('http://127.0.0.1:8083/api') has a path, query or fragment",
        ),
        (
            "http://127.0.0.1:8083/?x=1",
            "item 1 ('http://127.0.0.1:8083/?x=1') has a path, query or fragment",
        ),
        (
            "http://127.0.0.1:8083#x",
            "item 1 ('http://127.0.0.1:8083#x') has a path, query or fragment",
        ),
        (
            "ftp://127.0.0.1:8083",
            "item 1 ('ftp://127.0.0.1:8083') is not an http(s) URL",
        ),
        (
            "127.0.0.1:8083",
            "item 1 ('127.0.0.1:8083') is not an absolute URL",
        ),
        ("http://127.0.0.1:8083,", "item 2 ('') is empty"),
    ];
    for (endpoints, want) in cases {
        let connect = FakeConnect::default();
        let mut s = converged(&connect);
        relation(&mut s, "connect-client")
            .remote_app_data
            .insert("endpoints".into(), endpoints.into());
        let seen = hook_seen(s, &changed("connect-client", 5, "kafka-connect"), &connect);
        let (kind, message) = seen.status();
        assert_eq!(kind, StatusKind::Blocked, "{message}");
        // A long URL may be cut at 120 characters (`…`): the cause still comes first.
        let full = format!("kafka-connect (connect-client): unusable 'endpoints': {want}");
        let shown = message.trim_end_matches('…');
        assert!(
            message.starts_with(&full) || (message.ends_with('…') && full.starts_with(shown)),
            "{message}"
        );
        assert!(seen.connects.is_empty());
        assert!(!seen.said().contains("hunter2"));
        untouched(&connect);
    }
    // Trailing slashes and spacing are fine, and normalised.
    let connect = FakeConnect::default();
    let mut s = world();
    relation(&mut s, "connect-client")
        .remote_app_data
        .insert("endpoints".into(), " http://127.0.0.1:8083/ ".into());
    let seen = hook_seen(s, &hook("config-changed", None), &connect);
    assert_eq!(seen.connects[0].endpoints, vec!["http://127.0.0.1:8083"]);
}

// Proves a config-provider placeholder (`${…}`) in a Kafka username or password blocks
// naming the field, never the value, and never reaches a connector config.
#[test]
fn placeholders_in_relation_values_refused() {
    for (field, value) in [
        ("username", "${env:KAFKA_USER}"),
        (
            "password",
            "x${file:/etc/kafka/secrets.properties:admin.password}",
        ),
    ] {
        let connect = FakeConnect::default();
        let mut s = converged(&connect);
        s.secrets.get_mut("secret:b-user").unwrap().revisions[0].insert(field.into(), value.into());
        let seen = hook_seen(s, &changed("target", 4, "kafka-b"), &connect);
        let (kind, message) = seen.status();
        assert_eq!(kind, StatusKind::Blocked);
        assert_eq!(
            message,
            format!(
                "kafka-b (target): unusable '{field}': contains '${{' (config providers would expand it)"
            )
        );
        assert!(!seen.said().contains("secrets.properties") && !seen.said().contains("KAFKA_USER"));
        untouched(&connect);
    }
}

// Proves a garbage CA between PEM markers is refused by name on every relation that carries
// CAs: on a Kafka relation it blocks (the cluster cannot be trusted); on connect-client and
// receive-ca-cert it is never trusted and the debug log names the relation, while good CAs
// of the same hook still count.
#[test]
fn garbage_ca_refused_on_every_relation() {
    let garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----";

    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    s.secrets.get_mut("secret:b-tls").unwrap().revisions[0].insert("tls-ca".into(), garbage.into());
    let seen = hook_seen(s, &changed("target", 4, "kafka-b"), &connect);
    assert_eq!(
        seen.status(),
        (
            StatusKind::Blocked,
            "kafka-b (target): unusable 'tls-ca': certificate 1 is not an X.509 certificate".into()
        )
    );
    untouched(&connect);

    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    let good = mirrormaker_integrator::pem::test_ca("tls");
    relation(&mut s, "connect-client")
        .remote_app_data
        .insert("secret-tls".into(), "secret:c-tls".into());
    s.secrets.insert(
        "secret:c-tls".into(),
        secret(&[("tls", "enabled"), ("tls-ca", garbage)]),
    );
    let mut ca = Relation {
        endpoint: "receive-ca-cert".into(),
        id: 9,
        remote_app: "tls".into(),
        remote_units: vec!["tls/0".into()],
        ..Default::default()
    };
    ca.remote_app_data.insert(
        "certificates".into(),
        serde_json::to_string(&[garbage, good.as_str()]).unwrap(),
    );
    s.relations.push(ca);
    let seen = hook_seen(s, &changed("receive-ca-cert", 9, "tls"), &connect);
    let logs = seen.logs.join("\n");
    assert!(
        logs.contains("connect-client:5 (kafka-connect): not trusted: the tls-ca of secret-tls: certificate 1 is not an X.509 certificate"),
        "{logs}"
    );
    assert!(
        logs.contains("receive-ca-cert:9 (tls): not trusted: certificates[0]: certificate 1 is not an X.509 certificate"),
        "{logs}"
    );
    let trusted: Vec<String> = seen.connects[0].cas.iter().map(|c| c.pem.clone()).collect();
    assert_eq!(trusted, vec![format!("{}\n", good.trim())]);
    assert_eq!(seen.status().0, StatusKind::Active, "{:?}", seen.status());
    assert_eq!(connect.writes(), Vec::<String>::new());
}

// Proves every extra-config key issue 14 names (class loaders, what the charm owns, what
// weakens delivery) and a placeholder value block naming the option and the key, on a
// converged model whose connectors stay untouched.
#[test]
fn extra_config_hazards_block_and_hold() {
    let cases: &[(&str, &str, serde_json::Value)] = &[
        ("extra-source-config", "config.providers", json!("file")),
        (
            "extra-source-config",
            "config.providers.file.class",
            json!("org.apache.kafka.common.config.provider.FileConfigProvider"),
        ),
        ("extra-source-config", "topic.filter.class", json!("x.Evil")),
        (
            "extra-checkpoint-config",
            "group.filter.class",
            json!("x.Evil"),
        ),
        (
            "extra-source-config",
            "forwarding.admin.class",
            json!("x.Evil"),
        ),
        ("extra-source-config", "security.providers", json!("x.Evil")),
        (
            "extra-source-config",
            "consumer.interceptor.classes",
            json!("x.Evil"),
        ),
        (
            "extra-heartbeat-config",
            "producer.override.interceptor.classes",
            json!("x.Evil"),
        ),
        (
            "extra-source-config",
            "offsets.storage.topic",
            json!("other"),
        ),
        (
            "extra-source-config",
            "exactly.once.support",
            json!("required"),
        ),
        (
            "extra-source-config",
            "transaction.boundary",
            json!("connector"),
        ),
        ("extra-source-config", "target.producer.acks", json!("0")),
        ("extra-source-config", "producer.override.acks", json!("0")),
        (
            "extra-source-config",
            "source.consumer.isolation.level",
            json!("read_uncommitted"),
        ),
        ("extra-source-config", "errors.tolerance", json!("all")),
        (
            "extra-source-config",
            "producer.override.bootstrap.servers",
            json!("evil:9092"),
        ),
        (
            "extra-checkpoint-config",
            "target.cluster.sasl.jaas.config",
            json!("x"),
        ),
        (
            "extra-source-config",
            "replication.policy.class",
            json!("x.Evil"),
        ),
        ("extra-source-config", "tasks.max", json!(64)),
        ("extra-source-config", "name", json!("other")),
        ("extra-source-config", "no.such.key", json!("1")),
    ];
    for (option, key, value) in cases {
        let connect = FakeConnect::default();
        let mut s = converged(&connect);
        s.config.insert(
            option.to_string(),
            json!({ *key: value }).to_string().into(),
        );
        let seen = hook_seen(s, &hook("config-changed", None), &connect);
        let (kind, message) = seen.status();
        assert_eq!(kind, StatusKind::Blocked, "{key}: {message}");
        assert!(
            message.starts_with(&format!(
                "invalid config '{option}': key '{key}' cannot be set here: "
            )),
            "{message}"
        );
        untouched(&connect);
    }
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    s.config.insert(
        "extra-source-config".into(),
        r#"{"consumer.client.rack": "${env:RACK}"}"#.into(),
    );
    let seen = hook_seen(s, &hook("config-changed", None), &connect);
    assert_eq!(
        seen.status().1,
        "invalid config 'extra-source-config': 'consumer.client.rack' contains '${' (config providers would expand it)"
    );
    untouched(&connect);
}

// Proves an allowed key is rendered: only the connector it feeds is updated, with the key.
#[test]
fn allowed_extra_key_updates_only_its_connector() {
    let connect = FakeConnect::default();
    let mut s = converged(&connect);
    s.config.insert(
        "extra-source-config".into(),
        r#"{"producer.override.max.request.size": "2097152", "offset.lag.max": 50}"#.into(),
    );
    let seen = hook_seen(s, &hook("config-changed", None), &connect);
    assert_eq!(
        connect.writes(),
        vec![format!("PUT {}", name("source", "kafka-a"))]
    );
    let c = connect.0.borrow();
    let cfg = &c.actual.connectors[&name("source", "kafka-a")].config;
    assert_eq!(cfg["producer.override.max.request.size"], "2097152");
    assert_eq!(cfg["offset.lag.max"], "50");
    assert_ne!(seen.status().0, StatusKind::Blocked);
}

// Proves whitespace-only changes (option lists, enum options, extra-config values, and the
// provider's bootstrap list) render the same connectors, so nothing is rewritten.
#[test]
fn whitespace_only_changes_write_nothing() {
    let connect = FakeConnect::default();
    let mut s = world();
    s.config.insert(
        "extra-source-config".into(),
        r#"{"offset.lag.max": "50"}"#.into(),
    );
    let s = converge(s, &connect);
    let mut spaced = s.clone();
    for (k, v) in [
        ("topics", " orders\\..* "),
        ("groups-exclude", "console-consumer-.* ,connect-.*,  __.*"),
        ("heartbeats", " reverse"),
        ("extra-source-config", r#"{ "offset.lag.max" : " 50 " }"#),
    ] {
        spaced.config.insert(k.into(), v.into());
    }
    let seen = hook_seen(spaced, &hook("config-changed", None), &connect);
    assert_eq!(connect.writes(), Vec::<String>::new());
    assert_eq!(seen.status().0, StatusKind::Active, "{:?}", seen.status());

    let mut s = seen.state;
    relation(&mut s, "source")
        .remote_app_data
        .insert("endpoints".into(), " 127.0.0.1:9003 ".into());
    let seen = hook_seen(s, &changed("source", 3, "kafka-a"), &connect);
    assert_eq!(connect.writes(), Vec::<String>::new());
    assert_eq!(seen.status().0, StatusKind::Active);
}
