//! Charmed Apache Kafka on `kafka-client`, answering a data_interfaces v0 requirer, in two
//! flavours:
//!
//! * `kafka4` — kafka-operator HEAD (`KafkaProvider.reconcile` with the data_interfaces v1
//!   `ResourceProviderEventHandler` and the `KafkaCompatibilityResponseModel`): level-triggered;
//!   on every event it creates user `relation-<id>` for each relation whose requirer asked for a
//!   topic and has joined, and (re)writes the response whenever username, password, endpoints,
//!   `tls` or the CA differ from what it wrote. The user secret is built field by field, so a
//!   first answer makes two revisions in one hook (`{username}`, then `{username, password}`).
//!   On every relation-changed the v1 library also re-stores its `data` snapshot of the request
//!   (with a fresh random `salt`) and echoes the topic under its v0 key `topic`.
//! * `kafka3` — kafka-operator branch `3/edge` (`KafkaProvides` of data_interfaces v0,
//!   `BrokerOperator.update_client_data`): the user is created when the v0 diff sees `topic`
//!   added (a failed attempt is deferred, i.e. retried on every later event); afterwards every
//!   event rewrites `endpoints`, `zookeeper-uris` (`/` in KRaft mode), `topic`, `username`,
//!   `password`, `tls`, and `tls-ca` — which Kafka 3 fills with the same `enabled`/`disabled` as
//!   `tls`, never a PEM — through the v0 secret rules (`requested-secrets` decides).

use std::path::Path;

use serde_json::{json, Value};

use super::wire::{loads_or_raw, py_object};
use crate::error::Result;
use crate::state::{app_of, Bag, EventKind, Model};

pub const ENDPOINT: &str = "kafka-client";

/// The keys data_interfaces v1 accepts as the resource name of a v0 request, in its order.
const RESOURCE_ALIASES: [&str; 6] = [
    "database",
    "subject",
    "topic",
    "index",
    "plugin-url",
    "prefix",
];

/// What the backend (or, without one, the invented cluster) offers clients.
struct Cluster {
    endpoints: String,
    tls: bool,
    ca: String,
    zookeeper_uris: String,
}

fn cluster(model: &Model, app: &str) -> Cluster {
    let backend = model
        .apps
        .get(app)
        .and_then(|a| a.backend.clone())
        .unwrap_or(Value::Null);
    let tls = backend.get("tls").and_then(Value::as_bool).unwrap_or(false);
    let endpoints = match backend.get("endpoints").and_then(Value::as_str) {
        Some(e) => e.to_string(),
        None => {
            let port = if tls { 9093 } else { 9092 };
            let mut eps: Vec<String> = model
                .units_of(app)
                .iter()
                .map(|u| format!("{}:{port}", model.units[u].address))
                .collect();
            eps.sort();
            eps.join(",")
        }
    };
    let ca = if tls {
        backend
            .get("tls_ca")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    } else {
        String::new()
    };
    let zookeeper_uris = backend
        .get("zookeeper_uris")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_string();
    Cluster {
        endpoints,
        tls,
        ca,
        zookeeper_uris,
    }
}

/// Creates (provisions) user `relation-<rid>` once; Ok(true) when it exists.
fn ensure_user(model: &mut Model, dir: &Path, unit: &str, rid: u64, req: &Bag) -> Result<bool> {
    let app = app_of(unit).to_string();
    if model
        .app(&app)?
        .provider
        .get(&rid)
        .is_some_and(|p| p.answered)
    {
        return Ok(true);
    }
    let user = format!("relation-{rid}");
    let password = super::password_for(model, &app, rid)?;
    let backend = model.app(&app)?.backend.clone().unwrap_or(Value::Null);
    let extra = provision_args(&user, &password, req);
    if let Err(e) = super::provision(&backend, &extra) {
        super::provisioning_failed(model, dir, unit, rid, &user, e);
        return Ok(false);
    }
    super::mark_answered(
        model,
        dir,
        unit,
        rid,
        &format!("{ENDPOINT}:{rid}: created user {user}"),
    )?;
    Ok(true)
}

/// The v0 request as data_interfaces v1 parses it (`RequirerDataContractV0`) and dumps it for
/// its diff snapshot (`model_dump(exclude_none, exclude_defaults)`): `resource`, a fresh
/// `salt`, the set model fields, then every other requirer key JSON-decoded, in databag order.
/// Returns the ordered pairs and the original resource key.
fn v1_request_dump(req: &Bag) -> (Vec<(String, Value)>, Option<&'static str>) {
    let original = RESOURCE_ALIASES
        .iter()
        .copied()
        .find(|k| req.contains_key(*k));
    let mut pairs = vec![];
    if let Some(k) = original {
        pairs.push(("resource".to_string(), loads_or_raw(&req[k])));
    }
    let salt = req.get("salt").cloned().unwrap_or_else(super::new_salt);
    pairs.push(("salt".into(), json!(salt)));
    // RequirerCommonModel fields, in declaration order, when set to a non-default value.
    for key in [
        "extra-user-roles",
        "extra-group-roles",
        "external-node-connectivity",
        "entity-type",
        "entity-permissions",
        "secret-mtls",
    ] {
        if let Some(v) = req.get(key) {
            let v = loads_or_raw(v);
            if !(v.is_null() || (key == "external-node-connectivity" && v == json!(false))) {
                pairs.push((key.to_string(), v));
            }
        }
    }
    let model_keys = [
        "resource",
        "request-id",
        "salt",
        "extra-user-roles",
        "extra-group-roles",
        "external-node-connectivity",
        "entity-type",
        "entity-permissions",
        "secret-mtls",
        "mtls-cert",
        "version",
        "data",
    ];
    for (k, v) in req {
        if Some(k.as_str()) != original && !model_keys.contains(&k.as_str()) {
            pairs.push((k.clone(), loads_or_raw(v)));
        }
    }
    (pairs, original)
}

/// `kafka4`: one event on the leader.
pub fn handle_v1(model: &mut Model, dir: &Path, unit: &str, ev: &EventKind) -> Result<()> {
    let app = app_of(unit).to_string();
    let mut patch_topic: Option<(u64, &'static str, String)> = None;
    if let EventKind::RelationChanged { rel, .. } = ev {
        let rid = *rel;
        if let Some((_, req)) = super::request(model, &app, rid) {
            if !req.is_empty() {
                if req.get("version").is_some_and(|v| v != "v0") {
                    crate::logs::append(
                        dir,
                        unit,
                        "WARNING",
                        &format!(
                            "{ENDPOINT}:{rid}: a data_interfaces v1 requirer is not simulated"
                        ),
                    );
                    return Ok(());
                }
                let (pairs, original) = v1_request_dump(&req);
                let old: serde_json::Map<String, Value> = super::own_bag(model, &app, rid)
                    .get("data")
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or_default();
                // `_validate_diff`: these keys may not change once the relation is set up
                // (the real provider raises, failing its hook).
                for key in [
                    "resource",
                    "entity-type",
                    "entity-permissions",
                    "extra-user-roles",
                    "extra-group-roles",
                ] {
                    let new = pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                    if let (Some(o), Some(n)) = (old.get(key), new) {
                        if o != n {
                            crate::logs::append(
                                dir,
                                unit,
                                "ERROR",
                                &format!("{ENDPOINT}:{rid}: Cannot change {key} after relation has already been created"),
                            );
                        }
                    }
                }
                let data = py_object(&pairs);
                super::write_own(model, &app, rid, &[("data", &data)]);
                if let Some(k) = original {
                    patch_topic = Some((rid, k, req[k].clone()));
                }
            }
        }
    }
    reconcile_v1(model, dir, unit)?;
    if let Some((rid, key, value)) = patch_topic {
        // "Patching databag for v0 compatibility": the resource under its original key.
        super::write_own(model, &app, rid, &[(key, &value)]);
    }
    Ok(())
}

/// kafka-operator HEAD `KafkaProvider.reconcile` for v0 clients.
fn reconcile_v1(model: &mut Model, dir: &Path, unit: &str) -> Result<()> {
    let app = app_of(unit).to_string();
    for rid in super::relations_of(model, &app) {
        let Some((_, req)) = super::request(model, &app, rid) else {
            continue;
        };
        if req.get("version").is_some_and(|v| v != "v0") {
            continue;
        }
        let Some(topic) = RESOURCE_ALIASES.iter().find_map(|k| req.get(*k)).cloned() else {
            continue;
        };
        if !super::has_remote_units(model, unit, rid) {
            continue;
        }
        if !ensure_user(model, dir, unit, rid, &req)? {
            continue;
        }
        let c = cluster(model, &app);
        let username = format!("relation-{rid}");
        let password = model.app(&app)?.provider[&rid].password.clone();
        let tls = if c.tls { "enabled" } else { "disabled" };
        // `needs_update`: compare with what is written (databag + secret contents).
        let own = super::own_bag(model, &app, rid);
        let user = own
            .get("secret-user")
            .map(|id| super::secret_content(model, id))
            .unwrap_or_default();
        let written_ca = own
            .get("secret-tls")
            .map(|id| super::secret_content(model, id))
            .and_then(|c| c.get("tls-ca").cloned())
            .unwrap_or_default();
        let up_to_date = user.get("username") == Some(&username)
            && user.get("password") == Some(&password)
            && own.get("endpoints") == Some(&c.endpoints)
            && own.get("tls").map(String::as_str) == Some(tls)
            && written_ca == c.ca;
        if up_to_date {
            continue;
        }
        set_response_v0(model, &app, rid, &topic, &username, &password, &c, &req)?;
    }
    Ok(())
}

/// data_interfaces v1 `set_response` of a `KafkaCompatibilityResponseModel` for a v0
/// requirer: secret fields first (the serializer walks the model's fields: `username` creates
/// or updates the user secret, `password` updates it, `tls-ca` creates or updates the tls
/// secret), then every plain field is written (`None` deletes, `""` is skipped).
#[allow(clippy::too_many_arguments)]
fn set_response_v0(
    model: &mut Model,
    app: &str,
    rid: u64,
    topic: &str,
    username: &str,
    password: &str,
    c: &Cluster,
    req: &Bag,
) -> Result<()> {
    let own = super::own_bag(model, app, rid);
    let mut secret_user = own.get("secret-user").cloned();
    let mut secret_tls = own.get("secret-tls").cloned();
    for (field, value) in [("username", username), ("password", password)] {
        match &secret_user {
            None => {
                let mut content = Bag::new();
                content.insert(field.into(), value.into());
                let label = format!("{ENDPOINT}.{rid}.user.secret");
                secret_user = Some(super::add_granted_secret(model, app, rid, label, content)?);
            }
            Some(id) => {
                let mut content = super::secret_content(model, id);
                content.insert(field.into(), value.into());
                crate::secrets::set_content(model, id, content);
            }
        }
    }
    match &secret_tls {
        None if !c.ca.is_empty() => {
            let mut content = Bag::new();
            content.insert("tls-ca".into(), c.ca.clone());
            let label = format!("{ENDPOINT}.{rid}.tls.secret");
            secret_tls = Some(super::add_granted_secret(model, app, rid, label, content)?);
        }
        None => {}
        Some(id) => {
            let mut content = super::secret_content(model, id);
            content.insert("tls-ca".into(), c.ca.clone());
            crate::secrets::set_content(model, id, content);
        }
    }
    let consumer_group_prefix = req
        .get("consumer-group-prefix")
        .cloned()
        .unwrap_or_else(|| {
            let roles = req
                .get("extra-user-roles")
                .map(String::as_str)
                .unwrap_or("");
            if roles.contains("consumer") {
                format!("{username}-")
            } else {
                String::new()
            }
        });
    let salt = super::new_salt();
    let secret_user = secret_user.unwrap_or_default();
    let secret_tls = secret_tls.unwrap_or_default();
    let tls = if c.tls { "enabled" } else { "disabled" };
    // Plain fields in model order; "" deletes (None in the model), except
    // consumer-group-prefix whose "" is skipped by `write_field`.
    super::write_own(
        model,
        app,
        rid,
        &[
            ("resource", topic),
            ("request-id", ""),
            ("salt", &salt),
            ("endpoints", &c.endpoints),
            ("read-only-endpoints", ""),
            ("secret-user", &secret_user),
            ("secret-tls", &secret_tls),
            ("secret-extra", ""),
            ("secret-entity", ""),
            ("tls", tls),
            ("version", "v0"),
        ],
    );
    if !consumer_group_prefix.is_empty() {
        super::write_own(
            model,
            app,
            rid,
            &[("consumer-group-prefix", &consumer_group_prefix)],
        );
    }
    Ok(())
}

/// `kafka3`: one event on the leader.
pub fn handle_v0(model: &mut Model, dir: &Path, unit: &str, ev: &EventKind) -> Result<()> {
    let app = app_of(unit).to_string();
    if let EventKind::RelationChanged { rel, .. } = ev {
        super::di0_snapshot(model, &app, *rel);
    }
    // `topic_requested` (fired when the diff saw `topic` added; deferred until the user exists).
    for rid in super::unanswered_requests(model, &app, "topic")? {
        let Some((_, req)) = super::request(model, &app, rid) else {
            continue;
        };
        ensure_user(model, dir, unit, rid, &req)?;
    }
    update_client_data_v0(model, &app)
}

/// kafka-operator `3/edge` `BrokerOperator.update_client_data`, on every config-changed-like
/// event: every client with a password gets all its fields rewritten (v0 `update`: non-empty
/// values written, empty ones deleted).
fn update_client_data_v0(model: &mut Model, app: &str) -> Result<()> {
    let c = cluster(model, app);
    for rid in super::relations_of(model, app) {
        let answered = model
            .app(app)?
            .provider
            .get(&rid)
            .is_some_and(|p| p.answered);
        if !answered {
            continue;
        }
        let Some((_, req)) = super::request(model, app, rid) else {
            continue;
        };
        let username = format!("relation-{rid}");
        let password = model.app(app)?.provider[&rid].password.clone();
        let tls = if c.tls { "enabled" } else { "disabled" };
        let own = super::own_bag(model, app, rid);
        let roles = req
            .get("extra-user-roles")
            .map(String::as_str)
            .unwrap_or("");
        let cgp = own
            .get("consumer-group-prefix")
            .or_else(|| req.get("consumer-group-prefix"))
            .cloned()
            .unwrap_or_else(|| {
                if roles.contains("consumer") {
                    format!("{username}-")
                } else {
                    String::new()
                }
            });
        let items: Vec<(&str, String)> = [
            ("endpoints", c.endpoints.clone()),
            ("zookeeper-uris", c.zookeeper_uris.clone()),
            ("consumer-group-prefix", cgp),
            ("topic", req.get("topic").cloned().unwrap_or_default()),
            ("username", username),
            ("password", password),
            ("tls", tls.to_string()),
            ("tls-ca", tls.to_string()),
        ]
        .into_iter()
        .collect();
        let (set, delete): (Vec<_>, Vec<_>) = items.into_iter().partition(|(_, v)| !v.is_empty());
        super::di0_update(model, app, ENDPOINT, rid, &set)?;
        for (k, _) in delete {
            // Only plain keys are ever empty here (consumer-group-prefix, topic).
            super::write_own(model, app, rid, &[(k, "")]);
        }
    }
    Ok(())
}

/// The provision program's extra arguments for Kafka.
/// The backend program's arguments for `user`, with the roles and topic `req` asks for.
pub fn provision_args(user: &str, password: &str, req: &Bag) -> Vec<String> {
    let field = |k: &str| req.get(k).map(String::as_str).unwrap_or("");
    let (roles, topic) = (field("extra-user-roles"), field("topic"));
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
