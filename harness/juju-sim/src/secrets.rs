//! Juju secret semantics on the model, shared by the hook tools and the simulated providers:
//! ids, owners (application or unit), revisions (a new one only when the content differs),
//! owner labels vs per-consumer labels, grants to relations, and who may read what.

use crate::error::{Error, Result};
use crate::state::{app_of, Bag, Grant, Model, Secret};

/// The short id (`xid`) of any accepted secret reference (`secret:X`, `secret://uuid/X`, `X`).
pub fn short_id(reference: &str) -> &str {
    let r = reference.strip_prefix("secret:").unwrap_or(reference);
    r.rsplit('/').next().unwrap_or(r)
}

/// Find a secret by any accepted reference.
pub fn find<'a>(model: &'a Model, reference: &str) -> Option<&'a Secret> {
    model
        .secrets
        .get(&format!("secret:{}", short_id(reference)))
}

/// True when `unit` owns the secret (app-owned: any unit of the app views it).
pub fn is_owner_side(s: &Secret, unit: &str) -> bool {
    match s.owner_kind.as_str() {
        "unit" => s.owner == unit,
        _ => s.owner == app_of(unit),
    }
}

/// True when `unit` may manage (set, grant, remove) the secret.
pub fn can_manage(model: &Model, s: &Secret, unit: &str) -> bool {
    match s.owner_kind.as_str() {
        "unit" => s.owner == unit,
        _ => s.owner == app_of(unit) && model.is_leader(unit),
    }
}

/// True when a grant gives `unit` access.
pub fn is_granted(model: &Model, s: &Secret, unit: &str) -> bool {
    s.grants.iter().any(|g| {
        model
            .relations
            .get(&g.relation)
            .is_some_and(|r| r.has_app(app_of(unit)))
            && g.unit.as_deref().is_none_or(|u| u == unit)
    })
}

/// Find by label: the owner label of a secret `unit` owns, else this unit's consumer label.
pub fn find_by_label<'a>(model: &'a Model, unit: &str, label: &str) -> Option<&'a Secret> {
    model
        .secrets
        .values()
        .find(|s| is_owner_side(s, unit) && s.label.as_deref() == Some(label))
        .or_else(|| {
            model.secrets.values().find(|s| {
                s.consumers
                    .get(unit)
                    .is_some_and(|c| c.label.as_deref() == Some(label))
            })
        })
}

/// Check Juju's secret content key rule.
pub fn valid_key(k: &str) -> bool {
    let b = k.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_lowercase() {
        return false;
    }
    let mut prev_dash = false;
    for (i, c) in b.iter().enumerate().skip(1) {
        match c {
            b'-' if !prev_dash && i + 1 < b.len() => prev_dash = true,
            c if c.is_ascii_lowercase() || c.is_ascii_digit() => prev_dash = false,
            _ => return false,
        }
    }
    true
}

/// Create a secret; returns its id (`secret:<xid>`).
pub fn create(
    model: &mut Model,
    owner_kind: &str,
    owner: &str,
    content: Bag,
    label: Option<String>,
) -> Result<String> {
    if let Some(l) = &label {
        if model.secrets.values().any(|s| {
            s.owner == owner && s.owner_kind == owner_kind && s.label.as_deref() == Some(l)
        }) {
            return Err(Error::run(format!(
                "secret with label {l:?} already exists"
            )));
        }
    }
    let id = crate::state::new_secret_id();
    let mut revisions = std::collections::BTreeMap::new();
    revisions.insert(1, content);
    model.secrets.insert(
        id.clone(),
        Secret {
            id: id.clone(),
            owner_kind: owner_kind.into(),
            owner: owner.into(),
            revisions,
            label,
            description: None,
            expire: None,
            rotate: None,
            grants: vec![],
            consumers: Default::default(),
        },
    );
    Ok(id)
}

/// Publish new content: a new revision only when it differs from the latest (Juju ≥ 3.6).
/// Returns true when a revision was added.
pub fn set_content(model: &mut Model, id: &str, content: Bag) -> bool {
    let Some(s) = model.secrets.get_mut(id) else {
        return false;
    };
    if s.content(s.latest()) == Some(&content) {
        return false;
    }
    let next = s.latest() + 1;
    s.revisions.insert(next, content);
    true
}

/// Grant a secret to a relation (optionally one unit).
pub fn grant(model: &mut Model, id: &str, relation: u64, unit: Option<String>) {
    if let Some(s) = model.secrets.get_mut(id) {
        let g = Grant { relation, unit };
        if !s.grants.contains(&g) {
            s.grants.push(g);
        }
    }
}
