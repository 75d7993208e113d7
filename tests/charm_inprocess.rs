//! The charm in-process (tier 2 of design.md §4): a whole Juju world as data (MemoryTools),
//! an in-memory Kafka Connect behind the driver's port, one hook, then the world after.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::juju::StatusKind;
use mirrormaker_integrator::plan::ActualConnector;

// Proves a lone charm is blocked and names every missing relation, on unit and app.
#[test]
fn no_relations_blocks_naming_them() {
    let mut s = world();
    s.relations.clear();
    let out = run(s, &hook("install", None), &FakeConnect::default());
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Blocked);
    assert_eq!(
        st.message,
        "missing relation(s): source, target, connect-client (juju integrate)"
    );
    assert_eq!(out.app_status.unwrap().message, st.message);
}

// Proves the leader writes the data_interfaces requests byte for byte while the providers
// have not answered, then (once they have) creates the three connectors in dependency order,
// and waits (not active) until Connect reports them running.
#[test]
fn leader_requests_users_and_creates_connectors_in_order() {
    let connect = FakeConnect::default();
    let answered = world();
    let mut unanswered = answered.clone();
    for r in &mut unanswered.relations {
        r.remote_app_data.clear();
    }
    let asked = run(unanswered, &hook("config-changed", None), &connect);
    assert!(connect.0.borrow().writes.is_empty());
    assert_eq!(
        asked.unit_status.as_ref().unwrap().kind,
        StatusKind::Waiting
    );
    // The providers answer; our requests stay as they were written.
    let mut s = asked.clone();
    for (r, a) in s.relations.iter_mut().zip(&answered.relations) {
        r.remote_app_data = a.remote_app_data.clone();
    }
    let out = run(s, &hook("config-changed", None), &connect);
    let source = &asked.relations[0];
    assert_eq!(source.local_app, out.relations[0].local_app);
    assert_eq!(source.local_app.get("topic").unwrap(), "__mirrormaker-user");
    assert_eq!(source.local_app.get("extra-user-roles").unwrap(), "admin");
    assert_eq!(
        source.local_app.get("requested-secrets").unwrap(),
        r#"["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]"#
    );
    assert_eq!(
        source.local_app.get("provided-secrets").unwrap(),
        r#"["mtls-cert"]"#
    );
    assert_eq!(
        source.local_unit.get("provided-secrets").unwrap(),
        r#"["mtls-cert"]"#
    );
    assert_eq!(
        asked.relations[2].local_app.get("plugin-url").unwrap(),
        "NOT-REQUIRED"
    );
    assert!(!asked.relations[2].local_app.contains_key("topic"));
    assert_eq!(
        connect.0.borrow().writes,
        vec![
            format!("PUT {}", name("source", "kafka-a")),
            format!("PUT {}", name("checkpoint", "kafka-a")),
            format!("PUT {}", name("heartbeat", "kafka-a")),
        ]
    );
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Waiting, "{st}");
    assert!(st.message.contains("starting"), "{st}");
}

// Proves a converged model is active with zero writes, and a second pass changes nothing.
#[test]
fn converged_model_is_active_and_writes_nothing() {
    let connect = FakeConnect::default();
    let s = run(world(), &hook("config-changed", None), &connect);
    all_running(&connect);
    connect.0.borrow_mut().writes.clear();
    let out = run(s, &hook("update-status", None), &connect);
    assert!(
        connect.0.borrow().writes.is_empty(),
        "{:?}",
        connect.0.borrow().writes
    );
    let st = out.unit_status.unwrap();
    assert_eq!(
        (st.kind, st.message.as_str()),
        (
            StatusKind::Active,
            "replicating kafka-a -> kafka-b (3 connectors)"
        )
    );
}

// Proves the active status counts connectors in good English: with heartbeats off and no
// checkpoints the charm runs the source connector alone and says "(1 connector)".
#[test]
fn one_connector_is_singular() {
    let connect = FakeConnect::default();
    let mut s = world();
    for (k, v) in [
        ("heartbeats", serde_json::json!("off")),
        ("emit-checkpoints", serde_json::json!(false)),
        ("sync-group-offsets", serde_json::json!(false)),
    ] {
        s.config.insert(k.into(), v);
    }
    let s = run(s, &hook("config-changed", None), &connect);
    assert_eq!(
        connect.take_writes(),
        vec![format!("PUT {}", name("source", "kafka-a"))]
    );
    all_running(&connect);
    let st = run(s, &hook("update-status", None), &connect)
        .unit_status
        .unwrap();
    assert_eq!(
        (st.kind, st.message.as_str()),
        (
            StatusKind::Active,
            "replicating kafka-a -> kafka-b (1 connector)"
        )
    );
}

// Proves an invalid regex blocks naming the option and leaves running connectors untouched.
#[test]
fn invalid_topics_blocks_and_holds() {
    let connect = FakeConnect::default();
    let mut s = run(world(), &hook("config-changed", None), &connect);
    all_running(&connect);
    connect.0.borrow_mut().writes.clear();
    s.config.insert("topics".into(), "orders\\..*,[a".into());
    let out = run(s, &hook("config-changed", None), &connect);
    assert!(connect.0.borrow().writes.is_empty());
    assert_eq!(connect.0.borrow().actual.connectors.len(), 3);
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Blocked);
    assert!(st.message.starts_with("invalid config 'topics'"), "{st}");
}

// Proves that a source whose credentials vanish (secret unreadable) holds its connectors
// instead of deleting them, and says what it waits for.
#[test]
fn incomplete_source_holds_its_connectors() {
    let connect = FakeConnect::default();
    let mut s = run(world(), &hook("config-changed", None), &connect);
    all_running(&connect);
    connect.0.borrow_mut().writes.clear();
    s.secrets.remove("secret:a-user");
    let out = run(
        s,
        &hook("source-relation-changed", Some(("source", 3, "kafka-a"))),
        &connect,
    );
    assert!(
        connect.0.borrow().writes.is_empty(),
        "{:?}",
        connect.0.borrow().writes
    );
    assert_eq!(out.unit_status.unwrap().kind, StatusKind::Waiting);
}

// Proves fan-in: a second source gets its own three connectors; breaking its relation deletes
// exactly those (reverse order), and a connector created by hand is never touched.
#[test]
fn fan_in_and_removal_touch_only_our_connectors() {
    let connect = FakeConnect::default();
    connect.0.borrow_mut().actual.connectors.insert(
        "by-hand".into(),
        ActualConnector {
            state: Some("RUNNING".into()),
            ..Default::default()
        },
    );
    let mut s = world();
    s.relations
        .push(kafka_relation("source", 6, "kafka-c", "c"));
    s.secrets.insert(
        "secret:c-user".into(),
        secret(&[("username", "relation-6"), ("password", "pw-c")]),
    );
    s.secrets
        .insert("secret:c-tls".into(), secret(&[("tls-ca", PEM.as_str())]));
    // connect-client's user secret shares the id "secret:c-user" in this fixture; give Connect its own.
    s.relations[2]
        .remote_app_data
        .insert("secret-user".into(), "secret:connect-user".into());
    s.secrets.insert(
        "secret:connect-user".into(),
        secret(&[("username", "relation-5"), ("password", "pw-connect")]),
    );
    let s = run(s, &hook("config-changed", None), &connect);
    assert_eq!(connect.0.borrow().writes.len(), 6);
    connect.0.borrow_mut().writes.clear();

    let out = run(
        s,
        &hook("source-relation-broken", Some(("source", 6, "kafka-c"))),
        &connect,
    );
    assert_eq!(
        connect.0.borrow().writes,
        vec![
            format!("DELETE {}", name("heartbeat", "kafka-c")),
            format!("DELETE {}", name("checkpoint", "kafka-c")),
            format!("DELETE {}", name("source", "kafka-c")),
        ]
    );
    assert!(connect.0.borrow().actual.connectors.contains_key("by-hand"));
    assert!(connect
        .0
        .borrow()
        .actual
        .connectors
        .contains_key(&name("source", "kafka-a")));
    drop(out);
}

// Proves a non-leader writes nothing: no relation request, no Connect write, no app status.
#[test]
fn follower_writes_nothing() {
    let connect = FakeConnect::default();
    let mut s = world();
    s.leader = false;
    let out = run(s, &hook("config-changed", None), &connect);
    assert!(connect.0.borrow().writes.is_empty());
    assert!(out.relations.iter().all(|r| r.local_app.is_empty()));
    assert!(out.app_status.is_none());
    assert!(
        !out.calls.iter().any(|c| c.starts_with("relation-set")),
        "{:?}",
        out.calls
    );
}

// Proves Connect's validation errors block with the connector named, and nothing is written.
#[test]
fn validation_errors_block_before_writing() {
    let connect = FakeConnect::default();
    connect.0.borrow_mut().validation_errors = vec!["Missing required configuration \"x\"".into()];
    let out = run(world(), &hook("config-changed", None), &connect);
    assert!(connect.0.borrow().writes.is_empty());
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Blocked);
    assert!(
        st.message
            .contains("Kafka Connect rejects mirror_source_kafka-a"),
        "{st}"
    );
}

// Proves every option config.yaml declares (read with serde_yaml_ng, so the list comes from
// the file, not from a count kept by hand) is read and validated by the charm: set to a value
// of no option's type, each one blocks the unit naming that option and nothing is written; and
// with every option set to its declared default (as Juju's config-get reports unset options)
// the charm writes exactly the connectors it writes with none set — the defaults agree.
#[test]
fn every_declared_option_is_read_and_its_default_is_the_code_s() {
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(include_str!("../config.yaml")).unwrap();
    let options = yaml["options"]
        .as_mapping()
        .expect("config.yaml has options");
    assert!(!options.is_empty());
    for key in options.keys() {
        let key = key.as_str().unwrap();
        let connect = FakeConnect::default();
        let mut s = world();
        s.config.insert(
            key.into(),
            serde_json::json!({"not": "a value of any option type"}),
        );
        let out = run(s, &hook("config-changed", None), &connect);
        let st = out.unit_status.unwrap();
        assert_eq!(st.kind, StatusKind::Blocked, "{key}: {st}");
        assert!(
            st.message.starts_with(&format!("invalid config '{key}'")),
            "{key}: {st}"
        );
        assert!(connect.writes().is_empty(), "{key}");
    }
    let written = |with_defaults: bool| {
        let connect = FakeConnect::default();
        let mut s = world();
        if with_defaults {
            for (key, spec) in options {
                let default = serde_json::to_value(&spec["default"]).unwrap();
                s.config
                    .entry(key.as_str().unwrap().to_string())
                    .or_insert(default);
            }
        }
        let out = run(s, &hook("config-changed", None), &connect);
        assert_ne!(out.unit_status.unwrap().kind, StatusKind::Blocked);
        let c = connect.0.borrow();
        c.actual
            .connectors
            .iter()
            .map(|(n, a)| (n.clone(), a.config.clone()))
            .collect::<Vec<_>>()
    };
    let (explicit, implicit) = (written(true), written(false));
    assert_eq!(explicit.len(), 3);
    assert_eq!(explicit, implicit);
}

// Proves no password (nor the CA's PEM) reaches a status, a log line, an action's output, a
// relation databag or a hook-tool call line, while Kafka Connect echoes every secret it was
// given — the real adapter and REST client (`connect_adapter::factory`) against an HTTP Connect
// (EchoConnect below) that quotes the passwords back in validation errors, in a 400's message,
// in the configs it returns and in a FAILED task's trace, as the real Connect can. Each echo is
// checked to have reached the charm (its text appears, redacted) so that no step passes by
// being silent.
#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_leave() {
    let echo = EchoConnect::start().await;
    let secrets = ["pw-kafka-secret", "pw-connect-secret", "BEGIN CERTIFICATE"];
    let check = |step: &str, said: &str| {
        for secret in secrets {
            assert!(!said.contains(secret), "{step}: {secret} leaked:\n{said}");
        }
    };
    let mut w = world();
    w.relations
        .iter_mut()
        .find(|r| r.endpoint == "connect-client")
        .unwrap()
        .remote_app_data
        .insert("endpoints".into(), echo.uri.clone());

    // 1. Connect rejects every config, quoting the JAAS configs and CA in its errors.
    echo.set(Phase::RejectConfigs);
    let out = real_hook(w.clone(), hook("config-changed", None)).await;
    let st = out.unit_status.clone().unwrap();
    assert_eq!(st.kind, StatusKind::Blocked, "{st}");
    assert!(
        st.message
            .contains("Kafka Connect rejects mirror_source_kafka-a")
            && st.message.contains("Invalid value <redacted"),
        "{st}"
    );
    check("validation errors", &everything_said(&out));

    // 2. Connect refuses the PUT with a 400 whose message quotes the config.
    echo.set(Phase::RefusePut);
    let out = real_hook(out, hook("config-changed", None)).await;
    let st = out.unit_status.clone().unwrap();
    // The status keeps the start of Connect's message (cut at 120 characters); that no
    // secret is anywhere is what `check` proves.
    assert!(
        st.message.contains("Connector configuration is invalid")
            && st.message.chars().count() <= 120,
        "{st}"
    );
    check("400 answer", &everything_said(&out));

    // 3. Connect takes the configs (and returns them in clear), then lists them back in clear
    //    with task 0 FAILED on a trace that quotes every password it was given.
    echo.set(Phase::Accept);
    let out = real_hook(out, hook("config-changed", None)).await;
    assert_eq!(echo.stored(), 3, "the three connectors were created");
    check("config PUT answers", &everything_said(&out));
    let out = real_hook(out, hook("update-status", None)).await;
    let st = out.unit_status.clone().unwrap();
    // The trace's redacted tail may fall past the 120-character cut; `check` proves no
    // secret is anywhere.
    assert!(st.message.contains("task 0 FAILED; "), "{st}");
    let mut said = everything_said(&out);
    let mut out = out;
    for (name, params) in [
        ("status", serde_json::json!({})),
        ("status", serde_json::json!({"format": "json"})),
        ("plan", serde_json::json!({})),
    ] {
        out.action_params = params.as_object().cloned().unwrap();
        out.action_results.clear();
        out = real_hook(out, action(name)).await;
        assert!(
            out.action_failed.is_none(),
            "{name}: {:?}",
            out.action_failed
        );
        said.push_str(&everything_said(&out));
    }
    assert!(said.contains("trace: org.apache.kafka.common.errors.SaslAuthenticationException"));
    check("listed configs, traces and actions", &said);

    // The echoes really carried the secrets: every password and the PEM went out in clear.
    let sent = echo.sent();
    for secret in secrets {
        assert!(sent.contains(secret), "EchoConnect never echoed {secret}");
    }
}

/// One hook or action through the real Connect adapter, on a plain thread (the adapter starts
/// its own runtime; wiremock's runs on the test's).
async fn real_hook(
    state: mirrormaker_integrator::juju::memory::State,
    event: mirrormaker_integrator::juju::Event,
) -> mirrormaker_integrator::juju::memory::State {
    tokio::task::spawn_blocking(move || {
        std::thread::spawn(move || {
            let canaries = canaries(&state);
            let tools = mirrormaker_integrator::juju::memory::MemoryTools::new(state);
            guarded(&canaries, event.name(), || {
                mirrormaker_integrator::charm::run_at(
                    &event,
                    &tools,
                    &mirrormaker_integrator::charm::connect_adapter::factory,
                    T0,
                )
            });
            let out = tools.into_state();
            assert_no_canary(&canaries, event.name(), &everything_said(&out));
            out
        })
        .join()
        .unwrap()
    })
    .await
    .unwrap()
}

/// How EchoConnect answers validation and config PUTs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Validation reports an error on every sensitive key, quoting its value.
    RejectConfigs,
    /// Validation passes; the PUT is a 400 quoting the sensitive values.
    RefusePut,
    /// The PUT stores the config and answers it back in clear (201), as Connect does.
    Accept,
}

#[derive(Default)]
struct EchoState {
    phase: Option<Phase>,
    configs: std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Every secret received: the basic-auth password and the values of sensitive keys.
    heard: std::collections::BTreeSet<String>,
    /// Every response body sent.
    sent: String,
}

/// A Kafka Connect over HTTP that echoes back every secret it is given.
struct EchoConnect {
    uri: String,
    state: std::sync::Arc<std::sync::Mutex<EchoState>>,
    _server: wiremock::MockServer,
}

impl EchoConnect {
    async fn start() -> EchoConnect {
        let server = wiremock::MockServer::start().await;
        let state = std::sync::Arc::new(std::sync::Mutex::new(EchoState::default()));
        let st = state.clone();
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(move |req: &wiremock::Request| {
                let mut s = st.lock().unwrap();
                let (code, body) = echo_answer(&mut s, req);
                if body.is_null() {
                    return wiremock::ResponseTemplate::new(code);
                }
                s.sent.push_str(&body.to_string());
                wiremock::ResponseTemplate::new(code).set_body_json(body)
            })
            .mount(&server)
            .await;
        EchoConnect {
            uri: server.uri(),
            state,
            _server: server,
        }
    }

    fn set(&self, phase: Phase) {
        self.state.lock().unwrap().phase = Some(phase);
    }

    fn stored(&self) -> usize {
        self.state.lock().unwrap().configs.len()
    }

    fn sent(&self) -> String {
        self.state.lock().unwrap().sent.clone()
    }
}

/// The answer of EchoConnect to one request: (status, JSON body; null = no body).
fn echo_answer(s: &mut EchoState, req: &wiremock::Request) -> (u16, serde_json::Value) {
    use mirrormaker_integrator::mirror::sensitive::is_sensitive_key;
    use serde_json::json;
    // Hear the REST password (basic auth) and every sensitive value of a config body.
    if let Some(auth) = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        if let Some(b64) = auth.strip_prefix("Basic ") {
            let plain = base64_decode(b64);
            if let Some((_, pw)) = plain.split_once(':') {
                s.heard.insert(pw.to_string());
            }
        }
    }
    let config: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&req.body).unwrap_or_default();
    let sensitive: Vec<(String, String)> = config
        .iter()
        .filter(|(k, _)| is_sensitive_key(k))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    for (_, v) in &sensitive {
        s.heard.insert(v.clone());
        // The bare password of a JAAS config, as a Java message might quote it.
        if let Some(pw) = v
            .split("password=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        {
            s.heard.insert(pw.to_string());
        }
    }
    // Quoted one by one, PEM material last (a PEM spans lines: the rest of the trace is masked
    // with it).
    let quoted = |s: &EchoState| {
        let mut heard: Vec<&String> = s.heard.iter().collect();
        heard.sort_by_key(|h| h.contains("-----BEGIN"));
        heard
            .iter()
            .map(|h| format!("({h})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let path = req.url.path().to_string();
    let method = req.method.as_str();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", [""]) => (
            200,
            json!({"version": "3.9.1", "commit": "x", "kafka_cluster_id": "c"}),
        ),
        ("PUT", ["connector-plugins", class, "config", "validate"]) => {
            let reject = s.phase == Some(Phase::RejectConfigs);
            let configs: Vec<_> = config
                .iter()
                .map(|(k, v)| {
                    let v = v.as_str().unwrap_or_default();
                    let errors = if reject && is_sensitive_key(k) {
                        vec![format!("Invalid value {v} for configuration {k}: rejected")]
                    } else {
                        vec![]
                    };
                    json!({"definition": {"name": k}, "value": {"name": k, "value": v, "recommended_values": [], "errors": errors, "visible": true}})
                })
                .collect();
            let errors = if reject { sensitive.len() } else { 0 };
            (
                200,
                json!({"name": class, "error_count": errors, "groups": [], "configs": configs}),
            )
        }
        ("PUT", ["connectors", name, "config"]) => match s.phase {
            Some(Phase::Accept) => {
                let created = !s.configs.contains_key(*name);
                s.configs.insert(name.to_string(), config.clone());
                let code = if created { 201 } else { 200 };
                (
                    code,
                    json!({"name": name, "config": config, "tasks": [], "type": "source"}),
                )
            }
            _ => {
                let quoted_values: Vec<String> = sensitive
                    .iter()
                    .map(|(k, v)| format!("Invalid value {v} for configuration {k}"))
                    .collect();
                (
                    400,
                    json!({"error_code": 400, "message": format!(
                    "Connector configuration is invalid and contains the following {} error(s):\n{}",
                    quoted_values.len(), quoted_values.join("\n"))}),
                )
            }
        },
        ("GET", ["connectors"]) if req.url.query().is_some_and(|q| q.contains("expand")) => {
            let trace = format!(
                "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed with {}\n\tat org.apache.kafka.X\nCaused by: org.apache.kafka.common.errors.SaslAuthenticationException: invalid credentials {}",
                quoted(s),
                quoted(s)
            );
            let mut out = serde_json::Map::new();
            for (name, config) in &s.configs {
                out.insert(name.clone(), json!({
                    "status": {"name": name, "connector": {"state": "RUNNING", "worker_id": "10.0.0.5:8083"},
                               "tasks": [{"id": 0, "state": "FAILED", "worker_id": "10.0.0.6:8083", "trace": trace}],
                               "type": "source"},
                    "info": {"name": name, "config": config, "tasks": [], "type": "source"}}));
            }
            (200, serde_json::Value::Object(out))
        }
        ("GET", ["connectors"]) => (200, json!(s.configs.keys().collect::<Vec<_>>())),
        ("GET", ["connectors", name, "config"]) => match s.configs.get(*name) {
            Some(c) => (200, serde_json::Value::Object(c.clone())),
            None => (
                404,
                json!({"error_code": 404, "message": format!("Connector {name} not found")}),
            ),
        },
        // restart, pause, resume, stop, delete: accepted without a body
        _ => (204, json!(null)),
    }
}

fn base64_decode(s: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// Proves the connect-client relation going away is not undone: Charmed Kafka Connect deletes
// our connectors when the relation's last remote unit departs, and our `-departed` hook must
// not re-create them (nobody would delete them again). Status says the relation is missing.
#[test]
fn departing_connect_relation_is_not_written_to() {
    let connect = FakeConnect::default();
    let s = converged(&connect);
    connect.0.borrow_mut().actual.connectors.clear(); // Kafka Connect's clean-up
    let vars = [
        ("JUJU_UNIT_NAME", "mirrormaker/0"),
        ("JUJU_MODEL_UUID", UUID),
        (
            "JUJU_DISPATCH_PATH",
            "hooks/connect-client-relation-departed",
        ),
        ("JUJU_RELATION_ID", "connect-client:5"),
        ("JUJU_REMOTE_APP", "kafka-connect"),
        ("JUJU_REMOTE_UNIT", "kafka-connect/0"),
        ("JUJU_DEPARTING_UNIT", "kafka-connect/0"),
    ];
    let event = mirrormaker_integrator::juju::Event::from_vars(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    let out = run(s, &event, &connect);
    assert!(
        connect.take_writes().is_empty(),
        "connectors re-created during departed"
    );
    let st = out.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Blocked, "{st}");
    assert!(st.message.contains("connect-client"), "{st}");
}
