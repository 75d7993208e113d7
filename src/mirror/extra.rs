//! The guarded escape hatch: `extra-source-config`, `extra-checkpoint-config`,
//! `extra-heartbeat-config`.
//!
//! Pure. Format (chosen because Juju string options are single values and JSON is
//! unambiguous about quoting): a JSON object whose values are strings, numbers or booleans,
//! e.g. `{"offset.lag.max": 50, "consumer.max.poll.records": "1000"}`; an empty string means
//! no extra keys. The keys are merged over the rendered connector config.
//!
//! An **allow-list** ([`ALLOWED`]): only documented MirrorMaker and Kafka client tuning keys,
//! by family, each with the reason it is safe (kafka-connect.md §4.1–§4.5; client key names as
//! in kafka-clients 3.9.1). Everything else is refused with a message naming the key and, when
//! the key is a known hazard, why: it loads a class, it touches what the charm owns (names,
//! filters, clusters, credentials, the record path), it weakens delivery, or a charm option
//! sets it. Values must not hold `${` (a worker with config providers would expand it).

use super::values::has_placeholder;
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

    fn connector(self) -> &'static str {
        match self {
            ExtraFor::Source => "source",
            ExtraFor::Checkpoint => "checkpoint",
            ExtraFor::Heartbeat => "heartbeat",
        }
    }
}

/// A family of allowed keys: every `<prefix><key>`, on the connectors listed.
#[derive(Debug)]
pub struct Family {
    pub name: &'static str,
    pub prefixes: &'static [&'static str],
    pub keys: &'static [&'static str],
    pub connectors: &'static [ExtraFor],
    /// Why setting these cannot hurt what the charm guarantees.
    pub why: &'static str,
}

use ExtraFor::{Checkpoint, Heartbeat, Source};
const ALL: &[ExtraFor] = &[Source, Checkpoint, Heartbeat];

/// Every MirrorMaker client prefix (kafka-connect.md §4.1) plus Connect's per-connector
/// override of the worker producer that writes the records (§4.11).
const CLIENT_PREFIXES: &[&str] = &[
    "consumer.",
    "producer.",
    "admin.",
    "source.consumer.",
    "source.producer.",
    "source.admin.",
    "target.consumer.",
    "target.producer.",
    "target.admin.",
    "producer.override.",
];

/// What `extra-*-config` may set. The README lists the same families (a test keeps them in step).
pub const ALLOWED: &[Family] = &[
    Family {
        name: "source connector pacing",
        prefixes: &[""],
        keys: &[
            "offset.lag.max",
            "consumer.poll.timeout.ms",
            "refresh.topics.enabled",
        ],
        connectors: &[Source],
        why: "how often MirrorSourceConnector polls, rescans the source and emits offset syncs \
              (§4.3); none names a cluster, loads a class or skips a record",
    },
    Family {
        name: "checkpoint connector pacing",
        prefixes: &[""],
        keys: &["consumer.poll.timeout.ms", "refresh.groups.enabled"],
        connectors: &[Checkpoint],
        why: "how often MirrorCheckpointConnector polls and rescans consumer groups (§4.4)",
    },
    Family {
        name: "admin step timeout",
        prefixes: &[""],
        keys: &["admin.timeout.ms"],
        connectors: ALL,
        why: "how long one admin step (topic listing, creation, ACL sync) may take (§4.2)",
    },
    Family {
        name: "Connect retries",
        prefixes: &[""],
        keys: &[
            "errors.retry.timeout",
            "errors.retry.delay.max.ms",
            "errors.log.enable",
        ],
        connectors: ALL,
        why: "how long Kafka Connect retries a failed operation and whether it logs it; \
              errors.tolerance stays 'none', so a record that still fails stops the task \
              instead of being skipped",
    },
    Family {
        name: "client timeouts, backoffs and buffers",
        prefixes: CLIENT_PREFIXES,
        keys: &[
            "request.timeout.ms",
            "metadata.max.age.ms",
            "connections.max.idle.ms",
            "reconnect.backoff.ms",
            "reconnect.backoff.max.ms",
            "retry.backoff.ms",
            "retry.backoff.max.ms",
            "socket.connection.setup.timeout.ms",
            "socket.connection.setup.timeout.max.ms",
            "send.buffer.bytes",
            "receive.buffer.bytes",
        ],
        connectors: ALL,
        why: "how fast MirrorMaker's Kafka clients notice and retry a failure; never which \
              cluster they reach, as whom, or what they deliver",
    },
    Family {
        name: "consumer fetch sizes",
        prefixes: &["consumer.", "source.consumer.", "target.consumer."],
        keys: &[
            "max.poll.records",
            "fetch.min.bytes",
            "fetch.max.bytes",
            "fetch.max.wait.ms",
            "max.partition.fetch.bytes",
            "default.api.timeout.ms",
            "client.rack",
        ],
        connectors: &[Source, Checkpoint],
        why: "batch sizes and waits of the consumers (client.rack fetches from the nearest \
              replica); isolation level, offset reset, commits and deserializers stay as set",
    },
    Family {
        name: "producer batching",
        prefixes: &[
            "producer.",
            "source.producer.",
            "target.producer.",
            "producer.override.",
        ],
        keys: &[
            "batch.size",
            "linger.ms",
            "compression.type",
            "max.request.size",
            "buffer.memory",
        ],
        connectors: ALL,
        why: "how the producers batch and compress (producer.override.max.request.size is the \
              remedy for RecordTooLargeException, §4.13); acks, retries, idempotence, in-flight \
              requests and the delivery timeout stay as Kafka Connect sets them",
    },
];

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
        if let Some(why) = refusal(which, &key) {
            return Err(MirrorError::config(
                option,
                format!(
                    "key '{}' cannot be set here: {why}; remove it",
                    shown_key(&key)
                ),
            ));
        }
        let bad = |why: &str| MirrorError::config(option, format!("'{key}' {why}"));
        let value = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(bad("must be a string, number or boolean")),
        };
        if has_placeholder(&value) {
            return Err(bad("contains '${' (config providers would expand it)"));
        }
        if value.is_empty() || value.chars().any(char::is_control) {
            return Err(bad("is empty or has control characters"));
        }
        out.insert(key, value);
    }
    Ok(out)
}

/// A key as it may appear in a message: bounded, control characters escaped.
fn shown_key(key: &str) -> String {
    key.chars()
        .take(100)
        .collect::<String>()
        .escape_debug()
        .to_string()
}

/// The family that allows `key` on `which`, if any.
pub fn allowed(which: ExtraFor, key: &str) -> Option<&'static Family> {
    ALLOWED.iter().find(|f| {
        f.connectors.contains(&which)
            && f.prefixes.iter().any(|p| {
                key.strip_prefix(p)
                    .is_some_and(|rest| f.keys.contains(&rest))
            })
    })
}

/// Why `key` may not be set on `which`, or None when an allowed family covers it.
pub fn refusal(which: ExtraFor, key: &str) -> Option<String> {
    if allowed(which, key).is_some() {
        return None;
    }
    if let Some(why) = hazard(key) {
        return Some(why);
    }
    if ALL.iter().any(|other| allowed(*other, key).is_some()) {
        return Some(format!(
            "it does not apply to the {} connector",
            which.connector()
        ));
    }
    Some("it is not one of the tuning keys the charm allows (README, 'extra-*-config')".into())
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

/// Keys (and their sub-keys) that decide how or whether records are written or read.
const DELIVERY: &[&str] = &[
    "key.converter",
    "value.converter",
    "header.converter",
    "transforms",
    "predicates",
    "offset-syncs.topic.location",
    "enabled",
    "emit.offset-syncs.enabled",
    "errors.tolerance",
    "exactly.once.support",
    "transaction.boundary",
    "transaction.boundary.interval.ms",
    "offsets.storage.topic",
    "topic.creation",
    "config.properties.exclude",
];

/// Client keys that weaken delivery or take over what MirrorMaker or the charm sets, under
/// any client prefix.
const CLIENT_DELIVERY: &[&str] = &[
    "acks",
    "retries",
    "enable.idempotence",
    "max.in.flight.requests.per.connection",
    "delivery.timeout.ms",
    "max.block.ms",
    "transactional.id",
    "transaction.timeout.ms",
    "isolation.level",
    "auto.offset.reset",
    "enable.auto.commit",
    "check.crcs",
    "group.id",
    "group.instance.id",
    "allow.auto.create.topics",
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
    ("emit.heartbeats.enabled", "heartbeats"),
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

/// The reason a known hazard is refused (the generic refusal covers the rest).
fn hazard(key: &str) -> Option<String> {
    let k = key.trim().to_ascii_lowercase();
    let is_or_under = |p: &str| k == p || k.starts_with(&format!("{p}."));
    let ends_as = |s: &str| k == s || k.ends_with(&format!(".{s}"));
    if let Some((_, opt)) = BY_OPTION.iter().find(|(key, _)| *key == k) {
        return Some(format!("use the option '{opt}' instead"));
    }
    if IDENTITY.contains(&k.as_str()) || k.starts_with("replication.policy.") {
        return Some(
            "it is part of the connector's identity or filters, which the charm owns".into(),
        );
    }
    if k.ends_with(".class")
        || k.ends_with(".classes")
        || k.contains("config.providers")
        || k.contains("security.providers")
        || k.contains("metric.reporters")
        || k.ends_with("serializer")
        || k.ends_with("partition.assignment.strategy")
    {
        return Some("it loads a Java class into Kafka Connect's workers".into());
    }
    if k.contains("bootstrap.")
        || k.contains("security.protocol")
        || k.contains("sasl.")
        || k.contains("ssl.")
        || k.starts_with("source.cluster.")
        || k.starts_with("target.cluster.")
    {
        return Some("the charm sets cluster connections and security from the relations".into());
    }
    if DELIVERY.iter().any(|p| is_or_under(p)) || CLIENT_DELIVERY.iter().any(|s| ends_as(s)) {
        return Some(
            "it changes how or whether records are delivered, which the charm must control".into(),
        );
    }
    if DEPRECATED.contains(&k.as_str()) {
        return Some("it is deprecated and removed in Kafka 4.0".into());
    }
    None
}

#[cfg(test)]
#[path = "extra_tests.rs"]
mod tests;
