//! What this unit remembers between its own hooks about facts only it can change or Juju
//! never changes, to spare hook-tool calls (each one is a process and an API round trip, and
//! a hook runs for every unit again and again):
//! * the remote application of a relation id (fixed for the relation's life; ids are never
//!   reused in a model) — spares `relation-list --app`;
//! * the peer relation's id (created with the application, never replaced) — spares one
//!   `relation-ids`;
//! * the workload statuses this unit last set — a `status-set` with the same status and
//!   message is skipped. Only this unit sets its own status, and only the leader sets the
//!   application's; the cached application status is dropped whenever this unit is not the
//!   leader or has just been elected, since another leader may have set it meanwhile.
//!
//! Relation ids, databags, secrets, config and leadership are never cached: they can change
//! between two hooks and a stale view could delete connectors.
//!
//! Kept in a small JSON file in the charm directory (like ops' `.unit-state.db`), written only
//! when it changed and only after a hook succeeded; a failed hook removes it (a status set in
//! a failed hook may not stick). An unreadable file counts as empty.

use super::ToolError;
use super::{Databag, HookTools, LogLevel, RelationRef, SecretContent, SecretRead, Status};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file, in `JUJU_CHARM_DIR`.
pub const CACHE_FILE: &str = ".mirrormaker-unit-cache.json";
/// More remote apps than this means something is off; start again rather than grow.
const MAX_REMOTE_APPS: usize = 256;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Remembered {
    #[serde(default)]
    remote_apps: BTreeMap<String, String>,
    #[serde(default)]
    peer: Option<String>,
    #[serde(default)]
    unit_status: Option<(String, String)>,
    #[serde(default)]
    app_status: Option<(String, String)>,
}

/// [`HookTools`] with the unit cache in front.
pub struct CachedTools<'a> {
    inner: &'a dyn HookTools,
    peer_endpoint: &'static str,
    path: Option<PathBuf>,
    loaded: Remembered,
    now: RefCell<Remembered>,
}

impl<'a> CachedTools<'a> {
    /// `charm_dir` None: nothing is remembered (every call goes through). `fresh_leader`: the
    /// hook is `leader-elected`.
    pub fn new(
        inner: &'a dyn HookTools,
        peer_endpoint: &'static str,
        charm_dir: Option<&Path>,
        fresh_leader: bool,
    ) -> CachedTools<'a> {
        let path = charm_dir.map(|d| d.join(CACHE_FILE));
        let mut loaded: Remembered = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        if loaded.remote_apps.len() > MAX_REMOTE_APPS {
            loaded.remote_apps.clear();
        }
        if fresh_leader {
            loaded.app_status = None;
        }
        CachedTools {
            inner,
            peer_endpoint,
            path,
            now: RefCell::new(loaded.clone()),
            loaded,
        }
    }

    /// After the hook: keep what changed (success), or forget everything (failure).
    pub fn finish(&self, succeeded: bool) {
        let Some(path) = &self.path else { return };
        if !succeeded {
            let _ = std::fs::remove_file(path);
            return;
        }
        let now = self.now.borrow();
        if *now == self.loaded {
            return;
        }
        let tmp = path.with_extension("tmp");
        let written = serde_json::to_vec(&*now)
            .map_err(std::io::Error::other)
            .and_then(|b| std::fs::write(&tmp, b))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            tracing::debug!("cannot keep the unit cache: {e}");
        }
    }
}

impl HookTools for CachedTools<'_> {
    fn relation_ids(&self, endpoint: &str) -> Result<Vec<RelationRef>, ToolError> {
        if endpoint == self.peer_endpoint {
            if let Some(r) = self
                .now
                .borrow()
                .peer
                .as_deref()
                .and_then(RelationRef::parse)
            {
                return Ok(vec![r]);
            }
        }
        let ids = self.inner.relation_ids(endpoint)?;
        if endpoint == self.peer_endpoint && ids.len() == 1 {
            self.now.borrow_mut().peer = Some(ids[0].to_string());
        }
        Ok(ids)
    }

    fn relation_list(&self, rel: &RelationRef) -> Result<Vec<String>, ToolError> {
        self.inner.relation_list(rel)
    }

    fn relation_remote_app(&self, rel: &RelationRef) -> Result<String, ToolError> {
        let key = rel.to_string();
        if let Some(app) = self.now.borrow().remote_apps.get(&key) {
            return Ok(app.clone());
        }
        let app = self.inner.relation_remote_app(rel)?;
        if !app.is_empty() {
            self.now.borrow_mut().remote_apps.insert(key, app.clone());
        }
        Ok(app)
    }

    fn relation_get(
        &self,
        rel: &RelationRef,
        member: &str,
        app: bool,
    ) -> Result<Databag, ToolError> {
        self.inner.relation_get(rel, member, app)
    }

    fn relation_set(&self, rel: &RelationRef, data: &Databag, app: bool) -> Result<(), ToolError> {
        self.inner.relation_set(rel, data, app)
    }

    fn config_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError> {
        self.inner.config_get()
    }

    fn is_leader(&self) -> Result<bool, ToolError> {
        let leader = self.inner.is_leader()?;
        if !leader {
            self.now.borrow_mut().app_status = None;
        }
        Ok(leader)
    }

    fn status_set(&self, status: &Status, app: bool) -> Result<(), ToolError> {
        let want = Some((status.kind.as_str().to_string(), status.message.clone()));
        {
            let now = self.now.borrow();
            let had = if app {
                &now.app_status
            } else {
                &now.unit_status
            };
            if *had == want {
                return Ok(());
            }
        }
        self.inner.status_set(status, app)?;
        let mut now = self.now.borrow_mut();
        if app {
            now.app_status = want;
        } else {
            now.unit_status = want;
        }
        Ok(())
    }

    fn secret_get(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        read: SecretRead,
    ) -> Result<SecretContent, ToolError> {
        self.inner.secret_get(id, label, read)
    }

    fn action_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError> {
        self.inner.action_get()
    }

    fn action_set(&self, results: &BTreeMap<String, String>) -> Result<(), ToolError> {
        self.inner.action_set(results)
    }

    fn action_fail(&self, message: &str) -> Result<(), ToolError> {
        self.inner.action_fail(message)
    }

    fn juju_log(&self, level: LogLevel, message: &str) -> Result<(), ToolError> {
        self.inner.juju_log(level, message)
    }
}

#[cfg(test)]
mod tests;
