//! Charmed Apache Kafka on `kafka-client` (DI1 provider answering a v0 requirer): once the
//! requirer's app databag has `topic`, the leader creates user `relation-<id>`, (with a backend)
//! provisions it, and answers in its app databag with `endpoints`, `tls`, `secret-user`,
//! `secret-tls` (TLS only) and the noise keys `topic`, `resource`, `salt`, `version`, `data`.

use std::path::Path;

use serde_json::Value;

use crate::error::Result;
use crate::state::{app_of, Bag, Model};

pub const ENDPOINT: &str = "kafka-client";

pub fn reconcile(model: &mut Model, dir: &Path, unit: &str, rid: u64) -> Result<()> {
    let app = app_of(unit).to_string();
    let Some(req) = super::unanswered_request(model, &app, rid)? else {
        return Ok(());
    };
    let Some(topic) = req.get("topic").cloned() else {
        return Ok(());
    };
    let roles = req.get("extra-user-roles").cloned().unwrap_or_default();
    let backend = model.app(&app)?.backend.clone().unwrap_or(Value::Null);
    let user = format!("relation-{rid}");
    let password = {
        let p = model.app_mut(&app)?.provider.entry(rid).or_default();
        if p.password.is_empty() {
            p.password = super::new_password();
        }
        p.password.clone()
    };
    let extra = provision_args(&user, &password, &roles, &topic);
    if let Err(e) = super::provision(&backend, &extra) {
        crate::logs::append(
            dir,
            unit,
            "WARNING",
            &format!("kafka-client:{rid}: provisioning {user} failed, will retry: {e}"),
        );
        model
            .app_mut(&app)?
            .provider
            .entry(rid)
            .or_default()
            .last_error = e;
        return Ok(());
    }
    let tls = backend.get("tls").and_then(Value::as_bool).unwrap_or(false);
    let endpoints = match backend.get("endpoints").and_then(Value::as_str) {
        Some(e) => e.to_string(),
        None => {
            let port = if tls { 9093 } else { 9092 };
            let mut eps: Vec<String> = model
                .units_of(&app)
                .iter()
                .map(|u| format!("{}:{port}", model.units[u].address))
                .collect();
            eps.sort();
            eps.join(",")
        }
    };
    let mut content = Bag::new();
    content.insert("username".into(), user.clone());
    content.insert("password".into(), password);
    let user_secret = crate::secrets::create(
        model,
        "application",
        &app,
        content,
        Some(format!("{ENDPOINT}.{rid}.user.secret")),
    )?;
    crate::secrets::grant(model, &user_secret, rid, None);
    let mut answer = Bag::new();
    answer.insert("endpoints".into(), endpoints);
    answer.insert(
        "tls".into(),
        if tls { "enabled" } else { "disabled" }.into(),
    );
    answer.insert("secret-user".into(), user_secret);
    if tls {
        let ca = backend
            .get("tls_ca")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut c = Bag::new();
        c.insert("tls-ca".into(), ca.to_string());
        let id = crate::secrets::create(
            model,
            "application",
            &app,
            c,
            Some(format!("{ENDPOINT}.{rid}.tls.secret")),
        )?;
        crate::secrets::grant(model, &id, rid, None);
        answer.insert("secret-tls".into(), id);
    }
    answer.insert("topic".into(), topic.clone());
    answer.insert("resource".into(), topic);
    answer.insert(
        "salt".into(),
        crate::state::random_string(
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            16,
        ),
    );
    answer.insert("version".into(), "v0".into());
    super::publish(
        model,
        dir,
        unit,
        &app,
        rid,
        (answer, &req),
        &format!("kafka-client:{rid}: created user {user}"),
    )
}

/// The provision program's extra arguments for Kafka.
pub fn provision_args(user: &str, password: &str, roles: &str, topic: &str) -> Vec<String> {
    [
        "--user",
        user,
        "--password",
        password,
        "--roles",
        roles,
        "--topic",
        topic,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
