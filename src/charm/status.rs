//! Unit and app status from what Connect reports: the worst state wins, and the message names
//! the connector and task (design.md §2). Pure.

use crate::juju::{Status, StatusKind};
use crate::mirror::{ConnectorKind, DesiredConnector};
use crate::reconcile::Actual;

/// The first line of a Java stack trace: the exception and its message.
pub fn first_line(trace: Option<&str>) -> &str {
    trace
        .and_then(|t| t.lines().next())
        .unwrap_or("no trace")
        .trim()
}

/// One finding per desired connector; the worst becomes the status.
pub fn from_connectors(
    desired: &[DesiredConnector],
    actual: &Actual,
    pairs: &[String],
    pending: bool,
    waiting_note: Option<&str>,
) -> Status {
    let mut findings: Vec<Status> = Vec::new();
    for d in desired {
        let Some(a) = actual.connectors.get(&d.name) else {
            findings.push(Status::new(
                StatusKind::Waiting,
                format!("{} not created yet", d.name),
            ));
            continue;
        };
        let state = a.state.as_deref().unwrap_or("");
        let finding = match state {
            "FAILED" => Some(Status::new(
                StatusKind::Blocked,
                format!("{} FAILED", d.name),
            )),
            "" => Some(Status::new(
                StatusKind::Waiting,
                format!("{} starting (no status yet)", d.name),
            )),
            "UNASSIGNED" | "RESTARTING" => Some(Status::new(
                StatusKind::Waiting,
                format!("{} {state}", d.name),
            )),
            "PAUSED" | "STOPPED" => Some(Status::new(
                StatusKind::Maintenance,
                format!("{} {state}", d.name),
            )),
            _ => None,
        };
        if let Some(f) = finding {
            findings.push(f);
            continue;
        }
        if let Some(t) = a.tasks.iter().find(|t| t.state == "FAILED") {
            findings.push(Status::new(
                StatusKind::Blocked,
                format!(
                    "{} task {} FAILED: {}",
                    d.name,
                    t.id,
                    first_line(t.trace.as_deref())
                ),
            ));
        } else if let Some(t) = a.tasks.iter().find(|t| t.state != "RUNNING") {
            findings.push(Status::new(
                StatusKind::Waiting,
                format!("{} task {} {}", d.name, t.id, t.state),
            ));
        } else if a.tasks.is_empty() && d.kind != ConnectorKind::Checkpoint {
            // A checkpoint connector has no task until a consumer group qualifies: normal.
            findings.push(Status::new(
                StatusKind::Waiting,
                format!(
                    "{} RUNNING with no tasks yet (no matching topic, or a cluster unreachable)",
                    d.name
                ),
            ));
        }
    }
    if let Some(note) = waiting_note {
        findings.push(Status::new(StatusKind::Waiting, note.to_string()));
    }
    if pending {
        findings.push(Status::new(
            StatusKind::Waiting,
            "the leader has changes to apply",
        ));
    }
    let worst = findings.iter().map(|f| f.kind).max();
    match worst {
        None => Status::new(
            StatusKind::Active,
            format!(
                "replicating {} ({} connectors)",
                pairs.join(", "),
                desired.len()
            ),
        ),
        Some(kind) => {
            let mut of_kind = findings.into_iter().filter(|f| f.kind == kind);
            let first = of_kind.next().expect("worst exists");
            let more = of_kind.count();
            if more == 0 {
                first
            } else {
                Status::new(kind, format!("{} (+{more} more)", first.message))
            }
        }
    }
}
