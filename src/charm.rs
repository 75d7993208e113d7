//! The charm driver: what one dispatch does. Every hook runs the same level-triggered pass
//! (design.md §2); actions reuse it. This module talks to Juju only through [`HookTools`].

use crate::juju::{Event, EventKind, HookTools, Status, StatusKind, ToolError};
use thiserror::Error;

/// The relation endpoints this charm requires, in the order an operator sets them up.
pub const REQUIRED_ENDPOINTS: [&str; 3] = ["source", "target", "connect-client"];

#[derive(Debug, Error)]
pub enum CharmError {
    #[error(transparent)]
    Tool(#[from] ToolError),
}

/// Runs one dispatch. An `Err` means Juju should retry the hook (a hook tool failed);
/// everything the operator can fix is reported through status instead.
pub fn run(event: &Event, tools: &dyn HookTools) -> Result<(), CharmError> {
    tracing::info!(unit = %event.unit, "running {}", event.name());
    let status = relations_status(tools)?;
    match &event.kind {
        EventKind::Action(name) => {
            tools.action_fail(&format!(
                "action {name:?} is not available in this revision of the charm"
            ))?;
        }
        _ => {
            tools.status_set(&status, false)?;
            if tools.is_leader()? {
                tools.status_set(&status, true)?;
            }
        }
    }
    Ok(())
}

/// `blocked` naming every missing relation, else `waiting` until replication is configured.
fn relations_status(tools: &dyn HookTools) -> Result<Status, ToolError> {
    let mut missing = Vec::new();
    for endpoint in REQUIRED_ENDPOINTS {
        if tools.relation_ids(endpoint)?.is_empty() {
            missing.push(endpoint);
        }
    }
    Ok(if missing.is_empty() {
        Status::new(StatusKind::Waiting, "waiting for relation data")
    } else {
        Status::new(
            StatusKind::Blocked,
            format!(
                "missing relation(s): {} (juju integrate)",
                missing.join(", ")
            ),
        )
    })
}
