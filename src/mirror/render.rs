//! Desired connectors: names, ordering and rendered configs.
//!
//! Pure. [`desired`] validates the relation inputs, builds one tera context per connector and
//! renders the templates embedded from `templates/` (so the binary carries them). The output
//! of a template must parse as a flat JSON object of strings; the extra-config keys are then
//! merged over it.

use super::config::{Heartbeats, MirrorConfig, ReplicationPolicy};
use super::identity::{connector_name, model_uuid_hex, ConnectorKind};
use super::inputs::{Cluster, Inputs};
use super::sensitive::masked;
use super::values::has_placeholder;
use super::MirrorError;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

const MACROS: &str = include_str!("../../templates/macros.tera");
const SOURCE_TEMPLATE: &str = include_str!("../../templates/mirror-source.json.tera");
const CHECKPOINT_TEMPLATE: &str = include_str!("../../templates/mirror-checkpoint.json.tera");
const HEARTBEAT_TEMPLATE: &str = include_str!("../../templates/mirror-heartbeat.json.tera");

/// The template of a kind.
fn template_of(kind: ConnectorKind) -> &'static str {
    match kind {
        ConnectorKind::Source => "mirror-source.json.tera",
        ConnectorKind::Checkpoint => "mirror-checkpoint.json.tera",
        ConnectorKind::Heartbeat => "mirror-heartbeat.json.tera",
    }
}

/// One connector that should exist, with its full config (every value a string, no `name`
/// key). `Debug` masks passwords, JAAS configs and PEM values.
#[derive(Clone, PartialEq, Eq)]
pub struct DesiredConnector {
    pub name: String,
    pub kind: ConnectorKind,
    pub source_alias: String,
    pub config: BTreeMap<String, String>,
}

impl fmt::Debug for DesiredConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesiredConnector")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("source_alias", &self.source_alias)
            .field("config", &masked(&self.config))
            .finish()
    }
}

/// The connectors that should exist for `inputs`: for each source (in alias order) a source
/// connector, a checkpoint connector when `emit-checkpoints` is on, and a heartbeat connector
/// unless `heartbeats=off`. Sorted by kind (source → checkpoint → heartbeat), then alias.
pub fn desired(inputs: &Inputs) -> Result<Vec<DesiredConnector>, MirrorError> {
    let cfg = &inputs.config;
    let uuid = model_uuid_hex(&inputs.model_uuid)?;
    check_cluster("target", &inputs.target, &cfg.replication_separator)?;
    let mut seen = std::collections::BTreeSet::new();
    for source in &inputs.sources {
        check_cluster("source", source, &cfg.replication_separator)?;
        if !seen.insert(source.alias.as_str()) {
            return Err(MirrorError::relation(
                "source",
                format!(
                    "two source relations use the alias '{}'; remove one of them",
                    source.alias
                ),
            ));
        }
        if source.alias == inputs.target.alias {
            return Err(MirrorError::relation(
                "source",
                format!(
                    "the source '{}' is also the target; relate a different Kafka application",
                    source.alias
                ),
            ));
        }
    }
    if cfg.replication_policy == ReplicationPolicy::Identity && inputs.sources.len() > 1 {
        return Err(MirrorError::config(
            "replication-policy",
            format!(
                "'identity' keeps topic names, so the topics of the {} source relations would be merged on \
                 the target; use 'default' or relate a single source",
                inputs.sources.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for source in &inputs.sources {
        let name = |kind| connector_name(kind, &source.alias, inputs.connect_relation_id, &uuid);
        out.push(render(
            ConnectorKind::Source,
            name(ConnectorKind::Source),
            source,
            &inputs.target,
            cfg,
        )?);
        if cfg.emit_checkpoints {
            out.push(render(
                ConnectorKind::Checkpoint,
                name(ConnectorKind::Checkpoint),
                source,
                &inputs.target,
                cfg,
            )?);
        }
        if cfg.heartbeats != Heartbeats::Off {
            out.push(render(
                ConnectorKind::Heartbeat,
                name(ConnectorKind::Heartbeat),
                source,
                &inputs.target,
                cfg,
            )?);
        }
    }
    out.sort_by(|a, b| (a.kind, &a.source_alias).cmp(&(b.kind, &b.source_alias)));
    Ok(out)
}

fn check_cluster(relation: &str, c: &Cluster, separator: &str) -> Result<(), MirrorError> {
    let valid_alias = c.alias.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.alias
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if !valid_alias {
        return Err(MirrorError::relation(
            relation,
            format!(
                "alias '{}' must be a Juju application name (lower-case letters, digits, '-')",
                c.alias
            ),
        ));
    }
    if c.alias.contains(separator) {
        return Err(MirrorError::InvalidConfig {
            option: "replication-separator".into(),
            message: format!(
                "'{separator}' appears in the {relation} alias '{}', so MirrorMaker would misread remote topic \
                 names; choose a separator that no Kafka application name contains, such as '.'",
                c.alias
            ),
        });
    }
    if let Err(why) = super::values::parse_bootstrap(&c.bootstrap) {
        return Err(MirrorError::relation(
            relation,
            format!(
                "endpoints of '{}' are not a list of host:port: {why}",
                c.alias
            ),
        ));
    }
    // A worker with config providers would expand `${…}` in any value it stores.
    let placeholder = [
        ("username", has_placeholder(&c.username)),
        ("password", has_placeholder(c.password.expose())),
        ("CA", c.ca_pem.as_deref().is_some_and(has_placeholder)),
    ];
    if let Some((what, _)) = placeholder.iter().find(|(_, found)| *found) {
        return Err(MirrorError::relation(
            relation,
            format!(
                "the {what} from '{}' contains '${{', a Kafka Connect config-provider placeholder",
                c.alias
            ),
        ));
    }
    if c.username.is_empty() || c.username.chars().any(|ch| ch.is_control()) {
        return Err(MirrorError::relation(
            relation,
            format!(
                "the username from '{}' is empty or has control characters",
                c.alias
            ),
        ));
    }
    // JAAS quoted strings end at a newline (java.io.StreamTokenizer); never quote the value.
    if c.password.is_empty() || c.password.expose().chars().any(|ch| ch.is_control()) {
        return Err(MirrorError::relation(
            relation,
            format!(
                "the password from '{}' is empty or has control characters",
                c.alias
            ),
        ));
    }
    Ok(())
}

/// Escape for a double-quoted JAAS option value: `\` and `"` get a backslash.
pub fn jaas_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for ch in value.chars() {
        if ch == '\\' || ch == '"' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

/// The `sasl.jaas.config` value for SCRAM with these credentials.
pub fn scram_jaas(username: &str, password: &str) -> String {
    format!(
        "org.apache.kafka.common.security.scram.ScramLoginModule required username={} password={};",
        jaas_quote(username),
        jaas_quote(password)
    )
}

fn cluster_ctx(c: &Cluster) -> Value {
    json!({
        "bootstrap": c.bootstrap.split(',').map(str::trim).collect::<Vec<_>>().join(","),
        "protocol": if c.tls { "SASL_SSL" } else { "SASL_PLAINTEXT" },
        "jaas": scram_jaas(&c.username, c.password.expose()),
        "pem": if c.tls { c.ca_pem.as_deref().map(str::trim) } else { None },
    })
}

fn tera() -> Result<&'static tera::Tera, MirrorError> {
    static TERA: OnceLock<Result<tera::Tera, String>> = OnceLock::new();
    TERA.get_or_init(|| {
        let mut t = tera::Tera::default();
        t.autoescape_on(vec![]);
        t.add_raw_templates(vec![
            ("macros.tera", MACROS),
            ("mirror-source.json.tera", SOURCE_TEMPLATE),
            ("mirror-checkpoint.json.tera", CHECKPOINT_TEMPLATE),
            ("mirror-heartbeat.json.tera", HEARTBEAT_TEMPLATE),
        ])
        .map_err(|e| format!("{e:?}"))?;
        Ok(t)
    })
    .as_ref()
    .map_err(|e| MirrorError::Render {
        template: "templates".into(),
        message: e.clone(),
    })
}

fn render(
    kind: ConnectorKind,
    name: String,
    source: &Cluster,
    target: &Cluster,
    cfg: &MirrorConfig,
) -> Result<DesiredConnector, MirrorError> {
    // Which cluster this connector writes to (its MM2 "target" and the producer override).
    let (source_alias, target_alias, writes_to) = match (kind, cfg.heartbeats) {
        (ConnectorKind::Heartbeat, Heartbeats::Reverse) => (&target.alias, &source.alias, source),
        _ => (&source.alias, &target.alias, target),
    };
    let tasks_max = match kind {
        ConnectorKind::Source => cfg.tasks_max,
        ConnectorKind::Checkpoint => cfg.checkpoint_tasks_max,
        ConnectorKind::Heartbeat => 1,
    };
    let i = &cfg.intervals;
    let ctx = json!({
        "class": kind.class(),
        "tasks_max": tasks_max.to_string(),
        "source_alias": source_alias,
        "target_alias": target_alias,
        "policy_class": cfg.replication_policy.class(),
        "separator": cfg.replication_separator,
        "source": cluster_ctx(source),
        "target": cluster_ctx(writes_to),
        "producer": cluster_ctx(writes_to),
        "topics": cfg.topics,
        "topics_exclude": cfg.topics_exclude,
        "groups": cfg.groups,
        "groups_exclude": cfg.groups_exclude,
        "replication_factor": cfg.replication_factor.to_string(),
        "start_position": cfg.start_position.as_str(),
        "sync_topic_configs": cfg.sync_topic_configs.to_string(),
        "sync_topic_acls": cfg.sync_topic_acls.to_string(),
        "sync_group_offsets": cfg.sync_group_offsets.to_string(),
        "refresh_topics_interval": i.refresh_topics.to_string(),
        "sync_topic_configs_interval": i.sync_topic_configs.to_string(),
        "sync_topic_acls_interval": i.sync_topic_acls.to_string(),
        "refresh_groups_interval": i.refresh_groups.to_string(),
        "emit_checkpoints_interval": i.emit_checkpoints.to_string(),
        "sync_group_offsets_interval": i.sync_group_offsets.to_string(),
        "emit_heartbeats_interval": i.emit_heartbeats.to_string(),
    });
    let mut context = tera::Context::new();
    context.insert("ctx", &ctx);
    let template = template_of(kind);
    let bug = |message: String| MirrorError::Render {
        template: template.into(),
        message,
    };
    // Tera errors may quote context values (passwords): keep only the top-level kind.
    let text = tera()?
        .render(template, &context)
        .map_err(|e| bug(format!("{:?}", e.kind)))?;
    let mut config: BTreeMap<String, String> = serde_json::from_str(&text)
        .map_err(|e| bug(format!("not a flat JSON object of strings: {e}")))?;
    let extra = match kind {
        ConnectorKind::Source => &cfg.extra_source,
        ConnectorKind::Checkpoint => &cfg.extra_checkpoint,
        ConnectorKind::Heartbeat => &cfg.extra_heartbeat,
    };
    for (k, v) in extra {
        config.insert(k.clone(), v.clone());
    }
    Ok(DesiredConnector {
        name,
        kind,
        source_alias: source.alias.clone(),
        config,
    })
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
