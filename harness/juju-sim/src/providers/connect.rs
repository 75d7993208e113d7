//! Charmed Kafka Connect on `connect-client` (DI0 provider): once the requirer's app databag has
//! `plugin-url`, the leader creates REST user `relation-<id>`, (with a backend) provisions it, and
//! answers with `endpoints` (full URLs) and `secret-user` (or plain `username`/`password` when the
//! requirer did not ask for secrets), plus `secret-tls` (`tls`, `tls-ca`) when the backend has a CA.
//! Clean-up: when a requirer unit departs, every connector named `.+?r<id>_[0-9a-f]{32}$` is
//! deleted over the REST API with the backend's admin credentials.

use std::path::Path;

use serde_json::Value;

use crate::error::Result;
use crate::state::{app_of, Bag, Model};

pub const ENDPOINT: &str = "connect-client";

fn requested_secrets(req: &Bag) -> Vec<String> {
    req.get("requested-secrets")
        .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
        .unwrap_or_default()
}

pub fn reconcile(model: &mut Model, dir: &Path, unit: &str, rid: u64) -> Result<()> {
    let app = app_of(unit).to_string();
    let Some(req) = super::unanswered_request(model, &app, rid)? else {
        return Ok(());
    };
    if !req.contains_key("plugin-url") {
        return Ok(());
    }
    let backend = model.app(&app)?.backend.clone().unwrap_or(Value::Null);
    let user = format!("relation-{rid}");
    let password = {
        let p = model.app_mut(&app)?.provider.entry(rid).or_default();
        if p.password.is_empty() {
            p.password = super::new_password();
        }
        p.password.clone()
    };
    let extra = [
        "--user".to_string(),
        user.clone(),
        "--password".into(),
        password.clone(),
    ];
    if let Err(e) = super::provision(&backend, &extra) {
        crate::logs::append(
            dir,
            unit,
            "WARNING",
            &format!("connect-client:{rid}: provisioning {user} failed, will retry: {e}"),
        );
        model
            .app_mut(&app)?
            .provider
            .entry(rid)
            .or_default()
            .last_error = e;
        return Ok(());
    }
    let ca = backend
        .get("tls_ca")
        .and_then(Value::as_str)
        .map(String::from);
    let endpoints = match backend.get("endpoints").and_then(Value::as_str) {
        Some(e) => e.to_string(),
        None => model
            .units_of(&app)
            .iter()
            .map(|u| format!("http://{}:8083", model.units[u].address))
            .collect::<Vec<_>>()
            .join(","),
    };
    let wanted = requested_secrets(&req);
    let mut answer = Bag::new();
    answer.insert("endpoints".into(), endpoints);
    let mut creds = Bag::new();
    creds.insert("username".into(), user.clone());
    creds.insert("password".into(), password);
    if wanted.iter().any(|w| w == "username") {
        let id = crate::secrets::create(
            model,
            "application",
            &app,
            creds,
            Some(format!("{ENDPOINT}.{rid}.user.secret")),
        )?;
        crate::secrets::grant(model, &id, rid, None);
        answer.insert("secret-user".into(), id);
    } else {
        answer.extend(creds);
    }
    if let Some(ca) = ca {
        let mut tls = Bag::new();
        tls.insert("tls".into(), "enabled".into());
        tls.insert("tls-ca".into(), ca);
        if wanted.iter().any(|w| w == "tls-ca") {
            let id = crate::secrets::create(
                model,
                "application",
                &app,
                tls,
                Some(format!("{ENDPOINT}.{rid}.tls.secret")),
            )?;
            crate::secrets::grant(model, &id, rid, None);
            answer.insert("secret-tls".into(), id);
        } else {
            answer.extend(tls);
        }
    }
    super::publish(
        model,
        dir,
        unit,
        &app,
        rid,
        (answer, &req),
        &format!("connect-client:{rid}: created REST user {user}"),
    )
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
