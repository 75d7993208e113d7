//! The extra-config allow-list: what passes, what is refused and why.

use super::*;

// proves allowed keys are parsed, with numbers and booleans turned into strings and string
// values trimmed (Kafka trims them too, so whitespace never causes a rewrite)
#[test]
fn parses_allowed_keys() {
    let m = parse_extra(
        ExtraFor::Source,
        r#"{"offset.lag.max": 50, "refresh.topics.enabled": true, "consumer.max.poll.records": " 1000 ",
            "producer.override.max.request.size": "2097152", "target.admin.request.timeout.ms": 40000}"#,
    )
    .unwrap();
    assert_eq!(m["offset.lag.max"], "50");
    assert_eq!(m["refresh.topics.enabled"], "true");
    assert_eq!(m["consumer.max.poll.records"], "1000");
    assert_eq!(m["producer.override.max.request.size"], "2097152");
    assert_eq!(m["target.admin.request.timeout.ms"], "40000");
    assert!(parse_extra(ExtraFor::Source, "  ").unwrap().is_empty());
}

// proves one key of every family is allowed on every connector it names, and a key is
// refused on a connector no family names it for
#[test]
fn every_family_allows_its_keys_on_its_connectors() {
    for f in ALLOWED {
        for which in [ExtraFor::Source, ExtraFor::Checkpoint, ExtraFor::Heartbeat] {
            let key = format!("{}{}", f.prefixes[0], f.keys[0]);
            let on = f.connectors.contains(&which);
            if on {
                assert_eq!(refusal(which, &key), None, "{key} on {which:?}");
                assert!(allowed(which, &key).is_some(), "{key} on {which:?}");
            }
        }
    }
    assert_eq!(
        refusal(ExtraFor::Heartbeat, "offset.lag.max").unwrap(),
        "it does not apply to the heartbeat connector"
    );
}

// proves the keys issue 14 names, and every other family of hazard, are refused with the
// reason that fits, on every connector
#[test]
fn refuses_hazards_with_their_reason() {
    let class = "it loads a Java class into Kafka Connect's workers";
    let delivery = "it changes how or whether records are delivered, which the charm must control";
    let security = "the charm sets cluster connections and security from the relations";
    let owned = "it is part of the connector's identity or filters, which the charm owns";
    let cases: &[(&str, &str)] = &[
        ("config.providers", class),
        ("config.providers.file.class", class),
        ("config.providers.env.param.x", class),
        ("topic.filter.class", class),
        ("group.filter.class", class),
        ("forwarding.admin.class", class),
        ("config.property.filter.class", class),
        ("security.providers", class),
        ("consumer.interceptor.classes", class),
        ("producer.override.interceptor.classes", class),
        ("source.producer.interceptor.classes", class),
        ("metric.reporters", class),
        ("admin.metric.reporters", class),
        ("consumer.key.deserializer", class),
        ("producer.override.partitioner.class", class),
        ("offsets.storage.topic", delivery),
        ("exactly.once.support", delivery),
        ("transaction.boundary", delivery),
        ("transaction.boundary.interval.ms", delivery),
        ("target.producer.acks", delivery),
        ("producer.override.acks", delivery),
        ("producer.acks", delivery),
        ("producer.override.enable.idempotence", delivery),
        (
            "producer.override.max.in.flight.requests.per.connection",
            delivery,
        ),
        ("producer.override.retries", delivery),
        ("producer.override.delivery.timeout.ms", delivery),
        ("source.consumer.isolation.level", delivery),
        ("consumer.isolation.level", delivery),
        ("consumer.check.crcs", delivery),
        ("consumer.auto.offset.reset", delivery),
        ("errors.tolerance", delivery),
        ("enabled", delivery),
        ("emit.offset-syncs.enabled", delivery),
        ("offset-syncs.topic.location", delivery),
        ("key.converter", delivery),
        ("value.converter.schemas.enable", delivery),
        ("transforms", delivery),
        ("transforms.x.type", delivery),
        ("predicates", delivery),
        ("topic.creation.default.partitions", delivery),
        ("config.properties.exclude", delivery),
        ("source.cluster.bootstrap.servers", security),
        ("producer.override.bootstrap.servers", security),
        ("consumer.security.protocol", security),
        ("target.cluster.sasl.jaas.config", security),
        ("admin.sasl.mechanism", security),
        ("source.consumer.ssl.truststore.location", security),
        ("source.cluster.request.timeout.ms", security),
        ("admin.bootstrap.controllers", security),
        ("name", owned),
        ("Name", owned),
        ("connector.class", owned),
        ("source.cluster.alias", owned),
        ("target.cluster.alias", owned),
        ("replication.policy.class", owned),
        ("replication.policy.separator", owned),
        ("replication.policy.internal.topic.separator.enabled", owned),
        ("topics", owned),
        ("groups.exclude", owned),
    ];
    for (key, why) in cases {
        for which in [ExtraFor::Source, ExtraFor::Checkpoint, ExtraFor::Heartbeat] {
            assert_eq!(refusal(which, key).as_deref(), Some(*why), "{key}");
        }
    }
    assert_eq!(
        refusal(ExtraFor::Source, "tasks.max").unwrap(),
        "use the option 'tasks-max or checkpoint-tasks-max' instead"
    );
    assert_eq!(
        refusal(ExtraFor::Heartbeat, "emit.heartbeats.enabled").unwrap(),
        "use the option 'heartbeats' instead"
    );
    assert_eq!(
        refusal(ExtraFor::Source, "topics.blacklist").unwrap(),
        "it is deprecated and removed in Kafka 4.0"
    );
    for unknown in [
        "client.id",
        "consumer.client.id",
        "config.action.reload",
        "errors.log.include.messages",
        "tasks.max.enforce",
        " offset.lag.max",
        "OFFSET.LAG.MAX",
        "use.defaults.from",
    ] {
        assert_eq!(
            refusal(ExtraFor::Source, unknown).unwrap(),
            "it is not one of the tuning keys the charm allows (README, 'extra-*-config')",
            "{unknown}"
        );
    }
}

// proves a refusal is a whole operator-facing message naming the option and the key
#[test]
fn refusal_message_names_option_and_key() {
    let e = parse_extra(
        ExtraFor::Source,
        r#"{"offset.lag.max": 10, "target.producer.acks": "0"}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid config 'extra-source-config': key 'target.producer.acks' cannot be set here: \
         it changes how or whether records are delivered, which the charm must control; remove it"
    );
    let e = parse_extra(ExtraFor::Checkpoint, r#"{"a\u001b[2Jb": 1}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("key 'a\\u{1b}[2Jb'"), "{e}");
}

// proves values are checked: a config-provider placeholder, an empty value and control
// characters are refused naming the key, never quoting the value
#[test]
fn refuses_bad_values() {
    let e = parse_extra(
        ExtraFor::Source,
        r#"{"consumer.client.rack": "${file:/etc/secret.properties:pw}"}"#,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "invalid config 'extra-source-config': 'consumer.client.rack' contains '${' (config providers would expand it)"
    );
    for raw in [
        r#"{"offset.lag.max": " "}"#,
        r#"{"offset.lag.max": "1\n2"}"#,
    ] {
        let e = parse_extra(ExtraFor::Source, raw).unwrap_err().to_string();
        assert!(
            e.ends_with("'offset.lag.max' is empty or has control characters"),
            "{e}"
        );
    }
}

// proves malformed values give an actionable message
#[test]
fn rejects_non_objects() {
    let e = parse_extra(ExtraFor::Heartbeat, "a=b")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid config 'extra-heartbeat-config': is not a JSON object ("),
        "{e}"
    );
    assert!(parse_extra(ExtraFor::Heartbeat, r#"{"admin.timeout.ms": [1]}"#).is_err());
    assert!(parse_extra(ExtraFor::Heartbeat, r#"{"admin.timeout.ms": null}"#).is_err());
}

// proves the README lists every allowed key under every prefix family, so the documented
// list and the code cannot drift
#[test]
fn readme_lists_every_allowed_key() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("### What `extra-*-config` may set")
        .nth(1)
        .expect("README has the extra-*-config section");
    for f in ALLOWED {
        assert!(section.contains(f.name), "README lacks family '{}'", f.name);
        for k in f
            .keys
            .iter()
            .chain(f.prefixes.iter().filter(|p| !p.is_empty()))
        {
            assert!(section.contains(&format!("`{k}`")), "README lacks `{k}`");
        }
    }
}
