//! wiremock tests of the Connect client: every status-code path, failover, retries,
//! budget exhaustion and redaction. One MockServer per test; `expect(n)` spies on calls.

use super::*;
use crate::secret::Secret;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use wiremock::matchers::{basic_auth, body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PW: &str = "Conn3ct-Pa55word";
const KAFKA_PW: &str = "kafka-Secr3t-pw";

fn settings(endpoints: &[&str]) -> ConnectSettings {
    ConnectSettings {
        endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
        ca_pem: None,
        username: "integrator".into(),
        password: Secret::new(PW),
    }
}

/// The default policy's classes and rounds with millisecond backoff (tests assert on rounds,
/// never on time).
fn fast(max_rounds: u32) -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        max_rounds,
        ..RetryPolicy::default()
    }
}

fn client(endpoints: &[&str], rounds: u32) -> ConnectClient {
    ConnectClient::with_policy(
        &settings(endpoints),
        Budget::new(Duration::from_secs(60)),
        fast(rounds),
    )
    .unwrap()
    .redacting([Secret::new(KAFKA_PW)])
}

fn err(code: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"error_code": code, "message": message}))
}

fn jaas() -> String {
    format!("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"{KAFKA_PW}\";")
}

/// A URL on which nothing listens.
fn dead_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(PW), "connect password leaked: {text}");
    assert!(!text.contains(KAFKA_PW), "kafka password leaked: {text}");
    assert!(!text.contains("MIIB"), "pem leaked: {text}");
}

// proves GET / decodes ServerInfo and sends basic auth
#[tokio::test]
async fn server_info_with_basic_auth() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .and(basic_auth("integrator", PW))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"version": "3.9.0", "commit": "abc", "kafka_cluster_id": "k1"}),
            ),
        )
        .expect(1)
        .mount(&s)
        .await;
    let info = client(&[&s.uri()], 1).server_info().await.unwrap();
    assert_eq!(info.version, "3.9.0");
    assert_eq!(info.kafka_cluster_id.as_deref(), Some("k1"));
}

// proves actual() merges ?expand=status&expand=info with a listed connector that has no status yet
#[tokio::test]
async fn actual_merges_expanded_and_names() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .and(query_param("expand", "status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "a": {"status": {"name": "a", "connector": {"state": "RUNNING", "worker_id": "w:8083"},
                  "tasks": [{"id": 0, "state": "FAILED", "worker_id": "w:8083",
                             "trace": format!("org.apache.kafka.common.errors.SaslAuthenticationException: password=\"{KAFKA_PW}\"\n\tat x\n\tat y\n\tat z")}],
                  "type": "source"},
                  "info": {"name": "a", "config": {"name": "a", "tasks.max": "1", "sasl.jaas.config": jaas()}, "tasks": [{"connector": "a", "task": 0}], "type": "source"}}
        })))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(["a", "b"])))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/connectors/b/config"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"name": "b", "tasks.max": "2"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let actual = client(&[&s.uri()], 1).list_all().await.unwrap();
    let a = &actual["a"];
    let st = a.status.as_ref().unwrap();
    assert_eq!(st.connector.state, "RUNNING");
    assert_eq!(
        a.config["sasl.jaas.config"],
        jaas(),
        "configs keep clear values for diffing"
    );
    assert_eq!(st.tasks[0].state, "FAILED");
    let trace = st.tasks[0].trace.as_deref().unwrap();
    assert_eq!(
        trace.lines().count(),
        1,
        "first line only: this trace has no Caused by"
    );
    assert_no_secret(trace);
    assert_no_secret(&format!("{actual:?}"));
    let b = &actual["b"];
    assert_eq!((&b.status, b.config["tasks.max"].as_str()), (&None, "2"));
}

/// Mounts `?expand` answering connector "a" (RUNNING) and the plain list `names`, each
/// expected `expand_n` / `names_n` times.
async fn expand_and_names(s: &MockServer, names: &[&str], expand_n: u64, names_n: u64) {
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .and(query_param("expand", "info"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "a": {"status": {"name": "a", "connector": {"state": "RUNNING", "worker_id": "w:8083"},
                  "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "w:8083"}], "type": "source"},
                  "info": {"name": "a", "config": {"name": "a", "tasks.max": "1"}, "tasks": [], "type": "source"}}
        })))
        .expect(expand_n)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(names)))
        .expect(names_n)
        .mount(s)
        .await;
}

// proves the steady state reads Connect with ONE request when every expected connector is in
// the expanded list
#[tokio::test]
async fn actual_expecting_present_is_one_request() {
    let s = MockServer::start().await;
    expand_and_names(&s, &["a"], 1, 0).await;
    let actual = client(&[&s.uri()], 1)
        .list_for(["a"], &|_| true)
        .await
        .unwrap();
    let a = actual["a"].status.as_ref().unwrap();
    assert_eq!(a.connector.state, "RUNNING");
    assert_eq!(actual.len(), 1);
}

// proves an expected connector missing from ?expand (no status yet, §1.3) falls back to the
// plain list and its config, so it is not re-created
#[tokio::test]
async fn actual_expecting_missing_falls_back_to_names() {
    let s = MockServer::start().await;
    expand_and_names(&s, &["a", "b"], 1, 1).await;
    Mock::given(method("GET"))
        .and(path("/connectors/b/config"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"name": "b", "tasks.max": "2"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let actual = client(&[&s.uri()], 1)
        .list_for(["a", "b"], &|_| true)
        .await
        .unwrap();
    let b = &actual["b"];
    assert_eq!((&b.status, b.config["tasks.max"].as_str()), (&None, "2"));
}

// proves an expected connector that does not exist at all costs the fallback list and nothing else
#[tokio::test]
async fn actual_expecting_absent_is_two_requests() {
    let s = MockServer::start().await;
    expand_and_names(&s, &["a"], 1, 1).await;
    let actual = client(&[&s.uri()], 1)
        .list_for(["a", "new"], &|_| true)
        .await
        .unwrap();
    assert!(!actual.contains_key("new"));
}

// proves connectors `keep` rejects (foreign ones) are dropped while decoding, also from the
// fallback list, and cost no config request
#[tokio::test]
async fn list_for_keeps_only_accepted() {
    let s = MockServer::start().await;
    expand_and_names(&s, &["a", "foreign"], 1, 1).await;
    let actual = client(&[&s.uri()], 1)
        .list_for(["ours"], &|n| n != "a" && n != "foreign")
        .await
        .unwrap();
    assert!(actual.is_empty(), "{actual:?}");
}

// proves the filtered decode skips rejected entries whatever their shape and keeps the rest
#[test]
fn decode_expanded_filters() {
    let body = r#"{"x": {"info": {"name": "x", "config": {"k": "v"}}, "status": {"weird": [1, {"deep": null}]}},
                   "ours": {"info": {"name": "ours", "config": {"k": "v"}}}}"#;
    let m = decode_expanded(body, &|n| n == "ours").unwrap();
    assert_eq!(m.keys().collect::<Vec<_>>(), ["ours"]);
    assert_eq!(m["ours"].info.as_ref().unwrap().config["k"], "v");
    assert!(decode_expanded("[1]", &|_| true).is_err());
}

// proves PUT config sends the flat map and tells 201 (created) from 200 (replaced)
#[tokio::test]
async fn put_config_created_and_replaced() {
    let s = MockServer::start().await;
    let config = BTreeMap::from([("tasks.max".to_string(), "4".to_string())]);
    let info = json!({"name": "c", "config": {"name": "c", "tasks.max": "4"}, "tasks": [], "type": "source"});
    Mock::given(method("PUT"))
        .and(path("/connectors/c/config"))
        .and(body_json(json!({"tasks.max": "4"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(info.clone()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/connectors/c/config"))
        .respond_with(ResponseTemplate::new(200).set_body_json(info))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&[&s.uri()], 1);
    let first = c.put_config("c", &config).await.unwrap();
    assert!(first.created);
    assert_eq!(first.info.unwrap().name, "c");
    assert!(!c.put_config("c", &config).await.unwrap().created);
}

// proves GET config 404 means "does not exist" and DELETE 404 counts as done
#[tokio::test]
async fn not_found_paths() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/connectors/x/config"))
        .respond_with(err(404, "Connector x not found"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/connectors/x"))
        .respond_with(err(404, "Connector x not found"))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/connectors/y"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path("/connectors/x/pause"))
        .respond_with(err(404, "Unknown connector x"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&[&s.uri()], 1);
    assert_eq!(c.get_config("x").await.unwrap(), None);
    c.delete("x").await.unwrap();
    c.delete("y").await.unwrap();
    let e = c.pause("x").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "kafka connect pause 'x': Unknown connector x (404)"
    );
}

// proves pause/resume (202), stop (204) and both restart forms (202 body, 204 legacy)
#[tokio::test]
async fn lifecycle_operations() {
    let s = MockServer::start().await;
    for (verb, p, code) in [
        ("PUT", "/connectors/c/pause", 202),
        ("PUT", "/connectors/c/resume", 202),
        ("PUT", "/connectors/c/stop", 204),
    ] {
        Mock::given(method(verb))
            .and(path(p))
            .respond_with(ResponseTemplate::new(code))
            .expect(1)
            .mount(&s)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/connectors/c/restart"))
        .and(query_param("includeTasks", "true"))
        .and(query_param("onlyFailed", "true"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "name": "c", "connector": {"state": "RUNNING", "worker_id": "w"},
            "tasks": [{"id": 0, "state": "RESTARTING", "worker_id": "w"}], "type": "source"})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/connectors/c/restart"))
        .and(query_param("includeTasks", "false"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&[&s.uri()], 1);
    c.pause("c").await.unwrap();
    c.resume("c").await.unwrap();
    c.stop("c").await.unwrap();
    let st = c.restart("c", true, true).await.unwrap().unwrap();
    assert_eq!(st.tasks[0].state, "RESTARTING");
    assert_eq!(c.restart("c", false, false).await.unwrap(), None);
}

// proves validate returns "<key>: <error>" strings (redacted) and an empty list when valid
#[tokio::test]
async fn validate_returns_errors() {
    let s = MockServer::start().await;
    let class = "org.apache.kafka.connect.mirror.MirrorSourceConnector";
    Mock::given(method("PUT"))
        .and(path(format!("/connector-plugins/{class}/config/validate")))
        .and(wiremock::matchers::body_partial_json(json!({"connector.class": class})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": class, "error_count": 2, "groups": ["Common"],
            "configs": [
                {"definition": {"name": "source.cluster.alias"}, "value": {"name": "source.cluster.alias", "value": null, "recommended_values": [], "errors": ["Missing required configuration \"source.cluster.alias\" which has no default value."], "visible": true}},
                {"definition": null, "value": {"name": "producer.override.sasl.jaas.config", "value": "[hidden]", "recommended_values": [], "errors": [format!("The 'None' policy does not allow it; value {KAFKA_PW}")], "visible": true}},
                {"definition": null, "value": {"name": "tasks.max", "value": "1", "errors": [], "visible": true}}
            ]})))
        .expect(1)
        .mount(&s)
        .await;
    let errors = client(&[&s.uri()], 1)
        .validate(class, &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0], "source.cluster.alias: Missing required configuration \"source.cluster.alias\" which has no default value.");
    assert_no_secret(&errors.join("\n"));
}

// proves a 400 echoing the whole config (passwords, JAAS, PEM) is reported without any secret
#[tokio::test]
async fn bad_request_is_redacted() {
    let s = MockServer::start().await;
    let message = format!(
        "Connector config {{sasl.jaas.config={}, ssl.truststore.certificates=-----BEGIN CERTIFICATE-----\nMIIBxyz\n-----END CERTIFICATE-----, basic={PW}}} contains no connector type",
        jaas()
    );
    Mock::given(method("PUT"))
        .respond_with(err(400, &message))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&[&s.uri()], 3)
        .put_config("c", &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectError::Http { status: 400, .. }), "{e:?}");
    assert!(e.to_string().contains("contains no connector type"), "{e}");
    assert_no_secret(&format!("{e} {e:?}"));
}

// proves failover: a dead first endpoint is skipped and the second answers
#[tokio::test]
async fn failover_on_connection_error() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&s)
        .await;
    let names = client(&[&dead_endpoint(), &s.uri()], 1)
        .names()
        .await
        .unwrap();
    assert!(names.is_empty());
}

// proves failover on a plain 500, and that a 500 everywhere is returned without endless retries
#[tokio::test]
async fn failover_on_server_error() {
    let bad = MockServer::start().await;
    let good = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(err(500, "boom"))
        .expect(1)
        .mount(&bad)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(["x"])))
        .expect(1)
        .mount(&good)
        .await;
    assert_eq!(
        client(&[&bad.uri(), &good.uri()], 5).names().await.unwrap(),
        vec!["x"]
    );

    let only_bad = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(err(500, "Failed to find any class"))
        .expect(1)
        .mount(&only_bad)
        .await;
    let e = client(&[&only_bad.uri()], 5).names().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "kafka connect list connectors: Failed to find any class (HTTP 500)"
    );
}

// proves 409 rebalance is retried with backoff and then succeeds
#[tokio::test]
async fn conflict_retried_then_success() {
    let s = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(err(409, "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "c", "config": {}, "tasks": []})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let out = client(&[&s.uri()], 5)
        .put_config("c", &BTreeMap::new())
        .await
        .unwrap();
    assert!(!out.created);
}

// proves the GET-side rebalance 500 and the Jetty non-JSON startup 404 are both retried
#[tokio::test]
async fn rebalance_500_and_startup_404_retried() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(err(
            500,
            "Request cannot be completed because a rebalance is expected",
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_string("<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": "3.9.0"})))
        .expect(1)
        .mount(&s)
        .await;
    assert_eq!(
        client(&[&s.uri()], 5).server_info().await.unwrap().version,
        "3.9.0"
    );
}

// proves an endless rebalance ends when the budget is spent, with a transient error whose
// summary is one endpoint and one cause
#[tokio::test]
async fn budget_exhaustion() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(err(
            409,
            "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
        ))
        .mount(&s)
        .await;
    let c = ConnectClient::with_policy(
        &settings(&[&s.uri()]),
        // Long enough that a loaded machine still gets an answer before the budget ends.
        Budget::new(Duration::from_secs(2)),
        fast(u32::MAX),
    )
    .unwrap();
    let e = c.names().await.unwrap_err();
    assert!(matches!(e, ConnectError::GaveUp { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with("kafka connect list connectors: gave up after "),
        "{text}"
    );
    assert!(
        text.contains("answered 409 (Cannot complete request because of a conflicting operation"),
        "{text}"
    );
    assert!(text.ends_with("; will retry at the next hook"), "{text}");
    assert_eq!(e.summary(), format!("{}: rebalancing (409)", s.uri()));
    assert!(c.budget().is_exhausted());
}

// proves a rebalance that outlasts the rounds (not the budget) stops at max_rounds
#[tokio::test]
async fn rebalance_rounds_are_bounded() {
    let s = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(err(409, "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."))
        .expect(RetryPolicy::default().max_rounds as u64)
        .mount(&s)
        .await;
    let e = client(&[&s.uri()], RetryPolicy::default().max_rounds)
        .put_config("c", &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ConnectError::GaveUp { attempts: 6, .. }),
        "{e:?}"
    );
}

// proves an already-spent budget makes no request at all
#[tokio::test]
async fn spent_budget_sends_nothing() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&s)
        .await;
    let c =
        ConnectClient::with_policy(&settings(&[&s.uri()]), Budget::new(Duration::ZERO), fast(3))
            .unwrap();
    assert!(matches!(
        c.names().await,
        Err(ConnectError::GaveUp { attempts: 0, .. })
    ));
}

// proves the plain-text 401 body is handled: one retry (a user Connect has not loaded yet
// passes only when it restarts), then reported as refused credentials
#[tokio::test]
async fn unauthorized_plain_text() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string("User cannot access the resource."),
        )
        .expect(2)
        .mount(&s)
        .await;
    let e = client(&[&s.uri()], 6).names().await.unwrap_err();
    assert!(matches!(e, ConnectError::Unauthorized { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "kafka connect list connectors: the credentials from the connect-client relation were refused \
         (User cannot access the resource.); Kafka Connect reads new users only when it restarts"
    );
    assert_eq!(
        e.summary(),
        "refused our credentials (401); it reads new users only when it restarts"
    );
    assert_no_secret(&format!("{e:?}"));
}

// proves a transient 401 right after credentials arrive is retried into success
#[tokio::test]
async fn unauthorized_then_success() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string("User cannot access the resource."),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&s)
        .await;
    assert!(client(&[&s.uri()], 3).names().await.unwrap().is_empty());
}

// proves all-endpoints-down gives up after the persistent rounds (two, not max_rounds), with
// a short cause naming the first endpoint and no password or error chain
#[tokio::test]
async fn unreachable_everywhere() {
    let (dead, dead2) = (dead_endpoint(), dead_endpoint());
    let e = client(&[&dead, &dead2], 6).names().await.unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, ConnectError::GaveUp { attempts: 4, .. }),
        "{e:?}"
    );
    assert!(text.contains("cannot reach http://127.0.0.1:"), "{text}");
    assert_eq!(e.summary(), format!("{dead} (+1 more): connection refused"));
    assert_no_secret(&format!("{text} {e:?}"));
}

// proves a 2xx body that is not the expected entity is a Decode error, redacted
#[tokio::test]
async fn undecodable_body() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(format!("oops password={KAFKA_PW}")),
        )
        .mount(&s)
        .await;
    let e = client(&[&s.uri()], 1).server_info().await.unwrap_err();
    assert!(matches!(e, ConnectError::Decode { .. }), "{e:?}");
    assert_no_secret(&e.to_string());
}

// proves bad relation data is rejected before any request, with a fix-oriented message
#[test]
fn setup_errors() {
    let bad = |endpoints: &str, ca: Option<&str>| {
        let mut s = settings(&[endpoints]);
        s.ca_pem = ca.map(str::to_string);
        ConnectClient::new(&s, Budget::default())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        bad("", None),
        "invalid connect-client relation data: no endpoints were advertised"
    );
    assert!(bad("10.0.0.1:8083", None).contains("must look like 'https://host:port'"));
    assert!(bad("ftp://h:1", None).contains("must look like"));
    assert_eq!(
        bad("https://h:8443", Some("not a pem")),
        "invalid connect-client relation data: the CA holds no PEM certificate"
    );
    let ok = ConnectClient::new(
        &settings(&["https://a:8443/", " https://b:8443"]),
        Budget::default(),
    )
    .unwrap();
    assert_eq!(ok.endpoints(), ["https://a:8443", "https://b:8443"]);
}

// proves plugins() lists classes and status() maps "No status found" 404 to None
#[tokio::test]
async fn plugins_and_status() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/connector-plugins"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"class": "org.apache.kafka.connect.mirror.MirrorSourceConnector", "type": "source", "version": "3.9.0"},
            {"class": "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector", "type": "source"}
        ])))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/connectors/new/status"))
        .respond_with(err(404, "No status found for connector new"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&[&s.uri()], 1);
    let p = c.plugins().await.unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[1].version, None);
    assert_eq!(c.status("new").await.unwrap(), None);
}

// proves the follower's "IO Error trying to forward" 500 is retried, not final
#[tokio::test]
async fn forward_io_error_retried() {
    let s = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(err(
            500,
            "IO Error trying to forward REST request: Unexpected character",
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&s)
        .await;
    assert!(
        client(&[&s.uri()], 3)
            .put_config("c", &BTreeMap::new())
            .await
            .unwrap()
            .created
    );
}
