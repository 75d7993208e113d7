//! Our relation requests: the leader (re)writes each one, idempotently, until the provider has
//! answered, so a request lost to a crash or a failed hook is sent on the next hook whatever
//! that hook is; and every unit's `cos-agent` data ([`crate::cos::publish`], written only when
//! it changes). Run by hooks only — actions never write relation data.

use super::Snapshot;
use crate::juju::{HookTools, ToolError};
use crate::relations::{certificate_transfer, connect_client, kafka_client};

/// Writes what is missing of our requests on every relation whose provider has not answered
/// (one `relation-get` each; nothing once all have answered), leader only; first, on every
/// unit, the `cos-agent` data — except in `update-status`: what it is made of (options,
/// relations) only changes in hooks of its own, and the steady tick stays at its tool calls.
pub fn publish(tools: &dyn HookTools, s: &Snapshot, tick: bool) -> Result<(), ToolError> {
    if !tick {
        crate::cos::publish(tools, s)?;
    }
    if !s.leader {
        return Ok(());
    }
    for r in s
        .sources
        .iter()
        .chain(&s.target)
        .filter(|r| r.data.is_err())
    {
        kafka_client::ensure_request(tools, &r.rel, &s.app, &s.unit)?;
    }
    if let Some(c) = s.connect.as_ref().filter(|c| c.data.is_err()) {
        connect_client::ensure_request(tools, &c.rel, &s.app, &s.unit)?;
    }
    for b in s
        .ca_bundles
        .iter()
        .filter(|b| b.certs.is_empty() && b.refused.is_empty())
    {
        certificate_transfer::ensure_request(tools, &b.rel, &s.app, &s.unit)?;
    }
    Ok(())
}
