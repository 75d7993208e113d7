//! The event Juju is running, parsed from `JUJU_DISPATCH_PATH` and the other `JUJU_*` variables.
//!
//! Pure: it reads from a variable lookup the caller gives (the process environment in `main`,
//! a map in tests). Names and forms follow docs/spec/juju.md §1 and relations.md §6.1:
//! `JUJU_DISPATCH_PATH=hooks/<hook>` or `actions/<action>`, `JUJU_RELATION_ID=<endpoint>:<id>`.

use std::fmt;
use thiserror::Error;

/// A relation as hook tools name it: `<endpoint>:<id>` (what `-r` takes and `relation-ids` prints).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelationRef {
    pub endpoint: String,
    pub id: u64,
}

impl RelationRef {
    /// Parses `endpoint:N`; Juju also accepts a bare `N`, but then the endpoint is unknown.
    pub fn parse(text: &str) -> Option<RelationRef> {
        let (endpoint, id) = text.rsplit_once(':')?;
        if endpoint.is_empty() {
            return None;
        }
        Some(RelationRef {
            endpoint: endpoint.to_string(),
            id: id.parse().ok()?,
        })
    }
}

impl fmt::Display for RelationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.endpoint, self.id)
    }
}

/// The five relation hook kinds; matched on the suffix because endpoint names may hold hyphens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationHook {
    Created,
    Joined,
    Changed,
    Departed,
    Broken,
}

impl RelationHook {
    const SUFFIXES: [(&'static str, RelationHook); 5] = [
        ("-relation-created", RelationHook::Created),
        ("-relation-joined", RelationHook::Joined),
        ("-relation-changed", RelationHook::Changed),
        ("-relation-departed", RelationHook::Departed),
        ("-relation-broken", RelationHook::Broken),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretHook {
    Changed,
    Rotate,
    Remove,
    Expired,
}

/// What happened, without the per-kind details (those are in [`Event`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Install,
    Start,
    Stop,
    Remove,
    ConfigChanged,
    UpdateStatus,
    UpgradeCharm,
    LeaderElected,
    LeaderSettingsChanged,
    Relation(RelationHook),
    Secret(SecretHook),
    Action(ActionName),
    /// A hook this charm has no use for (storage, pebble, collect-metrics, ...): still dispatched.
    Other(String),
}

/// The actions of actions.yaml, parsed once here; Juju runs no other, so [`ActionName::Unknown`]
/// means actions.yaml and this list disagree (the action fails saying so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionName {
    Status,
    Plan,
    Pause,
    Stop,
    Resume,
    Restart,
    Lag,
    FailoverCheck,
    Failover,
    Unknown(String),
}

impl ActionName {
    pub const KNOWN: [ActionName; 9] = [
        ActionName::Status,
        ActionName::Plan,
        ActionName::Pause,
        ActionName::Stop,
        ActionName::Resume,
        ActionName::Restart,
        ActionName::Lag,
        ActionName::FailoverCheck,
        ActionName::Failover,
    ];

    pub fn parse(name: &str) -> ActionName {
        ActionName::KNOWN
            .into_iter()
            .find(|a| a.as_str() == name)
            .unwrap_or_else(|| ActionName::Unknown(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            ActionName::Status => "status",
            ActionName::Plan => "plan",
            ActionName::Pause => "pause",
            ActionName::Stop => "stop",
            ActionName::Resume => "resume",
            ActionName::Restart => "restart",
            ActionName::Lag => "lag",
            ActionName::FailoverCheck => "failover-check",
            ActionName::Failover => "failover",
            ActionName::Unknown(name) => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationEvent {
    pub relation: RelationRef,
    pub remote_app: Option<String>,
    pub remote_unit: Option<String>,
    pub departing_unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEvent {
    pub id: String,
    pub label: Option<String>,
    pub revision: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionEvent {
    pub name: String,
    pub uuid: String,
}

/// One dispatch: the unit, its model and the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The dispatch path as given, e.g. `hooks/source-relation-changed`; for logs.
    pub dispatch_path: String,
    pub unit: String,
    pub app: String,
    pub model_name: String,
    pub model_uuid: String,
    pub juju_version: String,
    pub relation: Option<RelationEvent>,
    pub secret: Option<SecretEvent>,
    pub action: Option<ActionEvent>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventError {
    #[error("environment variable {0} is not set; this program is run by Juju through ./dispatch")]
    Missing(&'static str),
    #[error("JUJU_DISPATCH_PATH {0:?} is neither hooks/<name> nor actions/<name>")]
    BadDispatchPath(String),
    #[error("JUJU_RELATION_ID {0:?} is not of the form <endpoint>:<id>")]
    BadRelationId(String),
    #[error("JUJU_UNIT_NAME {0:?} is not of the form <app>/<number>")]
    BadUnitName(String),
}

impl Event {
    /// Parses the event from a variable lookup (e.g. `|k| std::env::var(k).ok()`).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Event, EventError> {
        let get = |k: &str| var(k).filter(|v| !v.is_empty());
        let dispatch_path =
            get("JUJU_DISPATCH_PATH").ok_or(EventError::Missing("JUJU_DISPATCH_PATH"))?;
        let unit = get("JUJU_UNIT_NAME").ok_or(EventError::Missing("JUJU_UNIT_NAME"))?;
        let app = match unit.split_once('/') {
            Some((app, n)) if !app.is_empty() && n.parse::<u64>().is_ok() => app.to_string(),
            _ => return Err(EventError::BadUnitName(unit)),
        };
        let (dir, name) = dispatch_path
            .rsplit_once('/')
            .map(|(d, n)| (d.rsplit('/').next().unwrap_or(d), n))
            .ok_or_else(|| EventError::BadDispatchPath(dispatch_path.clone()))?;
        let kind = match dir {
            "actions" => EventKind::Action(ActionName::parse(name)),
            "hooks" => hook_kind(name),
            _ => return Err(EventError::BadDispatchPath(dispatch_path.clone())),
        };

        let relation = match &kind {
            EventKind::Relation(_) => {
                let raw = get("JUJU_RELATION_ID").ok_or(EventError::Missing("JUJU_RELATION_ID"))?;
                let relation = RelationRef::parse(&raw)
                    .or_else(|| {
                        // Juju always sends endpoint:id, but accept a bare id with JUJU_RELATION.
                        Some(RelationRef {
                            endpoint: get("JUJU_RELATION")?,
                            id: raw.parse().ok()?,
                        })
                    })
                    .ok_or(EventError::BadRelationId(raw))?;
                let remote_unit = get("JUJU_REMOTE_UNIT");
                let remote_app = get("JUJU_REMOTE_APP").or_else(|| {
                    remote_unit
                        .as_deref()
                        .and_then(|u| u.split_once('/'))
                        .map(|(a, _)| a.to_string())
                });
                Some(RelationEvent {
                    relation,
                    remote_app,
                    remote_unit,
                    departing_unit: get("JUJU_DEPARTING_UNIT"),
                })
            }
            _ => None,
        };
        let secret = match &kind {
            EventKind::Secret(_) => Some(SecretEvent {
                id: get("JUJU_SECRET_ID").ok_or(EventError::Missing("JUJU_SECRET_ID"))?,
                label: get("JUJU_SECRET_LABEL"),
                revision: get("JUJU_SECRET_REVISION").and_then(|r| r.parse().ok()),
            }),
            _ => None,
        };
        let action = match &kind {
            EventKind::Action(name) => Some(ActionEvent {
                name: get("JUJU_ACTION_NAME").unwrap_or_else(|| name.as_str().to_string()),
                uuid: get("JUJU_ACTION_UUID").unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(Event {
            kind,
            dispatch_path,
            unit,
            app,
            model_name: get("JUJU_MODEL_NAME").unwrap_or_default(),
            model_uuid: get("JUJU_MODEL_UUID").ok_or(EventError::Missing("JUJU_MODEL_UUID"))?,
            juju_version: get("JUJU_VERSION").unwrap_or_else(|| "0.0.0".to_string()),
            relation,
            secret,
            action,
        })
    }

    /// The hook or action name, e.g. `source-relation-changed` or `status`.
    pub fn name(&self) -> &str {
        self.dispatch_path
            .rsplit('/')
            .next()
            .unwrap_or(&self.dispatch_path)
    }
}

fn hook_kind(name: &str) -> EventKind {
    for (suffix, hook) in RelationHook::SUFFIXES {
        if let Some(endpoint) = name.strip_suffix(suffix) {
            if !endpoint.is_empty() {
                return EventKind::Relation(hook);
            }
        }
    }
    match name {
        "install" => EventKind::Install,
        "start" => EventKind::Start,
        "stop" => EventKind::Stop,
        "remove" => EventKind::Remove,
        "config-changed" => EventKind::ConfigChanged,
        "update-status" => EventKind::UpdateStatus,
        "upgrade-charm" => EventKind::UpgradeCharm,
        "leader-elected" => EventKind::LeaderElected,
        "leader-settings-changed" => EventKind::LeaderSettingsChanged,
        "secret-changed" => EventKind::Secret(SecretHook::Changed),
        "secret-rotate" => EventKind::Secret(SecretHook::Rotate),
        "secret-remove" => EventKind::Secret(SecretHook::Remove),
        "secret-expired" => EventKind::Secret(SecretHook::Expired),
        other => EventKind::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<Event, EventError> {
        let mut env: HashMap<String, String> = [
            ("JUJU_UNIT_NAME", "mirrormaker/0"),
            ("JUJU_MODEL_UUID", "0a1b2c3d-0000-4000-8000-00000000abcd"),
            ("JUJU_MODEL_NAME", "dev"),
            ("JUJU_VERSION", "3.6.4"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            env.insert(k.to_string(), v.to_string());
        }
        Event::from_vars(|k| env.get(k).cloned())
    }

    // A plain hook is recognised and the app name is derived from the unit name.
    #[test]
    fn plain_hook() {
        let e = parse(&[("JUJU_DISPATCH_PATH", "hooks/config-changed")]).unwrap();
        assert_eq!(e.kind, EventKind::ConfigChanged);
        assert_eq!(e.app, "mirrormaker");
        assert_eq!(e.name(), "config-changed");
        assert!(e.relation.is_none());
    }

    // A relation hook of a hyphenated endpoint keeps the whole endpoint and the numeric id.
    #[test]
    fn relation_hook_with_hyphenated_endpoint() {
        let e = parse(&[
            (
                "JUJU_DISPATCH_PATH",
                "hooks/connect-client-relation-changed",
            ),
            ("JUJU_RELATION", "connect-client"),
            ("JUJU_RELATION_ID", "connect-client:7"),
            ("JUJU_REMOTE_APP", "kafka-connect"),
            ("JUJU_REMOTE_UNIT", "kafka-connect/0"),
        ])
        .unwrap();
        assert_eq!(e.kind, EventKind::Relation(RelationHook::Changed));
        let r = e.relation.unwrap();
        assert_eq!(
            r.relation,
            RelationRef {
                endpoint: "connect-client".into(),
                id: 7
            }
        );
        assert_eq!(r.remote_app.as_deref(), Some("kafka-connect"));
        assert_eq!(r.remote_unit.as_deref(), Some("kafka-connect/0"));
    }

    // departed carries the departing unit; a missing JUJU_REMOTE_APP is derived from the unit.
    #[test]
    fn departed_hook() {
        let e = parse(&[
            ("JUJU_DISPATCH_PATH", "hooks/source-relation-departed"),
            ("JUJU_RELATION_ID", "source:3"),
            ("JUJU_REMOTE_UNIT", "kafka-a/1"),
            ("JUJU_DEPARTING_UNIT", "kafka-a/1"),
        ])
        .unwrap();
        let r = e.relation.unwrap();
        assert_eq!(r.remote_app.as_deref(), Some("kafka-a"));
        assert_eq!(r.departing_unit.as_deref(), Some("kafka-a/1"));
    }

    // secret-changed carries id, label and revision.
    #[test]
    fn secret_hook() {
        let e = parse(&[
            ("JUJU_DISPATCH_PATH", "hooks/secret-changed"),
            ("JUJU_SECRET_ID", "secret:abc"),
            ("JUJU_SECRET_LABEL", "source.3.user.secret"),
            ("JUJU_SECRET_REVISION", "2"),
        ])
        .unwrap();
        assert_eq!(e.kind, EventKind::Secret(SecretHook::Changed));
        let s = e.secret.unwrap();
        assert_eq!(
            (s.id.as_str(), s.label.as_deref(), s.revision),
            ("secret:abc", Some("source.3.user.secret"), Some(2))
        );
    }

    // An action is recognised from actions/<name> and carries its uuid.
    #[test]
    fn action() {
        let e = parse(&[
            ("JUJU_DISPATCH_PATH", "actions/status"),
            ("JUJU_ACTION_NAME", "status"),
            ("JUJU_ACTION_UUID", "42"),
        ])
        .unwrap();
        assert_eq!(e.kind, EventKind::Action(ActionName::Status));
        assert_eq!(e.action.unwrap().uuid, "42");
    }

    // Malformed input is refused with a message naming the variable.
    #[test]
    fn errors_name_the_variable() {
        assert_eq!(
            parse(&[("JUJU_DISPATCH_PATH", "hooks/source-relation-changed")]).unwrap_err(),
            EventError::Missing("JUJU_RELATION_ID")
        );
        assert_eq!(
            parse(&[("JUJU_DISPATCH_PATH", "whatever")]).unwrap_err(),
            EventError::BadDispatchPath("whatever".into())
        );
        assert!(matches!(
            parse(&[
                ("JUJU_DISPATCH_PATH", "hooks/source-relation-changed"),
                ("JUJU_RELATION_ID", "source:x")
            ]),
            Err(EventError::BadRelationId(_))
        ));
    }

    // Unknown hooks are still parsed (storage, pebble...) rather than failing the dispatch.
    #[test]
    fn other_hooks_are_kept() {
        let e = parse(&[("JUJU_DISPATCH_PATH", "hooks/data-storage-attached")]).unwrap();
        assert_eq!(e.kind, EventKind::Other("data-storage-attached".into()));
    }
}
