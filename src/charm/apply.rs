//! Apply: the only code that writes to Kafka Connect. Validates every config a step would
//! PUT, then carries out the steps in order and stops at the first failure (the next hook
//! re-plans from what Connect then holds; every step is idempotent).

use super::connect_api::{ConnectApi, ConnectFailure, FailureKind};
use super::workload_status::short_name as short;
use crate::juju::{Status, StatusKind};
use crate::mirror::DesiredConnector;
use crate::plan::{Action, Plan};

/// Validates every config the plan writes, then applies the steps in order. Stops at the
/// first failure: the next hook re-plans from what Connect then holds.
pub(super) fn apply(
    api: &dyn ConnectApi,
    plan: &Plan,
    desired: &[DesiredConnector],
) -> Result<Vec<String>, (Vec<String>, Status)> {
    for step in plan.steps.iter().filter(|s| s.action.writes_config()) {
        let Some(d) = desired.iter().find(|d| d.name == step.name) else {
            continue;
        };
        match api.validate(d) {
            Ok(errors) if errors.is_empty() => {}
            Ok(errors) => return Err((Vec::new(), rejected(&d.name, &errors))),
            Err(e) => {
                // The cause first: a status is cut at 120 characters and names are long.
                let what = format!("Kafka Connect {e} (validate {})", short(&d.name));
                return Err((Vec::new(), failed(what, &e)));
            }
        }
    }
    let mut done = Vec::new();
    for step in &plan.steps {
        let result = match &step.action {
            Action::Delete => api.delete(&step.name),
            Action::Pause => api.pause(&step.name),
            Action::Stop => api.stop(&step.name),
            Action::Resume => api.resume(&step.name),
            Action::Restart {
                include_tasks,
                only_failed,
            } => api.restart(&step.name, *include_tasks, *only_failed),
            Action::Create(config) | Action::Update(config) => api.put(&step.name, &config.0),
            Action::CreateStopped(config) => api.create_stopped(&step.name, &config.0),
            Action::CarryOffsets { from } => carry(api, from, &step.name),
        };
        match result {
            Ok(()) => done.push(format!(
                "{} {} ({})",
                step.action.as_str(),
                step.name,
                step.reason.as_str()
            )),
            Err(e) => {
                let what = format!(
                    "Kafka Connect {e} ({} {})",
                    step.action.as_str(),
                    short(&step.name)
                );
                return Err((done, failed(what, &e)));
            }
        }
    }
    Ok(done)
}

/// Copies `from`'s source offsets to `to`. When Connect refuses the offsets calls for good
/// (a worker older than 3.6 has no `PATCH …/offsets`), the hand-over goes on without them:
/// MirrorMaker then re-copies from `source.consumer.auto.offset.reset` — duplicates on the
/// target rather than a connector left stopped. Anything transient stops the apply; the next
/// hook carries on from the same state.
fn carry(api: &dyn ConnectApi, from: &str, to: &str) -> Result<(), ConnectFailure> {
    match api.carry_offsets(from, to) {
        Ok(n) => {
            tracing::info!("carried the offsets of {n} partition(s) from {from} to {to}");
            Ok(())
        }
        Err(e) if e.kind == FailureKind::Invalid => {
            tracing::warn!(
                "offsets of {from} not carried to {to} ({e}); MirrorMaker copies those \
                 partitions again from source.consumer.auto.offset.reset"
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Connect's validation refused a config: the status names the first error and how many
/// more; every error is in the detail (debug log, `status` action).
fn rejected(name: &str, errors: &[String]) -> Status {
    let more = match errors.len() {
        0 | 1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    let first = errors.first().map(String::as_str).unwrap_or("invalid");
    Status::new(
        StatusKind::Blocked,
        format!("Kafka Connect rejects {}: {first}{more}", short(name)),
    )
    .with_detail(format!(
        "Kafka Connect rejects {name}: {}",
        errors.join("; ")
    ))
}

/// A failed call blocks when retrying the same request cannot help (refused credentials, a
/// request Connect rejects for good); otherwise the next hook retries.
fn failed(message: String, e: &ConnectFailure) -> Status {
    let kind = match e.kind {
        FailureKind::Refused | FailureKind::Invalid => StatusKind::Blocked,
        FailureKind::Unavailable | FailureKind::Certificate(_) => StatusKind::Waiting,
    };
    Status::new(kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves statuses drop only a trailing model-uuid suffix from connector names, and a
    // rejection names the first error and how many more, all of them kept in the detail.
    #[test]
    fn short_names_and_rejections() {
        let name = "mirror_source_kafka-a_r5_5b2e4a3c1d2e4f608a9b0c1d2e3f4a5b";
        assert_eq!(short(name), "mirror_source_kafka-a_r5");
        assert_eq!(short("foreign_x"), "foreign_x");
        let st = rejected(name, &["a: bad".into(), "b: worse".into()]);
        assert_eq!(
            st.message,
            "Kafka Connect rejects mirror_source_kafka-a_r5: a: bad (+1 more)"
        );
        assert_eq!(
            st.detail.as_deref(),
            Some(format!("Kafka Connect rejects {name}: a: bad; b: worse").as_str())
        );
    }
}
