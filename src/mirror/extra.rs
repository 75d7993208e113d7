//! The guarded escape hatch: `extra-source-config`, `extra-checkpoint-config`,
//! `extra-heartbeat-config`.
//!
//! Pure. Format (chosen because Juju string options are single values and JSON is
//! unambiguous about quoting): a JSON object whose values are strings, numbers or booleans,
//! e.g. `{"offset.lag.max": 50, "consumer.max.poll.records": "1000"}`; an empty string means
//! no extra keys. The keys are merged over the rendered connector config, so they may tune
//! anything the charm does not own. Refused keys (with the reason in the error):
//! * identity: `name`, `connector.class`, `source.cluster.alias`, `target.cluster.alias`,
//!   `replication.policy.*`, `topics`, `topics.exclude`, `groups`, `groups.exclude`;
//! * security: anything containing `bootstrap.servers`, `security.protocol`, `sasl.`, `ssl.`,
//!   and every `source.cluster.*` / `target.cluster.*` key (those prefixes accept only
//!   connection and security keys, kafka-connect.md §4.1);
//! * record path: `producer.override.*`, `key.converter`, `value.converter`,
//!   `header.converter` (and their `.` sub-keys), `transforms*`, `predicates*`,
//!   `offset-syncs.topic.location`, `enabled`, `emit.offset-syncs.enabled`;
//! * keys a charm option already sets (the error names the option);
//! * deprecated keys (kafka-connect.md §4.8).

use super::MirrorError;
use serde_json::Value;
use std::collections::BTreeMap;

/// Which connector an extra-config option feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraFor {
    Source,
    Checkpoint,
    Heartbeat,
}

impl ExtraFor {
    pub fn option(self) -> &'static str {
        match self {
            ExtraFor::Source => "extra-source-config",
            ExtraFor::Checkpoint => "extra-checkpoint-config",
            ExtraFor::Heartbeat => "extra-heartbeat-config",
        }
    }
}

/// Parse and check one extra-config option.
pub fn parse_extra(which: ExtraFor, raw: &str) -> Result<BTreeMap<String, String>, MirrorError> {
    let option = which.option();
    if raw.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let obj: serde_json::Map<String, Value> = serde_json::from_str(raw).map_err(|e| {
        MirrorError::config(
            option,
            format!("is not a JSON object ({e}); write it like '{{\"offset.lag.max\": \"100\"}}'"),
        )
    })?;
    let mut out = BTreeMap::new();
    for (key, value) in obj {
        if let Some(why) = refusal(&key) {
            return Err(MirrorError::config(
                option,
                format!("key '{key}' cannot be set here: {why}; remove it"),
            ));
        }
        let value = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(MirrorError::config(
                    option,
                    format!("key '{key}' must have a string, number or boolean value"),
                ))
            }
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// Keys that make a connector what it is (names, classes, filters): the charm owns them.
const IDENTITY: &[&str] = &[
    "name",
    "connector.class",
    "source.cluster.alias",
    "target.cluster.alias",
    "topics",
    "topics.exclude",
    "groups",
    "groups.exclude",
];

/// Keys (and their sub-keys) that change where or how records are written.
const RECORD_PATH: &[&str] = &[
    "key.converter",
    "value.converter",
    "header.converter",
    "offset-syncs.topic.location",
    "enabled",
    "emit.offset-syncs.enabled",
    "transforms",
    "predicates",
];

/// Keys that have a charm option of their own.
const BY_OPTION: &[(&str, &str)] = &[
    ("tasks.max", "tasks-max or checkpoint-tasks-max"),
    ("replication.factor", "replication-factor"),
    (
        "offset-syncs.topic.replication.factor",
        "replication-factor",
    ),
    ("checkpoints.topic.replication.factor", "replication-factor"),
    ("heartbeats.topic.replication.factor", "replication-factor"),
    ("refresh.topics.interval.seconds", "refresh-topics-interval"),
    ("sync.topic.configs.enabled", "sync-topic-configs"),
    (
        "sync.topic.configs.interval.seconds",
        "sync-topic-configs-interval",
    ),
    ("sync.topic.acls.enabled", "sync-topic-acls"),
    (
        "sync.topic.acls.interval.seconds",
        "sync-topic-acls-interval",
    ),
    ("refresh.groups.interval.seconds", "refresh-groups-interval"),
    ("emit.checkpoints.enabled", "emit-checkpoints"),
    (
        "emit.checkpoints.interval.seconds",
        "emit-checkpoints-interval",
    ),
    ("sync.group.offsets.enabled", "sync-group-offsets"),
    (
        "sync.group.offsets.interval.seconds",
        "sync-group-offsets-interval",
    ),
    (
        "emit.heartbeats.interval.seconds",
        "emit-heartbeats-interval",
    ),
    ("source.consumer.auto.offset.reset", "start-position"),
];

/// Keys MirrorMaker deprecated and Kafka 4.0 removed.
const DEPRECATED: &[&str] = &[
    "topics.blacklist",
    "groups.blacklist",
    "config.properties.blacklist",
    "use.incremental.alter.configs",
    "add.source.alias.to.metrics",
    "auto.include.jmx.reporter",
];

/// Why `key` is refused, or None when it may be set.
pub fn refusal(key: &str) -> Option<String> {
    let k = key.trim().to_ascii_lowercase();
    if IDENTITY.contains(&k.as_str()) || k.starts_with("replication.policy.") {
        return Some(
            "it is part of the connector's identity or filters, which the charm owns".into(),
        );
    }
    if k.contains("bootstrap.servers")
        || k.contains("security.protocol")
        || k.contains("sasl.")
        || k.contains("ssl.")
        || k.starts_with("source.cluster.")
        || k.starts_with("target.cluster.")
    {
        return Some("the charm sets cluster connections and security from the relations".into());
    }
    if k.starts_with("producer.override.")
        || RECORD_PATH
            .iter()
            .any(|p| k == *p || k.starts_with(&format!("{p}.")))
    {
        return Some(
            "it changes where or how records are written, which the charm must control".into(),
        );
    }
    if let Some((_, opt)) = BY_OPTION.iter().find(|(key, _)| *key == k) {
        return Some(format!("use the option '{opt}' instead"));
    }
    if DEPRECATED.contains(&k.as_str()) {
        return Some("it is deprecated and removed in Kafka 4.0".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // proves allowed keys are parsed, with numbers and booleans turned into strings
    #[test]
    fn parses_allowed_keys() {
        let m = parse_extra(ExtraFor::Source, r#"{"offset.lag.max": 50, "refresh.topics.enabled": true, "consumer.max.poll.records": "1000"}"#).unwrap();
        assert_eq!(m["offset.lag.max"], "50");
        assert_eq!(m["refresh.topics.enabled"], "true");
        assert_eq!(m["consumer.max.poll.records"], "1000");
        assert!(parse_extra(ExtraFor::Source, "  ").unwrap().is_empty());
    }

    // proves every key family that would break identity, security or the record path is refused
    #[test]
    fn refuses_dangerous_keys() {
        for key in [
            "name",
            "connector.class",
            "source.cluster.alias",
            "target.cluster.alias",
            "replication.policy.class",
            "replication.policy.separator",
            "source.cluster.bootstrap.servers",
            "producer.override.bootstrap.servers",
            "producer.override.max.request.size",
            "consumer.security.protocol",
            "source.cluster.security.protocol",
            "target.cluster.sasl.jaas.config",
            "admin.sasl.mechanism",
            "source.consumer.ssl.truststore.location",
            "key.converter",
            "value.converter",
            "header.converter",
            "value.converter.schemas.enable",
            "offset-syncs.topic.location",
            "topics",
            "groups",
            "topics.exclude",
            "groups.exclude",
            "transforms",
            "tasks.max",
            "topics.blacklist",
            "Name",
        ] {
            assert!(refusal(key).is_some(), "{key} should be refused");
        }
        let e = parse_extra(
            ExtraFor::Checkpoint,
            r#"{"producer.override.bootstrap.servers": "evil:9092"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid config 'extra-checkpoint-config': key 'producer.override.bootstrap.servers' cannot be set here: \
             the charm sets cluster connections and security from the relations; remove it"
        );
        let e = parse_extra(ExtraFor::Source, r#"{"tasks.max": 3}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("use the option 'tasks-max or checkpoint-tasks-max' instead"),
            "{e}"
        );
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
        assert!(parse_extra(ExtraFor::Heartbeat, r#"{"a": [1]}"#).is_err());
        assert!(parse_extra(ExtraFor::Heartbeat, r#"{"a": null}"#).is_err());
    }
}
