//! Day-2 at the HTTP level: the driver's real Connect adapter (`connect_adapter::factory` over
//! the REST client) against a wiremock Kafka Connect — the exact requests for pause, stop,
//! resume and restart, `worker_id`/trace parsing, and a whole hook whose auto-restart sends
//! `POST …/restart?includeTasks=true&onlyFailed=true`.

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::charm::{self, connect_adapter};
use mirrormaker_integrator::juju::memory::MemoryTools;
use mirrormaker_integrator::juju::StatusKind;
use mirrormaker_integrator::relations::ConnectData;
use mirrormaker_integrator::secret::Secret;
use serde_json::json;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn data(uri: &str) -> ConnectData {
    ConnectData {
        endpoints: vec![uri.to_string()],
        username: "relation-5".into(),
        password: Secret::new("pw-connect-secret"),
        cas: Vec::new(),
    }
}

/// Runs `f` on a plain thread (the adapter starts its own runtime; wiremock's runs here).
async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(move || std::thread::spawn(f).join().unwrap())
        .await
        .unwrap()
}

async fn expect(s: &MockServer, verb: &str, p: &str, code: u16) {
    Mock::given(method(verb))
        .and(path(p.to_string()))
        .respond_with(ResponseTemplate::new(code))
        .expect(1)
        .named(format!("{verb} {p}"))
        .mount(s)
        .await;
}

// Proves pause/stop/resume/restart hit Connect's endpoints exactly once each, with the
// restart flags in the query.
#[tokio::test(flavor = "multi_thread")]
async fn adapter_sends_the_state_calls() {
    let s = MockServer::start().await;
    expect(&s, "PUT", "/connectors/c1/pause", 202).await;
    expect(&s, "PUT", "/connectors/c1/stop", 204).await;
    expect(&s, "PUT", "/connectors/c1/resume", 202).await;
    Mock::given(method("POST"))
        .and(path("/connectors/c1/restart"))
        .and(query_param("includeTasks", "true"))
        .and(query_param("onlyFailed", "false"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "name": "c1", "connector": {"state": "RESTARTING", "worker_id": "w:8083"},
            "tasks": [{"id": 0, "state": "RESTARTING", "worker_id": "w:8083"}], "type": "source"})))
        .expect(1)
        .mount(&s)
        .await;
    let d = data(&s.uri());
    off_runtime(move || {
        let api = connect_adapter::factory(&d).unwrap();
        api.pause("c1").unwrap();
        api.stop("c1").unwrap();
        api.resume("c1").unwrap();
        api.restart("c1", true, false).unwrap();
    })
    .await;
}

/// Mounts a Connect that lists our three connectors, the source one with task 1 FAILED.
async fn connect_with_failed_task(s: &MockServer) {
    let src = name("source", "kafka-a");
    let mut listed = serde_json::Map::new();
    for kind in ["source", "checkpoint", "heartbeat"] {
        let n = name(kind, "kafka-a");
        let tasks = if kind == "source" {
            json!([{"id": 0, "state": "RUNNING", "worker_id": "10.0.0.6:8083"},
                   {"id": 1, "state": "FAILED", "worker_id": "10.0.0.7:8083",
                    "trace": "org.apache.kafka.connect.errors.ConnectException: broker down (pw-kafka-secret)\n\tat x"}])
        } else {
            json!([{"id": 0, "state": "RUNNING", "worker_id": "10.0.0.6:8083"}])
        };
        listed.insert(
            n.clone(),
            json!({"status": {"name": n, "connector": {"state": "RUNNING", "worker_id": "10.0.0.5:8083"},
                              "tasks": tasks, "type": "source"},
                   "info": {"name": n, "config": {"name": n}, "tasks": [], "type": "source"}}),
        );
    }
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .and(query_param("expand", "status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(listed))
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            src,
            name("checkpoint", "kafka-a"),
            name("heartbeat", "kafka-a")
        ])))
        .mount(s)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/connector-plugins/.*/config/validate$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "x", "error_count": 0, "groups": [], "configs": []})),
        )
        .mount(s)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/connectors/[^/]+/config$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "x", "config": {}, "tasks": [], "type": "source"})),
        )
        .mount(s)
        .await;
}

// Proves the adapter reads worker ids and traces (redacted) into the reconcile model.
#[tokio::test(flavor = "multi_thread")]
async fn adapter_reads_workers_and_traces() {
    let s = MockServer::start().await;
    connect_with_failed_task(&s).await;
    let d = data(&s.uri());
    let actual = off_runtime(move || connect_adapter::factory(&d).unwrap().list().unwrap()).await;
    let c = &actual.connectors[&name("source", "kafka-a")];
    assert_eq!(c.worker_id.as_deref(), Some("10.0.0.5:8083"));
    assert_eq!(c.tasks[1].worker_id.as_deref(), Some("10.0.0.7:8083"));
    assert!(c.tasks[1]
        .trace
        .as_deref()
        .unwrap()
        .starts_with("org.apache.kafka.connect.errors.ConnectException: broker down"));
}

// Proves a whole update-status hook on the leader, through the real client, restarts the
// FAILED task with includeTasks=true&onlyFailed=true exactly once, and a second hook a minute
// later does not (backoff), with the status saying when the next restart is due.
#[tokio::test(flavor = "multi_thread")]
async fn hook_auto_restarts_over_http() {
    let s = MockServer::start().await;
    let src = name("source", "kafka-a");
    Mock::given(method("POST"))
        .and(path(format!("/connectors/{src}/restart")))
        .and(query_param("includeTasks", "true"))
        .and(query_param("onlyFailed", "true"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "name": src, "connector": {"state": "RUNNING", "worker_id": "10.0.0.5:8083"},
            "tasks": [{"id": 1, "state": "RESTARTING", "worker_id": "10.0.0.7:8083"}], "type": "source"})))
        .expect(1)
        .named("auto-restart")
        .mount(&s)
        .await;
    connect_with_failed_task(&s).await;
    let uri = s.uri();
    let (first, second) = off_runtime(move || {
        let mut state = world();
        state
            .relations
            .iter_mut()
            .find(|r| r.endpoint == "connect-client")
            .unwrap()
            .remote_app_data
            .insert("endpoints".into(), uri);
        let hook_at = |state, now| {
            let tools = MemoryTools::new(state);
            charm::run_at(
                &hook("update-status", None),
                &tools,
                &connect_adapter::factory,
                now,
            )
            .unwrap();
            tools.into_state()
        };
        let first = hook_at(state, T0);
        let second = hook_at(first.clone(), T0 + 60);
        (first, second)
    })
    .await;
    assert!(peer_bag(&first)["auto-restart"].contains("\"restarts\":1"));
    let st = second.unit_status.unwrap();
    assert_eq!(st.kind, StatusKind::Waiting);
    assert!(
        st.message.contains("task 1 FAILED; auto-restart 2/10 at 17:02 UTC: ConnectException: broker down (<redacted>)"),
        "{st}"
    );
}
