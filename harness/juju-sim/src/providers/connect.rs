//! Charmed Kafka Connect on `connect-client` (kafka-connect-operator HEAD with its vendored
//! data_interfaces v0 provider). On every relation-changed the leader snapshots the request
//! (`data`); once the snapshot has seen `plugin-url` added (`integration_requested`, deferred
//! until it succeeds) it creates REST user `relation-<id>` — with a backend, by running the
//! provision program — and publishes, through the v0 secret rules, `set_credentials`
//! (`username`, `password` → `secret-user`) then `set_endpoints` (`endpoints`, full URLs).
//! `update_clients_data` then runs on every event but rewrites a client only when the set of
//! its published `endpoints` differs from the current one — so on a fresh relation, whose
//! endpoints were just published, nothing more is written and there is no `secret-tls`. Only
//! a later change of the endpoint set (TLS switched on: http → https; a worker added or
//! removed; `set-backend` with other endpoints) writes `endpoints`, `username`, `password`,
//! `tls` and `tls-ca` (the CA PEM, or `disabled`) — the tls pair into `secret-tls`.
//! Clean-up: when a requirer unit departs, every connector named `.+?r<id>_[0-9a-f]{32}$` is
//! deleted over the REST API with the backend's admin credentials.

use std::path::Path;

use serde_json::Value;

use crate::error::Result;
use crate::state::{app_of, EventKind, Model};

pub const ENDPOINT: &str = "connect-client";

/// The current REST endpoints, TLS switch and CA (backend, or invented http endpoints).
fn current(model: &Model, app: &str) -> (String, bool, String) {
    let backend = model
        .apps
        .get(app)
        .and_then(|a| a.backend.clone())
        .unwrap_or(Value::Null);
    let ca = backend
        .get("tls_ca")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // KC: `tls_enabled` = peer TLS on and this unit's certificate ready; a backend may say
    // `"tls": false` to reproduce https endpoints published before the certificate arrived.
    let tls_flag = backend.get("tls").and_then(Value::as_bool);
    let tls = tls_flag.unwrap_or(!ca.is_empty());
    // KC's REST scheme follows the peer TLS switch alone (`rest_protocol`).
    let scheme = if !ca.is_empty() || tls_flag == Some(true) {
        "https"
    } else {
        "http"
    };
    let endpoints = match backend.get("endpoints").and_then(Value::as_str) {
        Some(e) => e.to_string(),
        None => model
            .units_of(app)
            .iter()
            .map(|u| format!("{scheme}://{}:8083", model.units[u].address))
            .collect::<Vec<_>>()
            .join(","),
    };
    (endpoints, tls, ca)
}

/// One event on the leader.
pub fn handle(model: &mut Model, dir: &Path, unit: &str, ev: &EventKind) -> Result<()> {
    let app = app_of(unit).to_string();
    if let EventKind::RelationChanged { rel, .. } = ev {
        super::di0_snapshot(model, &app, *rel);
    }
    for rid in super::unanswered_requests(model, &app, "plugin-url")? {
        integration_requested(model, dir, unit, rid)?;
    }
    if !matches!(
        ev,
        EventKind::RelationCreated { .. } | EventKind::LeaderElected
    ) {
        update_clients_data(model, &app)?;
    }
    Ok(())
}

/// KC `ConnectProvider._on_integration_requested` on the leader (plugin-url NOT-REQUIRED or
/// already loaded): credentials, then endpoints.
fn integration_requested(model: &mut Model, dir: &Path, unit: &str, rid: u64) -> Result<()> {
    let app = app_of(unit).to_string();
    let user = format!("relation-{rid}");
    let password = super::password_for(model, &app, rid)?;
    let backend = model.app(&app)?.backend.clone().unwrap_or(Value::Null);
    let extra = [
        "--user".to_string(),
        user.clone(),
        "--password".into(),
        password.clone(),
    ];
    if let Err(e) = super::provision(&backend, &extra) {
        super::provisioning_failed(model, dir, unit, rid, &user, e);
        return Ok(());
    }
    super::di0_update(
        model,
        &app,
        ENDPOINT,
        rid,
        &[("username", user.clone()), ("password", password)],
    )?;
    let (endpoints, _, _) = current(model, &app);
    super::di0_update(model, &app, ENDPOINT, rid, &[("endpoints", endpoints)])?;
    super::mark_answered(
        model,
        dir,
        unit,
        rid,
        &format!("{ENDPOINT}:{rid}: created REST user {user}"),
    )
}

/// KC `ConnectHandler.update_clients_data`: skips clients without a password (the password is
/// read through a remote unit, so also clients none of whose units has joined) and clients
/// whose published endpoint set equals the current one.
fn update_clients_data(model: &mut Model, app: &str) -> Result<()> {
    let leader = model.app(app)?.leader.clone().unwrap_or_default();
    let (endpoints, tls, ca) = current(model, app);
    let now: std::collections::BTreeSet<&str> = endpoints.split(',').collect();
    for rid in super::relations_of(model, app) {
        let Some(p) = model.app(app)?.provider.get(&rid).cloned() else {
            continue;
        };
        if !p.answered || !super::has_remote_units(model, &leader, rid) {
            continue;
        }
        let own = super::own_bag(model, app, rid);
        let published = own.get("endpoints").cloned().unwrap_or_default();
        if published
            .split(',')
            .collect::<std::collections::BTreeSet<_>>()
            == now
        {
            continue;
        }
        let (tls_flag, tls_ca) = if tls {
            ("enabled", ca.clone())
        } else {
            ("disabled", "disabled".to_string())
        };
        super::di0_update(
            model,
            app,
            ENDPOINT,
            rid,
            &[
                ("endpoints", endpoints.clone()),
                ("username", format!("relation-{rid}")),
                ("password", p.password.clone()),
                ("tls", tls_flag.to_string()),
                ("tls-ca", tls_ca),
            ],
        )?;
    }
    Ok(())
}

/// KC's `_managed_connector_regex(rid)` = `.+?r<rid>_[0-9a-f]{32}$`, without a regex engine.
pub fn is_managed(name: &str, rid: u64) -> bool {
    let b = name.as_bytes();
    if b.len() < 33 {
        return false;
    }
    let (head, hex) = name.split_at(name.len() - 32);
    if !hex
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        return false;
    }
    let Some(head) = head.strip_suffix('_') else {
        return false;
    };
    head.strip_suffix(&format!("r{rid}"))
        .is_some_and(|p| !p.is_empty())
}

/// Delete the relation's connectors over REST (backend only); failures are logged, not raised.
pub fn cleanup(model: &Model, dir: &Path, unit: &str, rid: u64) {
    let backend = model.apps.get(app_of(unit)).and_then(|a| a.backend.clone());
    let Some(backend) = backend else {
        crate::logs::append(
            dir,
            unit,
            "INFO",
            &format!("connect-client:{rid}: no backend, no connectors to clean up"),
        );
        return;
    };
    match delete_connectors(&backend, rid) {
        Ok(deleted) => crate::logs::append(
            dir,
            unit,
            "INFO",
            &format!(
                "connect-client:{rid}: deleted connectors [{}]",
                deleted.join(", ")
            ),
        ),
        Err(e) => crate::logs::append(
            dir,
            unit,
            "WARNING",
            &format!("connect-client:{rid}: clean-up failed: {e}"),
        ),
    }
}

fn delete_connectors(backend: &Value, rid: u64) -> std::result::Result<Vec<String>, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(20));
    let endpoints = backend
        .get("endpoints")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // The CA is only needed (and only parsed) for https endpoints.
    let https = endpoints.contains("https://");
    if let Some(ca) = backend
        .get("tls_ca")
        .and_then(Value::as_str)
        .filter(|_| https)
    {
        let certs =
            reqwest::Certificate::from_pem_bundle(ca.as_bytes()).map_err(|e| e.to_string())?;
        b = b.tls_certs_only(certs);
    }
    let client = b.build().map_err(|e| chain(&e))?;
    let user = backend
        .get("admin_user")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let pass = backend.get("admin_password").and_then(Value::as_str);
    let mut last = String::from("no endpoints");
    for ep in endpoints
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let base = ep.trim_end_matches('/');
        let names: Vec<String> = match client
            .get(format!("{base}/connectors"))
            .basic_auth(user, pass)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
        {
            Ok(n) => n,
            Err(e) => {
                last = chain(&e);
                continue;
            }
        };
        let mut deleted = vec![];
        for n in names.into_iter().filter(|n| is_managed(n, rid)) {
            let r = client
                .delete(format!("{base}/connectors/{n}"))
                .basic_auth(user, pass)
                .send()
                .map_err(|e| e.to_string())?;
            if r.status().is_success() || r.status().as_u16() == 404 {
                deleted.push(n);
            } else {
                return Err(format!("DELETE {n}: HTTP {}", r.status()));
            }
        }
        return Ok(deleted);
    }
    Err(last)
}

/// An error with its sources, e.g. "error sending request: connection refused".
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::is_managed;

    /// Pins the clean-up matcher to KC's `.+?r<id>_[0-9a-f]{32}$`.
    #[test]
    fn managed_connector_names() {
        let h = "0123456789abcdef0123456789abcdef";
        assert!(is_managed(&format!("mirror_source_a_r7_{h}"), 7));
        assert!(is_managed(&format!("xr7_{h}"), 7));
        assert!(
            !is_managed(&format!("r7_{h}"), 7),
            "needs at least one char before r"
        );
        assert!(!is_managed(&format!("mirror_r17_{h}"), 7));
        assert!(!is_managed(&format!("mirror_r7_{}", h.to_uppercase()), 7));
        assert!(!is_managed(&format!("mirror_r7_{h}0"), 7));
        assert!(!is_managed("mirror_r7_", 7));
    }
}
