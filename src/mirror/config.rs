//! Charm options → [`MirrorConfig`].
//!
//! Pure. Input is the JSON object printed by `config-get --format=json`: strings are JSON
//! strings, `int` options JSON numbers, `boolean` options JSON bools, and an option with
//! neither value nor default is absent (then the default here applies). Unknown keys are
//! ignored. Defaults are the recommended configs of kafka-connect.md §6; config.yaml declares
//! the same defaults, and a test keeps the two in step.

use super::extra::{parse_extra, ExtraFor};
use super::javaregex::check_list;
use super::values::has_placeholder;
use super::MirrorError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How remote topics are named on the target (kafka-connect.md §4.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicationPolicy {
    /// `<source alias><separator><topic>`; cycles are detected. The default.
    Default,
    /// Remote topic keeps the source name; one-way only, no cycle detection.
    Identity,
}

impl ReplicationPolicy {
    pub fn class(self) -> &'static str {
        match self {
            ReplicationPolicy::Default => {
                "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
            }
            ReplicationPolicy::Identity => {
                "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
            }
        }
    }
}

/// Where heartbeats are written (kafka-connect.md §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeats {
    /// Aliases swapped; writes `heartbeats` into the *source* cluster, which the source
    /// connector then replicates as `<alias>.heartbeats` (end-to-end health). The default.
    Reverse,
    /// Aliases as the data flow; writes `heartbeats` into the target; source stays read-only.
    Forward,
    /// No heartbeat connector.
    Off,
}

/// Where the source consumer starts on partitions with no replicated offset yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartPosition {
    Earliest,
    Latest,
}

impl StartPosition {
    pub fn as_str(self) -> &'static str {
        match self {
            StartPosition::Earliest => "earliest",
            StartPosition::Latest => "latest",
        }
    }
}

/// Periods in seconds, each ≥ 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intervals {
    pub refresh_topics: u64,
    pub sync_topic_configs: u64,
    pub sync_topic_acls: u64,
    pub refresh_groups: u64,
    pub emit_checkpoints: u64,
    pub sync_group_offsets: u64,
    pub emit_heartbeats: u64,
}

/// Thresholds of the alert rules the charm publishes over `cos-agent` (src/cos). They only
/// shape the rules: no connector config depends on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertThresholds {
    /// `alert-latency-p99-ms`: p99 of replication-latency-ms over 10 minutes.
    pub latency_p99_ms: u64,
    /// `alert-record-age-ms`: the oldest record replicated in the last window.
    pub record_age_ms: u64,
    /// `alert-heartbeat-intervals`: heartbeat intervals with no heartbeat replicated.
    pub heartbeat_intervals: u64,
    /// `alert-checkpoint-intervals`: checkpoint intervals with no checkpoint written.
    pub checkpoint_intervals: u64,
    /// `alert-lag-records`: replication lag (records) above which growth alerts.
    pub lag_records: u64,
}

/// The validated charm configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorConfig {
    /// Checked entries joined with `, ` (see [`filters`]).
    pub topics: String,
    pub topics_exclude: String,
    pub groups: String,
    pub groups_exclude: String,
    pub replication_policy: ReplicationPolicy,
    pub replication_separator: String,
    /// Checkpoint connector exists iff this is true (Connect 3.9 rejects a checkpoint
    /// connector with checkpoints off, §4.4).
    pub emit_checkpoints: bool,
    /// Requires `emit_checkpoints`.
    pub sync_group_offsets: bool,
    pub sync_topic_configs: bool,
    pub sync_topic_acls: bool,
    pub heartbeats: Heartbeats,
    pub tasks_max: u32,
    pub checkpoint_tasks_max: u32,
    /// -1 = each broker's default.replication.factor; applies to every topic MM2 creates.
    pub replication_factor: i32,
    pub start_position: StartPosition,
    pub intervals: Intervals,
    pub extra_source: BTreeMap<String, String>,
    pub extra_checkpoint: BTreeMap<String, String>,
    pub extra_heartbeat: BTreeMap<String, String>,
    pub alerts: AlertThresholds,
}

/// Default option values, as declared in config.yaml.
pub mod defaults {
    pub const TOPICS: &str = ".*";
    pub const TOPICS_EXCLUDE: &str = ".*[\\-\\.]internal, .*\\.replica, __.*";
    pub const GROUPS: &str = ".*";
    pub const GROUPS_EXCLUDE: &str = "console-consumer-.*, connect-.*, __.*";
    pub const REPLICATION_POLICY: &str = "default";
    pub const REPLICATION_SEPARATOR: &str = ".";
    pub const HEARTBEATS: &str = "reverse";
    pub const START_POSITION: &str = "earliest";
    pub const TASKS_MAX: i64 = 4;
    pub const CHECKPOINT_TASKS_MAX: i64 = 1;
    pub const REPLICATION_FACTOR: i64 = -1;
    pub const REFRESH_TOPICS_INTERVAL: i64 = 60;
    pub const SYNC_TOPIC_CONFIGS_INTERVAL: i64 = 60;
    pub const SYNC_TOPIC_ACLS_INTERVAL: i64 = 60;
    pub const REFRESH_GROUPS_INTERVAL: i64 = 60;
    pub const EMIT_CHECKPOINTS_INTERVAL: i64 = 30;
    pub const SYNC_GROUP_OFFSETS_INTERVAL: i64 = 30;
    pub const EMIT_HEARTBEATS_INTERVAL: i64 = 5;
    pub const ALERT_LATENCY_P99_MS: i64 = 30_000;
    pub const ALERT_RECORD_AGE_MS: i64 = 600_000;
    pub const ALERT_HEARTBEAT_INTERVALS: i64 = 12;
    pub const ALERT_CHECKPOINT_INTERVALS: i64 = 10;
    pub const ALERT_LAG_RECORDS: i64 = 10_000;
}

impl Default for MirrorConfig {
    fn default() -> Self {
        MirrorConfig::from_config_get(&Map::new()).expect("defaults are valid")
    }
}

impl MirrorConfig {
    /// Parse and validate the `config-get --format=json` object.
    pub fn from_config_get(map: &Map<String, Value>) -> Result<MirrorConfig, MirrorError> {
        use defaults as d;
        let [topics, topics_exclude, groups, groups_exclude] = filters(map)?;

        let (replication_policy, replication_separator) = naming(map)?;

        let emit_checkpoints = boolean(map, "emit-checkpoints", true)?;
        let sync_group_offsets = boolean(map, "sync-group-offsets", true)?;
        if sync_group_offsets && !emit_checkpoints {
            return Err(MirrorError::config(
                "sync-group-offsets",
                "'true' needs checkpoints; set emit-checkpoints=true or sync-group-offsets=false",
            ));
        }
        let sync_topic_configs = boolean(map, "sync-topic-configs", true)?;
        let sync_topic_acls = boolean(map, "sync-topic-acls", true)?;
        let (heartbeats, start_position) = choices(map)?;
        let tasks_max = int(map, "tasks-max", d::TASKS_MAX, 1, 1000)? as u32;
        let checkpoint_tasks_max = int(
            map,
            "checkpoint-tasks-max",
            d::CHECKPOINT_TASKS_MAX,
            1,
            1000,
        )? as u32;
        let replication_factor =
            int(map, "replication-factor", d::REPLICATION_FACTOR, -1, 32767)? as i32;
        if replication_factor == 0 {
            return Err(MirrorError::config(
                "replication-factor",
                "'0' is not a replication factor; use -1 for the brokers' default or a value ≥ 1",
            ));
        }
        let intervals = intervals(map)?;
        let extra = |which: ExtraFor| parse_extra(which, &string(map, which.option(), "")?);
        let extra_source = extra(ExtraFor::Source)?;
        let extra_checkpoint = extra(ExtraFor::Checkpoint)?;
        let extra_heartbeat = extra(ExtraFor::Heartbeat)?;

        let alerts = alerts(map)?;
        Ok(MirrorConfig {
            topics,
            topics_exclude,
            groups,
            groups_exclude,
            replication_policy,
            replication_separator,
            emit_checkpoints,
            sync_group_offsets,
            sync_topic_configs,
            sync_topic_acls,
            heartbeats,
            tasks_max,
            checkpoint_tasks_max,
            replication_factor,
            start_position,
            intervals,
            extra_source,
            extra_checkpoint,
            extra_heartbeat,
            alerts,
        })
    }
}

/// The `heartbeats` and `start-position` options.
fn choices(map: &Map<String, Value>) -> Result<(Heartbeats, StartPosition), MirrorError> {
    use defaults as d;
    let heartbeats = match string(map, "heartbeats", d::HEARTBEATS)?.trim() {
        "reverse" => Heartbeats::Reverse,
        "forward" => Heartbeats::Forward,
        "off" => Heartbeats::Off,
        other => return Err(one_of("heartbeats", other, &["reverse", "forward", "off"])),
    };
    let start_position = match string(map, "start-position", d::START_POSITION)?.trim() {
        "earliest" => StartPosition::Earliest,
        "latest" => StartPosition::Latest,
        other => return Err(one_of("start-position", other, &["earliest", "latest"])),
    };
    Ok((heartbeats, start_position))
}

/// The connector keys Kafka parses as `LIST` (split on `\s*,\s*`, items trimmed) among those
/// the charm renders from list options.
const LIST_KEYS: [&str; 4] = ["topics", "topics.exclude", "groups", "groups.exclude"];

/// True when a stored and a desired value of connector key `key` mean the same to Kafka: for
/// the list keys, the same items in the same order whatever the spacing around the commas.
/// The planner compares with it, so a connector stored by an older charm as `a,b` is not
/// rewritten (and restarted) because this one renders `a, b`.
pub fn same_value(key: &str, stored: &str, desired: &str) -> bool {
    if stored == desired {
        return true;
    }
    let items = |v: &str| -> Vec<String> {
        let v = v.trim();
        if v.is_empty() {
            return Vec::new();
        }
        v.split(',').map(|i| i.trim().to_string()).collect()
    };
    LIST_KEYS.contains(&key) && items(stored) == items(desired)
}

/// `topics`, `topics-exclude`, `groups`, `groups-exclude`: checked Java regex lists,
/// normalised to `a, b` (Kafka splits lists on `\s*,\s*` and trims, so spacing around commas
/// never changes their meaning and must not change the rendered config, or a whitespace-only
/// `juju config` would rewrite and restart every connector).
fn filters(map: &Map<String, Value>) -> Result<[String; 4], MirrorError> {
    use defaults as d;
    let list = |key: &str, default: &str, empty_ok: bool| -> Result<String, MirrorError> {
        let value = string(map, key, default)?;
        if has_placeholder(&value) {
            return Err(MirrorError::config(
                key,
                "contains '${' (config providers would expand it)",
            ));
        }
        Ok(check_list(key, &value, empty_ok)?.join(", "))
    };
    Ok([
        list("topics", d::TOPICS, false)?,
        list("topics-exclude", d::TOPICS_EXCLUDE, true)?,
        list("groups", d::GROUPS, true)?,
        list("groups-exclude", d::GROUPS_EXCLUDE, true)?,
    ])
}

/// `replication-policy` and `replication-separator`: how remote topics are named.
fn naming(map: &Map<String, Value>) -> Result<(ReplicationPolicy, String), MirrorError> {
    use defaults as d;
    let replication_policy = match string(map, "replication-policy", d::REPLICATION_POLICY)?.trim()
    {
        "default" => ReplicationPolicy::Default,
        "identity" => ReplicationPolicy::Identity,
        other => {
            return Err(one_of(
                "replication-policy",
                other,
                &["default", "identity"],
            ))
        }
    };
    let replication_separator = string(map, "replication-separator", d::REPLICATION_SEPARATOR)?;
    if replication_separator.is_empty()
        || replication_separator.len() > 8
        || !replication_separator
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(MirrorError::config(
            "replication-separator",
            format!(
                "'{replication_separator}' must be 1 to 8 characters valid in a topic name \
                     (letters, digits, '.', '_' or '-'); the usual value is '.'"
            ),
        ));
    }
    Ok((replication_policy, replication_separator))
}

/// The `*-interval` options, in seconds (1 to 86 400 each).
fn intervals(map: &Map<String, Value>) -> Result<Intervals, MirrorError> {
    use defaults as d;
    let secs = |key: &str, default: i64| int(map, key, default, 1, 86_400).map(|v| v as u64);
    Ok(Intervals {
        refresh_topics: secs("refresh-topics-interval", d::REFRESH_TOPICS_INTERVAL)?,
        sync_topic_configs: secs(
            "sync-topic-configs-interval",
            d::SYNC_TOPIC_CONFIGS_INTERVAL,
        )?,
        sync_topic_acls: secs("sync-topic-acls-interval", d::SYNC_TOPIC_ACLS_INTERVAL)?,
        refresh_groups: secs("refresh-groups-interval", d::REFRESH_GROUPS_INTERVAL)?,
        emit_checkpoints: secs("emit-checkpoints-interval", d::EMIT_CHECKPOINTS_INTERVAL)?,
        sync_group_offsets: secs(
            "sync-group-offsets-interval",
            d::SYNC_GROUP_OFFSETS_INTERVAL,
        )?,
        emit_heartbeats: secs("emit-heartbeats-interval", d::EMIT_HEARTBEATS_INTERVAL)?,
    })
}

/// The `alert-*` options; ranges keep the rendered windows and thresholds meaningful.
fn alerts(map: &Map<String, Value>) -> Result<AlertThresholds, MirrorError> {
    use defaults as d;
    let n = |key: &str, default: i64, min: i64, max: i64| {
        int(map, key, default, min, max).map(|v| v as u64)
    };
    Ok(AlertThresholds {
        latency_p99_ms: n(
            "alert-latency-p99-ms",
            d::ALERT_LATENCY_P99_MS,
            1,
            86_400_000,
        )?,
        record_age_ms: n(
            "alert-record-age-ms",
            d::ALERT_RECORD_AGE_MS,
            1,
            604_800_000,
        )?,
        heartbeat_intervals: n(
            "alert-heartbeat-intervals",
            d::ALERT_HEARTBEAT_INTERVALS,
            2,
            10_000,
        )?,
        checkpoint_intervals: n(
            "alert-checkpoint-intervals",
            d::ALERT_CHECKPOINT_INTERVALS,
            2,
            10_000,
        )?,
        lag_records: n(
            "alert-lag-records",
            d::ALERT_LAG_RECORDS,
            1,
            1_000_000_000_000,
        )?,
    })
}

fn one_of(option: &str, value: &str, allowed: &[&str]) -> MirrorError {
    let list = allowed
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ");
    MirrorError::config(option, format!("'{value}' is not one of {list}"))
}

fn string(map: &Map<String, Value>, key: &str, default: &str) -> Result<String, MirrorError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(default.to_string()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(MirrorError::config(
            key,
            format!("expected a string, got '{other}'"),
        )),
    }
}

fn boolean(map: &Map<String, Value>, key: &str, default: bool) -> Result<bool, MirrorError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(Value::String(s)) => Err(MirrorError::config(
            key,
            format!("'{s}' is not 'true' or 'false'"),
        )),
        Some(other) => Err(MirrorError::config(
            key,
            format!("'{other}' is not 'true' or 'false'"),
        )),
    }
}

fn int(
    map: &Map<String, Value>,
    key: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, MirrorError> {
    let v = match map.get(key) {
        None | Some(Value::Null) => default,
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| MirrorError::config(key, format!("'{n}' is not a whole number")))?,
        Some(other) => {
            return Err(MirrorError::config(
                key,
                format!("'{other}' is not a whole number"),
            ))
        }
    };
    if v < min || v > max {
        return Err(MirrorError::config(
            key,
            format!("'{v}' is out of range; use a value from {min} to {max}"),
        ));
    }
    Ok(v)
}

/// The `auto-restart` and `auto-restart-max` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoRestart {
    pub enabled: bool,
    pub max: u32,
}

impl Default for AutoRestart {
    fn default() -> Self {
        AutoRestart {
            enabled: true,
            max: 10,
        }
    }
}

/// The `auto-restart` options (config.yaml); a wrong type or range names the option.
pub fn auto_restart(map: &Map<String, Value>) -> Result<AutoRestart, String> {
    let d = AutoRestart::default();
    let enabled = match map.get("auto-restart") {
        None => d.enabled,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| format!("invalid config 'auto-restart': {v} is not a boolean"))?,
    };
    let max = match map.get("auto-restart-max") {
        None => d.max,
        Some(v) => v
            .as_i64()
            .filter(|n| (0..=1000).contains(n))
            .map(|n| n as u32)
            .ok_or_else(|| {
                format!("invalid config 'auto-restart-max': {v} is not an integer from 0 to 1000")
            })?,
    };
    Ok(AutoRestart { enabled, max })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(v: Value) -> Result<MirrorConfig, MirrorError> {
        MirrorConfig::from_config_get(v.as_object().unwrap())
    }

    // proves the empty config-get object yields the §6 recommended defaults
    #[test]
    fn defaults_are_the_recommended_ones() {
        let c = MirrorConfig::default();
        assert_eq!(c.topics, ".*");
        assert_eq!(c.topics_exclude, ".*[\\-\\.]internal, .*\\.replica, __.*");
        assert_eq!(c.groups_exclude, "console-consumer-.*, connect-.*, __.*");
        assert_eq!(c.replication_policy, ReplicationPolicy::Default);
        assert_eq!(c.replication_separator, ".");
        assert!(
            c.emit_checkpoints && c.sync_group_offsets && c.sync_topic_configs && c.sync_topic_acls
        );
        assert_eq!(c.heartbeats, Heartbeats::Reverse);
        assert_eq!(
            (c.tasks_max, c.checkpoint_tasks_max, c.replication_factor),
            (4, 1, -1)
        );
        assert_eq!(c.start_position, StartPosition::Earliest);
        assert_eq!(c.intervals.refresh_topics, 60);
        assert_eq!(c.intervals.emit_checkpoints, 30);
        assert_eq!(c.intervals.emit_heartbeats, 5);
        assert!(c.extra_source.is_empty());
    }

    // proves typed values from config-get are read
    #[test]
    fn parses_values() {
        let c = cfg(json!({
            "topics": " orders\\..* ", "replication-policy": "identity", "heartbeats": "forward",
            "tasks-max": 8, "sync-topic-acls": false, "start-position": "latest",
            "replication-factor": 3, "emit-heartbeats-interval": 10, "unknown-option": 1
        }))
        .unwrap();
        assert_eq!(c.topics, "orders\\..*");
        assert_eq!(c.replication_policy, ReplicationPolicy::Identity);
        assert_eq!(c.heartbeats, Heartbeats::Forward);
        assert_eq!(c.tasks_max, 8);
        assert!(!c.sync_topic_acls);
        assert_eq!(c.start_position, StartPosition::Latest);
        assert_eq!(c.replication_factor, 3);
        assert_eq!(c.intervals.emit_heartbeats, 10);
    }

    // proves each kind of bad value names the option, quotes the value and suggests a fix
    #[test]
    fn operator_facing_errors() {
        let cases = [
            (json!({"topics": "[a"}), "invalid config 'topics': regex '[a' is unclosed; missing ']'"),
            (json!({"heartbeats": "both"}), "invalid config 'heartbeats': 'both' is not one of 'reverse', 'forward', 'off'"),
            (json!({"tasks-max": 0}), "invalid config 'tasks-max': '0' is out of range; use a value from 1 to 1000"),
            (json!({"tasks-max": "4"}), "invalid config 'tasks-max': '\"4\"' is not a whole number"),
            (json!({"sync-topic-acls": "yes"}), "invalid config 'sync-topic-acls': 'yes' is not 'true' or 'false'"),
            (json!({"replication-separator": ""}), "invalid config 'replication-separator': '' must be 1 to 8 characters valid in a topic name (letters, digits, '.', '_' or '-'); the usual value is '.'"),
            (json!({"replication-factor": 0}), "invalid config 'replication-factor': '0' is not a replication factor; use -1 for the brokers' default or a value ≥ 1"),
            (json!({"emit-checkpoints": false}), "invalid config 'sync-group-offsets': 'true' needs checkpoints; set emit-checkpoints=true or sync-group-offsets=false"),
            (json!({"replication-policy": "prefix"}), "invalid config 'replication-policy': 'prefix' is not one of 'default', 'identity'"),
        ];
        for (input, want) in cases {
            assert_eq!(cfg(input).unwrap_err().to_string(), want);
        }
        assert!(cfg(json!({"emit-checkpoints": false, "sync-group-offsets": false})).is_ok());
    }

    // proves whitespace-only differences in the list options, the enum options and the
    // extra-config values give the same MirrorConfig (so the same rendered connectors and no
    // rewrite), while a real change still differs
    #[test]
    fn whitespace_only_changes_normalise_away() {
        let tight = cfg(json!({
            "topics": "orders\\..*,payments", "groups": "a,b", "groups-exclude": "x",
            "topics-exclude": "__.*", "heartbeats": "forward",
            "extra-source-config": "{\"offset.lag.max\": \"50\"}"
        }))
        .unwrap();
        let loose = cfg(json!({
            "topics": "  orders\\..* ,\tpayments \n", "groups": " a ,  b", "groups-exclude": "x ",
            "topics-exclude": " __.*", "heartbeats": " forward ",
            "extra-source-config": "{ \"offset.lag.max\" : \" 50 \" }"
        }))
        .unwrap();
        assert_eq!(tight, loose);
        assert_eq!(tight.topics, "orders\\..*, payments");
        assert_eq!(
            MirrorConfig::default().topics_exclude,
            defaults::TOPICS_EXCLUDE
        );
        let other = cfg(json!({"topics": "orders\\..*,payment"})).unwrap();
        assert_ne!(tight.topics, other.topics);
    }

    // proves list keys compare by item (spacing around commas means nothing to Kafka), other
    // keys and reordered lists do not
    #[test]
    fn list_values_compare_by_item() {
        assert!(same_value("topics", "a,b", "a, b"));
        assert!(same_value("groups.exclude", " a ,b ", "a, b"));
        assert!(!same_value("topics", "a,b", "b, a"));
        assert!(!same_value("topics", "a,b", "a, b, c"));
        assert!(!same_value("tasks.max", "1 ", "1"));
        assert!(same_value("topics.exclude", "", " "));
    }

    // proves a config-provider placeholder in a filter list is refused naming the option
    #[test]
    fn placeholder_in_a_list_is_refused() {
        assert_eq!(
            cfg(json!({"topics": "${file:/etc/t:x}"}))
                .unwrap_err()
                .to_string(),
            "invalid config 'topics': contains '${' (config providers would expand it)"
        );
    }

    /// config.yaml's `options`, read with serde_yaml_ng.
    fn yaml_options() -> serde_yaml_ng::Mapping {
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(include_str!("../../config.yaml")).unwrap();
        yaml["options"].as_mapping().expect("options").clone()
    }

    /// An option's declared default as the text config-get's JSON would carry.
    fn yaml_default(options: &serde_yaml_ng::Mapping, key: &str) -> Option<String> {
        match options.get(key)?.get("default")? {
            serde_yaml_ng::Value::String(s) => Some(s.clone()),
            serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
            serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
            other => panic!("default of '{key}' is {other:?}"),
        }
    }

    // proves config.yaml declares every option of MirrorConfig with the same default as the code
    #[test]
    fn config_yaml_matches_code_defaults() {
        let options = yaml_options();
        let c = MirrorConfig::default();
        for (key, want) in [
            ("topics", c.topics.clone()),
            ("topics-exclude", c.topics_exclude.clone()),
            ("groups", c.groups.clone()),
            ("groups-exclude", c.groups_exclude.clone()),
            ("replication-policy", "default".into()),
            ("replication-separator", ".".into()),
            ("heartbeats", "reverse".into()),
            ("start-position", "earliest".into()),
            ("tasks-max", "4".into()),
            ("checkpoint-tasks-max", "1".into()),
            ("replication-factor", "-1".into()),
            ("emit-checkpoints", "true".into()),
            ("sync-group-offsets", "true".into()),
            ("sync-topic-configs", "true".into()),
            ("sync-topic-acls", "true".into()),
            ("refresh-topics-interval", "60".into()),
            ("sync-topic-configs-interval", "60".into()),
            ("sync-topic-acls-interval", "60".into()),
            ("refresh-groups-interval", "60".into()),
            ("emit-checkpoints-interval", "30".into()),
            ("sync-group-offsets-interval", "30".into()),
            ("emit-heartbeats-interval", "5".into()),
            ("extra-source-config", "".into()),
            ("extra-checkpoint-config", "".into()),
            ("extra-heartbeat-config", "".into()),
            ("alert-latency-p99-ms", c.alerts.latency_p99_ms.to_string()),
            ("alert-record-age-ms", c.alerts.record_age_ms.to_string()),
            (
                "alert-heartbeat-intervals",
                c.alerts.heartbeat_intervals.to_string(),
            ),
            (
                "alert-checkpoint-intervals",
                c.alerts.checkpoint_intervals.to_string(),
            ),
            ("alert-lag-records", c.alerts.lag_records.to_string()),
        ] {
            let default =
                yaml_default(&options, key).unwrap_or_else(|| panic!("config.yaml lacks '{key}'"));
            assert_eq!(default, want, "default of '{key}'");
        }
    }

    // proves every option in config.yaml is hyphenated and declares a type Juju knows, a
    // default of that type and a description (that each one is read by the charm is proven
    // per option in tests/charm_inprocess.rs, from the same file)
    #[test]
    fn config_yaml_options_are_complete() {
        let options = yaml_options();
        assert!(!options.is_empty());
        for (name, spec) in &options {
            let name = name.as_str().expect("option names are strings");
            assert!(!name.contains('_'), "option '{name}' must use hyphens");
            assert!(
                spec["description"]
                    .as_str()
                    .is_some_and(|d| !d.trim().is_empty()),
                "'{name}' lacks a description"
            );
            let default = spec
                .get("default")
                .unwrap_or_else(|| panic!("'{name}' lacks a default"));
            let typed = match spec["type"].as_str() {
                Some("string") => default.is_string(),
                Some("int") => default.is_i64(),
                Some("boolean") => default.is_bool(),
                Some("float") => default.is_f64() || default.is_i64(),
                other => panic!("'{name}': type {other:?} is not one Juju knows"),
            };
            assert!(
                typed,
                "'{name}': default {default:?} is not a {:?}",
                spec["type"]
            );
        }
    }
}

#[cfg(test)]
mod auto_restart_tests {
    use super::*;
    use serde_json::json;

    // proves config.yaml's auto-restart defaults (read with serde_yaml_ng, typed) are the
    // code's, and bad values name the option
    #[test]
    fn auto_restart_options() {
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(include_str!("../../config.yaml")).unwrap();
        let option = |key: &str| yaml["options"][key].clone();
        let d = AutoRestart::default();
        assert_eq!(option("auto-restart")["type"].as_str(), Some("boolean"));
        assert_eq!(option("auto-restart")["default"].as_bool(), Some(d.enabled));
        assert_eq!(option("auto-restart-max")["type"].as_str(), Some("int"));
        assert_eq!(
            option("auto-restart-max")["default"].as_u64(),
            Some(u64::from(d.max))
        );
        let map = |v: serde_json::Value| v.as_object().unwrap().clone();
        assert_eq!(auto_restart(&map(json!({}))), Ok(d));
        assert_eq!(
            auto_restart(&map(json!({"auto-restart": false, "auto-restart-max": 3}))),
            Ok(AutoRestart {
                enabled: false,
                max: 3
            })
        );
        assert_eq!(
            auto_restart(&map(json!({"auto-restart": "yes"}))),
            Err("invalid config 'auto-restart': \"yes\" is not a boolean".into())
        );
        assert_eq!(
            auto_restart(&map(json!({"auto-restart-max": 1001}))),
            Err("invalid config 'auto-restart-max': 1001 is not an integer from 0 to 1000".into())
        );
    }
}
