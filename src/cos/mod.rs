//! Observability over COS: what this charm publishes on its `cos-agent` endpoint (interface
//! `cos_agent`, the machine COS agent's: Grafana Agent or OpenTelemetry Collector).
//!
//! Wire format (docs/spec/cos.md §1): one key, `config`, in this unit's databag, holding the
//! JSON of the library's `CosAgentProviderUnitData`: Prometheus alert rules, no Loki rules, the
//! Grafana dashboard (LZMA, then base64), no scrape job (the Kafka Connect workers are scraped
//! through Charmed Kafka Connect's own `cos-agent` relation) and no log slot.
//!
//! Pure rendering ([`rules`], [`dashboard`], [`unit_data`]) and one writer, [`publish`], run
//! by hooks only: every unit writes (each has its own subordinate agent), and only when the
//! value differs from what its databag already holds, so a steady hook writes nothing.

pub mod dashboard;
pub mod rules;
mod template;

use crate::charm::Snapshot;
use crate::juju::{Databag, HookTools, RelationRef, ToolError};
use crate::mirror::config::Heartbeats;
use crate::mirror::MirrorConfig;
use serde_json::json;

/// The endpoint of interface `cos_agent` (metadata.yaml).
pub const ENDPOINT: &str = "cos-agent";
/// The unit databag key the agent reads.
pub const KEY: &str = "config";

/// What rendering fails on: a template or a value that would not make valid JSON or PromQL.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CosError {
    #[error("cannot render {template}: {message}")]
    Render { template: String, message: String },
    #[error("cannot put {what} '{value}' into an alert expression: it holds a quote or backslash")]
    Unsafe { what: &'static str, value: String },
}

/// Everything the published data depends on, taken from one hook's [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosInputs {
    /// This application (named in the runbook lines and the rule group).
    pub app: String,
    pub model_name: String,
    pub model_uuid: String,
    /// The Kafka Connect application and our connect-client relation id, once related: the
    /// rules read that application's series and our connectors' names carry the id.
    pub connect: Option<(String, u64)>,
    /// The target cluster's alias (label `target` of MirrorMaker's metrics), once related.
    pub target: Option<String>,
    pub config: MirrorConfig,
}

impl CosInputs {
    /// The inputs of a hook; `None` while the config is invalid (the unit is blocked and what
    /// was published stays).
    pub fn of(s: &Snapshot) -> Option<CosInputs> {
        Some(CosInputs {
            app: s.app.clone(),
            model_name: s.model_name.clone(),
            model_uuid: s.model_uuid.clone(),
            connect: s.connect.as_ref().map(|c| (c.app.clone(), c.rel.id)),
            target: s.target.as_ref().map(|t| t.app.clone()),
            config: s.config.as_ref().ok()?.clone(),
        })
    }

    fn heartbeats_replicated(&self) -> bool {
        self.config.heartbeats == Heartbeats::Reverse
    }
}

/// The JSON of the `config` key: `CosAgentProviderUnitData` of the cos_agent library.
pub fn unit_data(inputs: &CosInputs) -> Result<String, CosError> {
    let rules = match rules::render(inputs)? {
        Some(r) => r,
        None => json!({}),
    };
    let data = json!({
        "metrics_alert_rules": rules,
        "log_alert_rules": {},
        "dashboards": [dashboard::encoded(inputs)?],
        "metrics_scrape_jobs": [],
        "log_slots": [],
    });
    Ok(data.to_string())
}

/// Writes [`unit_data`] to this unit's databag of every `cos-agent` relation whose value
/// differs (one `relation-ids`, then one `relation-get` per relation). A rendering error is
/// logged and leaves the databag as it was: observability never blocks replication.
pub fn publish(tools: &dyn HookTools, s: &Snapshot) -> Result<(), ToolError> {
    let rels = tools.relation_ids(ENDPOINT)?;
    if rels.is_empty() {
        return Ok(());
    }
    let Some(inputs) = CosInputs::of(s) else {
        return Ok(());
    };
    let value = match unit_data(&inputs) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("{ENDPOINT}: {e}");
            return Ok(());
        }
    };
    for rel in rels {
        write_if_changed(tools, &rel, &s.unit, &value)?;
    }
    Ok(())
}

/// `relation-set` of `config` only when the databag holds something else. A relation that is
/// being broken has no databag left to write.
fn write_if_changed(
    tools: &dyn HookTools,
    rel: &RelationRef,
    unit: &str,
    value: &str,
) -> Result<(), ToolError> {
    let bag = match tools.relation_get(rel, unit, false) {
        Ok(bag) => bag,
        Err(ToolError::RelationNotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    if bag.get(KEY).map(String::as_str) == Some(value) {
        return Ok(());
    }
    let data: Databag = [(KEY.to_string(), value.to_string())].into();
    tools.relation_set(rel, &data, false)
}

/// Model uuid without dashes (our connector names end with it).
fn uuid_hex(uuid: &str) -> String {
    uuid.chars().filter(|c| *c != '-').collect()
}

/// Refuses a value that could break out of a PromQL string or a JSON string.
fn safe(what: &'static str, value: String) -> Result<String, CosError> {
    if value.contains(['"', '\\', '\n']) {
        return Err(CosError::Unsafe { what, value });
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
