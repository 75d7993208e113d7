//! An in-memory [`HookTools`] for in-process tests: the world before a hook as plain data
//! (like ops' Scenario `State`), the charm runs against it, and the test reads the world after.
//!
//! It keeps Juju's rules that matter to the charm: only the leader writes its app databag
//! and reads it (except on a peer relation — one whose remote app is this app — which every
//! unit reads), `""` deletes a key, unknown relations and secrets fail with Juju's texts, and a
//! consumer's secret read tracks a revision unless `--refresh`/`--peek` says otherwise.

use super::event::RelationRef;
use super::tools::{Databag, HookTools, LogLevel, SecretContent, SecretRead, Status, ToolError};
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Relation {
    pub endpoint: String,
    pub id: u64,
    pub remote_app: String,
    pub remote_units: Vec<String>,
    pub local_app: Databag,
    pub local_unit: Databag,
    pub remote_app_data: Databag,
    pub remote_units_data: BTreeMap<String, Databag>,
}

#[derive(Debug, Clone, Default)]
pub struct SecretRecord {
    /// Revisions, oldest first; the last is the latest.
    pub revisions: Vec<BTreeMap<String, String>>,
    /// Our consumer label, once attached.
    pub label: Option<String>,
    /// The revision (1-based) this unit tracks.
    pub tracked: Option<usize>,
}

/// The model as one unit sees it, plus what the charm did.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub app: String,
    pub unit: String,
    pub leader: bool,
    pub config: serde_json::Map<String, serde_json::Value>,
    pub relations: Vec<Relation>,
    pub secrets: BTreeMap<String, SecretRecord>,
    pub action_params: serde_json::Map<String, serde_json::Value>,
    // What the charm did:
    pub unit_status: Option<Status>,
    pub app_status: Option<Status>,
    pub logs: Vec<(LogLevel, String)>,
    pub action_results: BTreeMap<String, String>,
    pub action_failed: Option<String>,

    pub workload_version: Option<String>,
    /// Every tool call, as `tool arg…`, for counting calls per hook.
    pub calls: Vec<String>,
}

/// [`HookTools`] over a [`State`]; take the state back with [`MemoryTools::into_state`].
#[derive(Debug, Default)]
pub struct MemoryTools(RefCell<State>);

fn not_found(tool: &str, r: &RelationRef) -> ToolError {
    ToolError::RelationNotFound {
        tool: tool.to_string(),
        stderr: format!("invalid value \"{r}\" for option -r: relation not found"),
    }
}

impl MemoryTools {
    pub fn new(state: State) -> MemoryTools {
        MemoryTools(RefCell::new(state))
    }

    pub fn into_state(self) -> State {
        self.0.into_inner()
    }

    /// Changes the world between two calls (e.g. leadership moves).
    pub fn state_mut(&self) -> std::cell::RefMut<'_, State> {
        self.0.borrow_mut()
    }

    pub fn state(&self) -> std::cell::Ref<'_, State> {
        self.0.borrow()
    }

    fn call(&self, line: String) {
        self.0.borrow_mut().calls.push(line);
    }

    fn with_rel<T>(
        &self,
        tool: &str,
        r: &RelationRef,
        f: impl FnOnce(&mut Relation, &State) -> Result<T, ToolError>,
    ) -> Result<T, ToolError> {
        let mut st = self.0.borrow_mut();
        let snapshot = State {
            relations: Vec::new(),
            secrets: BTreeMap::new(),
            calls: Vec::new(),
            logs: Vec::new(),
            ..st.clone()
        };
        let rel = st
            .relations
            .iter_mut()
            .find(|x| x.id == r.id && x.endpoint == r.endpoint)
            .ok_or_else(|| not_found(tool, r))?;
        f(rel, &snapshot)
    }
}

fn apply(bag: &mut Databag, data: &Databag) {
    for (k, v) in data {
        if v.is_empty() {
            bag.remove(k);
        } else {
            bag.insert(k.clone(), v.clone());
        }
    }
}

impl HookTools for MemoryTools {
    fn relation_ids(&self, endpoint: &str) -> Result<Vec<RelationRef>, ToolError> {
        self.call(format!("relation-ids {endpoint}"));
        let st = self.0.borrow();
        let mut ids: Vec<RelationRef> = st
            .relations
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .map(|r| RelationRef {
                endpoint: r.endpoint.clone(),
                id: r.id,
            })
            .collect();
        // Juju sorts the strings.
        ids.sort_by_key(|r| r.to_string());
        Ok(ids)
    }

    fn relation_list(&self, r: &RelationRef) -> Result<Vec<String>, ToolError> {
        self.call(format!("relation-list -r {r}"));
        self.with_rel("relation-list", r, |rel, _| Ok(rel.remote_units.clone()))
    }

    fn relation_remote_app(&self, r: &RelationRef) -> Result<String, ToolError> {
        self.call(format!("relation-list --app -r {r}"));
        self.with_rel("relation-list", r, |rel, _| Ok(rel.remote_app.clone()))
    }

    fn relation_get(&self, r: &RelationRef, member: &str, app: bool) -> Result<Databag, ToolError> {
        self.call(format!(
            "relation-get -r {r}{} - {member}",
            if app { " --app" } else { "" }
        ));
        self.with_rel("relation-get", r, |rel, st| {
            if app && member == st.app {
                // Any unit reads its peer relation's app databag; other local app bags are
                // the leader's alone.
                let peer = rel.remote_app == st.app;
                if !st.leader && !peer {
                    return Err(ToolError::Failed {
                        tool: "relation-get".into(),
                        code: 1,
                        stderr: "permission denied".into(),
                    });
                }
                return Ok(rel.local_app.clone());
            }
            if app && member == rel.remote_app {
                return Ok(rel.remote_app_data.clone());
            }
            if !app && member == st.unit {
                return Ok(rel.local_unit.clone());
            }
            if !app {
                if let Some(bag) = rel.remote_units_data.get(member) {
                    return Ok(bag.clone());
                }
            }
            Err(ToolError::Failed {
                tool: "relation-get".into(),
                code: 1,
                stderr: format!("cannot read settings for unit \"{member}\" in relation \"{r}\": unit \"{member}\": settings not found"),
            })
        })
    }

    fn relation_set(&self, r: &RelationRef, data: &Databag, app: bool) -> Result<(), ToolError> {
        self.call(format!(
            "relation-set -r {r}{} --file -",
            if app { " --app" } else { "" }
        ));
        self.with_rel("relation-set", r, |rel, st| {
            if app {
                if !st.leader {
                    return Err(ToolError::Failed {
                        tool: "relation-set".into(),
                        code: 1,
                        stderr: "cannot write relation settings".into(),
                    });
                }
                apply(&mut rel.local_app, data);
            } else {
                apply(&mut rel.local_unit, data);
            }
            Ok(())
        })
    }

    fn config_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError> {
        self.call("config-get".into());
        Ok(self.0.borrow().config.clone())
    }

    fn is_leader(&self) -> Result<bool, ToolError> {
        self.call("is-leader".into());
        Ok(self.0.borrow().leader)
    }

    fn status_set(&self, status: &Status, app: bool) -> Result<(), ToolError> {
        self.call(format!(
            "status-set --application={app} {}",
            status.kind.as_str()
        ));
        // What Juju would hold: the message as status-set sends it.
        let status = &Status {
            message: super::tools::outgoing(status),
            kind: status.kind,
            detail: None,
        };
        let mut st = self.0.borrow_mut();
        if app {
            if !st.leader {
                return Err(ToolError::Failed {
                    tool: "status-set".into(),
                    code: 1,
                    stderr: "this unit is not the leader".into(),
                });
            }
            st.app_status = Some(status.clone());
        } else {
            st.unit_status = Some(status.clone());
        }
        Ok(())
    }

    fn secret_get(
        &self,
        id: Option<&str>,
        label: Option<&str>,
        read: SecretRead,
    ) -> Result<SecretContent, ToolError> {
        self.call(format!(
            "secret-get {} {} {read:?}",
            id.unwrap_or("-"),
            label.unwrap_or("-")
        ));
        let mut st = self.0.borrow_mut();
        let key = match id {
            Some(id) => Some(id.to_string()),
            None => st
                .secrets
                .iter()
                .find(|(_, s)| s.label.as_deref() == label && label.is_some())
                .map(|(k, _)| k.clone()),
        };
        let Some(rec) = key.as_ref().and_then(|k| st.secrets.get_mut(k)) else {
            return Err(ToolError::SecretNotFound {
                tool: "secret-get".into(),
                stderr: format!("secret {:?} not found", id.or(label).unwrap_or("")),
            });
        };
        if let Some(l) = label {
            rec.label = Some(l.to_string());
        }
        let latest = rec.revisions.len();
        let rev = match read {
            SecretRead::Refresh => {
                rec.tracked = Some(latest);
                latest
            }
            SecretRead::Peek => latest,
            SecretRead::Tracked => *rec.tracked.get_or_insert(latest),
        };
        Ok(SecretContent::new(rec.revisions[rev - 1].clone()))
    }

    fn action_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, ToolError> {
        self.call("action-get".into());
        Ok(self.0.borrow().action_params.clone())
    }

    fn action_set(&self, results: &BTreeMap<String, String>) -> Result<(), ToolError> {
        self.call("action-set".into());
        self.0.borrow_mut().action_results.extend(results.clone());
        Ok(())
    }

    fn action_fail(&self, message: &str) -> Result<(), ToolError> {
        self.call("action-fail".into());
        self.0.borrow_mut().action_failed = Some(message.to_string());
        Ok(())
    }

    fn juju_log(&self, level: LogLevel, message: &str) -> Result<(), ToolError> {
        self.0.borrow_mut().logs.push((level, message.to_string()));
        Ok(())
    }
}
