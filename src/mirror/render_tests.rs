//! Key-by-key tests of the rendered connector configs.

use super::*;
use crate::mirror::config::{Heartbeats, ReplicationPolicy};
use crate::secret::Secret;
use serde_json::json;

const UUID: &str = "0123abcd-4567-89ef-0123-456789abcdef";
const HEX: &str = "0123abcd456789ef0123456789abcdef";
const A_PEM: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
const B_PEM: &str = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----";
const BYTES: &str = "org.apache.kafka.connect.converters.ByteArrayConverter";

fn cluster(alias: &str, bootstrap: &str, tls: bool, pem: &str, user: &str, pw: &str) -> Cluster {
    Cluster {
        alias: alias.into(),
        bootstrap: bootstrap.into(),
        tls,
        ca_pem: tls.then(|| pem.to_string()),
        username: user.into(),
        password: Secret::new(pw),
    }
}

fn a(tls: bool) -> Cluster {
    cluster("kafka-a", "a1:9093,a2:9093", tls, A_PEM, "mm2-src", "pw-a")
}

fn b(tls: bool) -> Cluster {
    cluster("kafka-b", "b1:9093", tls, B_PEM, "mm2-tgt", "pw-b")
}

fn inputs(sources: Vec<Cluster>, target: Cluster, config: MirrorConfig) -> Inputs {
    Inputs {
        config,
        sources,
        target,
        connect_relation_id: 7,
        model_uuid: UUID.into(),
    }
}

fn jaas(user: &str, pw: &str) -> String {
    format!("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{user}\" password=\"{pw}\";")
}

/// The connection keys for one cluster under `prefix`.
fn conn(
    prefix: &str,
    bootstrap: &str,
    user: &str,
    pw: &str,
    pem: Option<&str>,
) -> Vec<(String, String)> {
    let mut v = vec![
        (format!("{prefix}bootstrap.servers"), bootstrap.to_string()),
        (
            format!("{prefix}security.protocol"),
            if pem.is_some() {
                "SASL_SSL"
            } else {
                "SASL_PLAINTEXT"
            }
            .to_string(),
        ),
        (
            format!("{prefix}sasl.mechanism"),
            "SCRAM-SHA-512".to_string(),
        ),
        (format!("{prefix}sasl.jaas.config"), jaas(user, pw)),
    ];
    if let Some(pem) = pem {
        v.push((format!("{prefix}ssl.truststore.type"), "PEM".to_string()));
        v.push((
            format!("{prefix}ssl.truststore.certificates"),
            pem.to_string(),
        ));
    }
    v
}

fn common(class: &str, tasks: &str, src: &str, tgt: &str, policy: &str) -> Vec<(String, String)> {
    [
        ("connector.class", class),
        ("tasks.max", tasks),
        ("source.cluster.alias", src),
        ("target.cluster.alias", tgt),
        ("key.converter", BYTES),
        ("value.converter", BYTES),
        ("header.converter", BYTES),
        ("replication.policy.class", policy),
        ("replication.policy.separator", "."),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn map(parts: Vec<Vec<(String, String)>>, rest: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = parts.into_iter().flatten().collect();
    for (k, v) in rest {
        m.insert(k.to_string(), v.to_string());
    }
    m
}

/// Asserts key by key so a failure names the key.
fn assert_config(got: &BTreeMap<String, String>, want: &BTreeMap<String, String>) {
    for (k, v) in want {
        assert_eq!(got.get(k), Some(v), "key '{k}'");
    }
    for k in got.keys() {
        assert!(want.contains_key(k), "unexpected key '{k}'");
    }
}

const DEFAULT_POLICY: &str = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy";
const SOURCE_CLASS: &str = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
const CHECKPOINT_CLASS: &str = "org.apache.kafka.connect.mirror.MirrorCheckpointConnector";
const HEARTBEAT_CLASS: &str = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector";

fn source_rest() -> Vec<(&'static str, &'static str)> {
    vec![
        ("topics", ".*"),
        ("topics.exclude", ".*[\\-\\.]internal, .*\\.replica, __.*"),
        ("replication.factor", "-1"),
        ("offset-syncs.topic.location", "target"),
        ("offset-syncs.topic.replication.factor", "-1"),
        ("refresh.topics.interval.seconds", "60"),
        ("sync.topic.configs.enabled", "true"),
        ("sync.topic.configs.interval.seconds", "60"),
        ("sync.topic.acls.enabled", "true"),
        ("sync.topic.acls.interval.seconds", "60"),
        ("source.consumer.auto.offset.reset", "earliest"),
    ]
}

// proves every key of the source connector for TLS clusters (§6.1): converters, inline PEM, producer → target
#[test]
fn source_connector_tls() {
    let d = desired(&inputs(vec![a(true)], b(true), MirrorConfig::default())).unwrap();
    assert_eq!(d.len(), 3);
    let s = &d[0];
    assert_eq!(s.name, format!("mirror_source_kafka-a_r7_{HEX}"));
    assert_eq!(
        (s.kind, s.source_alias.as_str()),
        (ConnectorKind::Source, "kafka-a")
    );
    let want = map(
        vec![
            common(SOURCE_CLASS, "4", "kafka-a", "kafka-b", DEFAULT_POLICY),
            conn(
                "source.cluster.",
                "a1:9093,a2:9093",
                "mm2-src",
                "pw-a",
                Some(A_PEM),
            ),
            conn("target.cluster.", "b1:9093", "mm2-tgt", "pw-b", Some(B_PEM)),
            conn(
                "producer.override.",
                "b1:9093",
                "mm2-tgt",
                "pw-b",
                Some(B_PEM),
            ),
        ],
        &source_rest(),
    );
    assert_config(&s.config, &want);
}

// proves the non-TLS rendering: SASL_PLAINTEXT and no truststore keys at all
#[test]
fn source_connector_plaintext() {
    let d = desired(&inputs(vec![a(false)], b(false), MirrorConfig::default())).unwrap();
    let want = map(
        vec![
            common(SOURCE_CLASS, "4", "kafka-a", "kafka-b", DEFAULT_POLICY),
            conn(
                "source.cluster.",
                "a1:9093,a2:9093",
                "mm2-src",
                "pw-a",
                None,
            ),
            conn("target.cluster.", "b1:9093", "mm2-tgt", "pw-b", None),
            conn("producer.override.", "b1:9093", "mm2-tgt", "pw-b", None),
        ],
        &source_rest(),
    );
    assert_config(&d[0].config, &want);
}

// proves every key of the checkpoint connector (§6.2), mixed TLS source and plaintext target
#[test]
fn checkpoint_connector() {
    let d = desired(&inputs(vec![a(true)], b(false), MirrorConfig::default())).unwrap();
    let c = &d[1];
    assert_eq!(c.name, format!("mirror_checkpoint_kafka-a_r7_{HEX}"));
    let want = map(
        vec![
            common(CHECKPOINT_CLASS, "1", "kafka-a", "kafka-b", DEFAULT_POLICY),
            conn(
                "source.cluster.",
                "a1:9093,a2:9093",
                "mm2-src",
                "pw-a",
                Some(A_PEM),
            ),
            conn("target.cluster.", "b1:9093", "mm2-tgt", "pw-b", None),
            conn("producer.override.", "b1:9093", "mm2-tgt", "pw-b", None),
        ],
        &[
            ("groups", ".*"),
            ("groups.exclude", "console-consumer-.*, connect-.*, __.*"),
            ("topics", ".*"),
            ("topics.exclude", ".*[\\-\\.]internal, .*\\.replica, __.*"),
            ("offset-syncs.topic.location", "target"),
            ("emit.checkpoints.enabled", "true"),
            ("emit.checkpoints.interval.seconds", "30"),
            ("sync.group.offsets.enabled", "true"),
            ("sync.group.offsets.interval.seconds", "30"),
            ("refresh.groups.interval.seconds", "60"),
            ("checkpoints.topic.replication.factor", "-1"),
        ],
    );
    assert_config(&c.config, &want);
}

fn heartbeat_rest() -> [(&'static str, &'static str); 3] {
    [
        ("emit.heartbeats.enabled", "true"),
        ("emit.heartbeats.interval.seconds", "5"),
        ("heartbeats.topic.replication.factor", "-1"),
    ]
}

// proves reverse heartbeats (default) swap aliases and write to the SOURCE cluster (§6.3)
#[test]
fn heartbeat_reverse() {
    let d = desired(&inputs(vec![a(true)], b(true), MirrorConfig::default())).unwrap();
    let h = &d[2];
    assert_eq!(h.name, format!("mirror_heartbeat_kafka-a_r7_{HEX}"));
    let want = map(
        vec![
            common(HEARTBEAT_CLASS, "1", "kafka-b", "kafka-a", DEFAULT_POLICY),
            conn(
                "target.cluster.",
                "a1:9093,a2:9093",
                "mm2-src",
                "pw-a",
                Some(A_PEM),
            ),
            conn(
                "producer.override.",
                "a1:9093,a2:9093",
                "mm2-src",
                "pw-a",
                Some(A_PEM),
            ),
        ],
        &heartbeat_rest(),
    );
    assert_config(&h.config, &want);
}

// proves forward heartbeats keep the flow's aliases and write to the TARGET cluster
#[test]
fn heartbeat_forward() {
    let cfg = MirrorConfig {
        heartbeats: Heartbeats::Forward,
        ..Default::default()
    };
    let d = desired(&inputs(vec![a(false)], b(true), cfg)).unwrap();
    let want = map(
        vec![
            common(HEARTBEAT_CLASS, "1", "kafka-a", "kafka-b", DEFAULT_POLICY),
            conn("target.cluster.", "b1:9093", "mm2-tgt", "pw-b", Some(B_PEM)),
            conn(
                "producer.override.",
                "b1:9093",
                "mm2-tgt",
                "pw-b",
                Some(B_PEM),
            ),
        ],
        &heartbeat_rest(),
    );
    assert_config(&d[2].config, &want);
}

// proves the identity policy is rendered identically into all three connectors
#[test]
fn identity_policy_everywhere() {
    let cfg = MirrorConfig {
        replication_policy: ReplicationPolicy::Identity,
        ..Default::default()
    };
    let d = desired(&inputs(vec![a(true)], b(true), cfg)).unwrap();
    for c in &d {
        assert_eq!(
            c.config["replication.policy.class"],
            "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
        );
        assert_eq!(c.config["replication.policy.separator"], ".");
    }
}

// proves fan-in of two sources: 6 connectors, source→checkpoint→heartbeat order, each source's own credentials
#[test]
fn fan_in_two_sources() {
    let c = cluster("kafka-c", "c1:9092", false, "", "mm2-c", "pw-c");
    let d = desired(&inputs(vec![a(true), c], b(true), MirrorConfig::default())).unwrap();
    let names: Vec<_> = d.iter().map(|c| c.name.as_str()).collect();
    let n = |k: &str, s: &str| format!("mirror_{k}_{s}_r7_{HEX}");
    assert_eq!(
        names,
        vec![
            n("source", "kafka-a"),
            n("source", "kafka-c"),
            n("checkpoint", "kafka-a"),
            n("checkpoint", "kafka-c"),
            n("heartbeat", "kafka-a"),
            n("heartbeat", "kafka-c")
        ]
    );
    let src_c = &d[1].config;
    assert_eq!(src_c["source.cluster.alias"], "kafka-c");
    assert_eq!(src_c["source.cluster.bootstrap.servers"], "c1:9092");
    assert_eq!(src_c["source.cluster.security.protocol"], "SASL_PLAINTEXT");
    assert!(!src_c.contains_key("source.cluster.ssl.truststore.certificates"));
    assert_eq!(src_c["producer.override.bootstrap.servers"], "b1:9093");
    assert_eq!(d[5].config["target.cluster.bootstrap.servers"], "c1:9092");
    assert_eq!(d[5].config["source.cluster.alias"], "kafka-b");
}

// proves connectors are dropped by option: no checkpoint with emit-checkpoints=false, no heartbeat with off
#[test]
fn optional_connectors() {
    let cfg = MirrorConfig::from_config_get(
        json!({"emit-checkpoints": false, "sync-group-offsets": false, "heartbeats": "off"})
            .as_object()
            .unwrap(),
    )
    .unwrap();
    let d = desired(&inputs(vec![a(true)], b(true), cfg)).unwrap();
    assert_eq!(
        d.iter().map(|c| c.kind).collect::<Vec<_>>(),
        vec![ConnectorKind::Source]
    );
    assert!(desired(&inputs(vec![], b(true), MirrorConfig::default()))
        .unwrap()
        .is_empty());
}

// proves a password with ", \, ; and unicode is JAAS-quoted then JSON-escaped, and survives the round trip
#[test]
fn password_escaping() {
    let pw = "p\"a\\s;s w\u{f6}rd\u{1f511}";
    let mut src = a(true);
    src.password = Secret::new(pw);
    let d = desired(&inputs(vec![src], b(true), MirrorConfig::default())).unwrap();
    let jaas = &d[0].config["source.cluster.sasl.jaas.config"];
    assert_eq!(
        jaas,
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"mm2-src\" password=\"p\\\"a\\\\s;s w\u{f6}rd\u{1f511}\";"
    );
    // As sent on the wire (JSON): each JAAS backslash is doubled again.
    let wire = serde_json::to_string(&d[0].config).unwrap();
    assert!(wire.contains(r#"password=\"p\\\"a\\\\s;s w"#), "{wire}");
    let mut bad = a(true);
    bad.password = Secret::new("line\nbreak");
    let e = desired(&inputs(vec![bad], b(true), MirrorConfig::default()))
        .unwrap_err()
        .to_string();
    assert_eq!(e, "invalid source relation data: the password from 'kafka-a' is empty or has control characters");
}

// proves extra-*-config keys are merged into their own connector only
#[test]
fn extras_merged() {
    let cfg = MirrorConfig::from_config_get(
        json!({"extra-source-config": "{\"offset.lag.max\": 50}", "extra-heartbeat-config": "{\"admin.timeout.ms\": \"30000\"}"})
            .as_object()
            .unwrap(),
    )
    .unwrap();
    let d = desired(&inputs(vec![a(true)], b(true), cfg)).unwrap();
    assert_eq!(d[0].config["offset.lag.max"], "50");
    assert!(!d[1].config.contains_key("offset.lag.max"));
    assert_eq!(d[2].config["admin.timeout.ms"], "30000");
}

// proves bad relation inputs are rejected with the relation named and no secret shown
#[test]
fn input_errors() {
    let cfg = MirrorConfig {
        replication_separator: "-".into(),
        ..Default::default()
    };
    let e = desired(&inputs(vec![a(true)], b(true), cfg)).unwrap_err();
    assert_eq!(e.subject(), "replication-separator");
    assert!(
        e.to_string()
            .contains("'-' appears in the target alias 'kafka-b'"),
        "{e}"
    );

    let e = desired(&inputs(
        vec![a(true), a(false)],
        b(true),
        MirrorConfig::default(),
    ))
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("two source relations use the alias 'kafka-a'"),
        "{e}"
    );

    let e = desired(&inputs(vec![b(true)], b(true), MirrorConfig::default())).unwrap_err();
    assert!(e.to_string().contains("is also the target"), "{e}");

    let mut i = inputs(vec![a(true)], b(true), MirrorConfig::default());
    i.model_uuid = "nope".into();
    assert_eq!(desired(&i).unwrap_err().subject(), "model");

    let mut bad = a(true);
    bad.bootstrap = "a1".into();
    let e = desired(&inputs(vec![bad], b(true), MirrorConfig::default()))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid source relation data: endpoints of 'kafka-a' are not a list of host:port: \
         item 1 ('a1') has no port; write host:port"
    );

    let mut bad = a(true);
    bad.alias = "Kafka_A".into();
    assert!(desired(&inputs(vec![bad], b(true), MirrorConfig::default())).is_err());
}

// proves Debug of a desired connector never shows passwords or PEM
#[test]
fn debug_masks_secrets() {
    let d = desired(&inputs(vec![a(true)], b(true), MirrorConfig::default())).unwrap();
    let dbg = format!("{d:?}");
    for secret in ["pw-a", "pw-b", "AAAA", "BBBB"] {
        assert!(!dbg.contains(secret), "{secret} leaked: {dbg}");
    }
    assert!(dbg.contains("tasks.max"));
}

// proves names parse back to their kind, and only mirror_ names have one
#[test]
fn kind_from_name() {
    assert_eq!(
        ConnectorKind::from_name(&format!("mirror_checkpoint_kafka-a_r7_{HEX}")),
        Some(ConnectorKind::Checkpoint)
    );
    assert_eq!(ConnectorKind::from_name("other_source_x"), None);
    assert_eq!(
        model_uuid_hex("0123ABCD-4567-89ef-0123-456789abcdef").unwrap(),
        HEX
    );
}

// proves no rendered connector carries a deprecated key (§4.8) or an unprefixed security key (§4.1)
#[test]
fn no_deprecated_or_unprefixed_security_keys() {
    let c = cluster("kafka-c", "c1:9092", false, "", "mm2-c", "pw-c");
    let d = desired(&inputs(vec![a(true), c], b(true), MirrorConfig::default())).unwrap();
    for conn in &d {
        for key in conn.config.keys() {
            assert!(
                !matches!(
                    key.as_str(),
                    "topics.blacklist"
                        | "groups.blacklist"
                        | "config.properties.blacklist"
                        | "use.incremental.alter.configs"
                        | "add.source.alias.to.metrics"
                        | "auto.include.jmx.reporter"
                        | "security.protocol"
                        | "sasl.jaas.config"
                        | "sasl.mechanism"
                ),
                "{} has '{key}'",
                conn.name
            );
            assert!(!key.starts_with("ssl."), "{} has '{key}'", conn.name);
        }
    }
}

// proves Inputs::secrets lists every cluster password for the client's redaction
#[test]
fn inputs_list_their_secrets() {
    let i = inputs(vec![a(true)], b(true), MirrorConfig::default());
    let s: Vec<_> = i.secrets().iter().map(|s| s.expose().to_string()).collect();
    assert_eq!(s, vec!["pw-a", "pw-b"]);
}

// proves identity naming is refused for fan-in (same-named topics of two sources would merge)
#[test]
fn identity_refused_for_fan_in() {
    let cfg = MirrorConfig {
        replication_policy: ReplicationPolicy::Identity,
        ..Default::default()
    };
    let c = cluster("kafka-c", "c1:9092", false, "", "mm2-c", "pw-c");
    let e = desired(&inputs(vec![a(true), c], b(true), cfg)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid config 'replication-policy': 'identity' keeps topic names, so the topics of the 2 source \
         relations would be merged on the target; use 'default' or relate a single source"
    );
}

// proves the renderer itself (whoever filled the inputs) refuses relation values holding a
// config-provider placeholder, naming the field and never quoting the value, and user info in
// a bootstrap item, never showing the password
#[test]
fn placeholders_and_user_info_refused_at_render() {
    let render = |c: Cluster| {
        desired(&inputs(vec![c], b(true), MirrorConfig::default()))
            .unwrap_err()
            .to_string()
    };
    let mut bad = a(true);
    bad.username = "${env:USER}".into();
    assert_eq!(
        render(bad),
        "invalid source relation data: the username from 'kafka-a' contains '${', a Kafka Connect \
         config-provider placeholder"
    );
    let mut bad = a(true);
    bad.password = Secret::new("pw${file:/etc/passwd:x}");
    let e = render(bad);
    assert!(
        e.contains("the password from 'kafka-a' contains '${'"),
        "{e}"
    );
    assert!(!e.contains("passwd"), "{e}");
    let mut bad = a(true);
    bad.ca_pem = Some("${file:/ca.pem:pem}".into());
    assert!(render(bad).contains("the CA from 'kafka-a'"));
    let mut bad = a(true);
    bad.bootstrap = "mm:s3cret@a1:9093".into();
    let e = render(bad);
    assert!(
        e.contains("('<redacted>@a1:9093') carries user info"),
        "{e}"
    );
    assert!(!e.contains("s3cret"), "{e}");
}
