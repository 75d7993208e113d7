//! Reading a provider's answer the way data_interfaces v0 does (relations.md §2.2, §5.2):
//! plain databag fields first, then the content of each `secret-<group>` secret over them,
//! read with our consumer label `<endpoint>.<id>.<group>.secret` and `--refresh` so a rotated
//! password is picked up.

use crate::juju::{HookTools, RelationRef, SecretRead, ToolError};
use std::collections::BTreeMap;
use std::fmt;

/// One related application and what it has sent so far.
#[derive(Debug, Clone)]
pub struct Related<T> {
    pub rel: RelationRef,
    /// The remote application's name (the MirrorMaker alias for Kafka relations).
    pub app: String,
    /// The secrets its databag names (`secret-user`, `secret-tls`), whether or not they could
    /// be read: no two relations may name the same one ([`super::shared_secrets`]).
    pub secrets: Vec<SecretRef>,
    pub data: Result<T, NotReady>,
}

/// A secret named in a provider's databag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    /// The databag key, e.g. `secret-user`.
    pub field: String,
    /// The URI as written (`secret:<id>` or `secret://<model>/<id>`).
    pub uri: String,
}

/// Why a relation's data cannot be used yet. Never a reason to delete anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// These fields have not arrived (yet).
    Missing(Vec<&'static str>),
    /// A secret named in the databag cannot be read (not granted yet, or removed).
    SecretUnreadable { group: String, reason: String },
    /// A field arrived but cannot be used.
    Invalid { field: &'static str, reason: String },
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotReady::Missing(fields) => write!(f, "waiting for {}", fields.join(", ")),
            NotReady::SecretUnreadable { group, reason } => {
                write!(f, "cannot read the '{group}' secret yet ({reason})")
            }
            NotReady::Invalid { field, reason } => write!(f, "unusable '{field}': {reason}"),
        }
    }
}

/// Field values read from a provider, merged from databag and secrets. Values may be
/// passwords, so `Debug` shows keys only.
#[derive(Default)]
pub(crate) struct Fields(BTreeMap<String, String>);

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Fields {
    /// A non-empty value.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The fields among `required` that are absent or empty.
    pub(crate) fn missing(&self, required: &[&'static str]) -> Vec<&'static str> {
        required
            .iter()
            .copied()
            .filter(|k| self.get(k).is_none())
            .collect()
    }
}

/// Which secret group a field belongs to (DI0 `SECRET_LABEL_MAP`).
fn group_of(field: &str) -> &'static str {
    match field {
        "username" | "password" | "uris" | "read-only-uris" => "user",
        "tls" | "tls-ca" => "tls",
        "mtls-cert" => "mtls",
        "entity-name" | "entity-password" => "entity",
        _ => "extra",
    }
}

/// What [`read`] returns: the secrets the databag names, and the merged fields (or why not).
pub(crate) type Answer = (Vec<SecretRef>, Result<Fields, NotReady>);

/// Reads the remote app databag and the secrets of the groups that `fields` belong to.
fn read(
    tools: &dyn HookTools,
    rel: &RelationRef,
    remote_app: &str,
    fields: &[&str],
) -> Result<Answer, ToolError> {
    let bag = tools.relation_get(rel, remote_app, true)?;
    let mut out: BTreeMap<String, String> = fields
        .iter()
        .filter_map(|f| bag.get(*f).map(|v| (f.to_string(), v.clone())))
        .collect();
    let mut groups: Vec<&str> = fields.iter().map(|f| group_of(f)).collect();
    groups.dedup();
    let named: Vec<SecretRef> = groups
        .iter()
        .filter_map(|group| {
            let field = format!("secret-{group}");
            let uri = bag.get(&field).filter(|u| !u.trim().is_empty())?;
            Some(SecretRef {
                field,
                uri: uri.clone(),
            })
        })
        .collect();
    for secret in &named {
        let group = secret.field.trim_start_matches("secret-");
        let label = format!("{}.{}.{group}.secret", rel.endpoint, rel.id);
        match tools.secret_get(Some(&secret.uri), Some(&label), SecretRead::Refresh) {
            Ok(content) => {
                for f in fields.iter().filter(|f| group_of(f) == group) {
                    if let Some(v) = content.get(f) {
                        out.insert(f.to_string(), v.to_string());
                    }
                }
            }
            Err(e @ (ToolError::SecretNotFound { .. } | ToolError::Failed { .. })) => {
                let why = NotReady::SecretUnreadable {
                    group: group.to_string(),
                    reason: e.to_string(),
                };
                return Ok((named, Err(why)));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((named, Ok(Fields(out))))
}

/// The fields both interfaces answer with, and the three that make a relation ready
/// (what Canonical's integrators check: endpoints, username and password non-empty).
const FIELDS: [&str; 5] = ["endpoints", "username", "password", "tls", "tls-ca"];
const REQUIRED: [&str; 3] = ["endpoints", "username", "password"];

/// Reads the provider's answer and checks it is ready.
pub(crate) fn read_ready(
    tools: &dyn HookTools,
    rel: &RelationRef,
    remote_app: &str,
) -> Result<Answer, ToolError> {
    let (named, fields) = read(tools, rel, remote_app, &FIELDS)?;
    let fields = fields.and_then(|f| {
        let missing = f.missing(&REQUIRED);
        if missing.is_empty() {
            Ok(f)
        } else {
            Err(NotReady::Missing(missing))
        }
    });
    Ok((named, fields))
}

/// The CA text from a `tls-ca` field, if it holds a PEM block (the caller parses it as
/// X.509). Older providers put `enabled` or `disabled` there (relations.md §2.1): those mean
/// "no CA".
pub(crate) fn pem_ca(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| v.contains("-----BEGIN"))
        .map(|v| format!("{v}\n"))
}

/// TLS on ⇔ `tls` ∈ {`enabled`, `true`} (not Python truthiness: `disabled` is off).
pub(crate) fn tls_on(value: Option<&str>) -> bool {
    matches!(value.map(str::trim), Some("enabled" | "true" | "True"))
}
