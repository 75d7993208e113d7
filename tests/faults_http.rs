//! Whole hooks against a faulty Kafka Connect, through the real adapter and REST client with
//! the shipped budget (connect_adapter::factory): Connect down, black-holed, refusing our
//! credentials, busy, redirecting, not Kafka Connect, answering 1 GiB, echoing control
//! characters and secrets, rebalancing. Each test asserts the outcome: the status (kind,
//! text, ≤ 120 characters, no control character, no secret) and the requests Connect saw —
//! never the time taken (benches/faults.sh measures that).

mod day2_support;

use day2_support::*;
use mirrormaker_integrator::charm::{self, connect_adapter};
use mirrormaker_integrator::juju::memory::{MemoryTools, State};
use mirrormaker_integrator::juju::{Status, StatusKind};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Runs `f` on a plain thread (the adapter starts its own runtime; wiremock's runs here).
async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(move || std::thread::spawn(f).join().unwrap())
        .await
        .unwrap()
}

/// The fixture world with Kafka Connect at `endpoint`.
fn world_at(endpoint: &str) -> State {
    let mut state = world();
    state
        .relations
        .iter_mut()
        .find(|r| r.endpoint == "connect-client")
        .unwrap()
        .remote_app_data
        .insert("endpoints".into(), endpoint.to_string());
    state
}

/// One update-status hook on the leader against Connect at `endpoint`; the world after.
async fn hook_against(state: State) -> State {
    off_runtime(move || {
        let tools = MemoryTools::new(state);
        charm::run_at(
            &hook("update-status", None),
            &tools,
            &connect_adapter::factory,
            T0,
        )
        .unwrap();
        tools.into_state()
    })
    .await
}

/// The unit status after the hook, checked against what every status must be: at most 120
/// characters, no control character, no password of the fixture world.
fn status(s: &State) -> Status {
    let st = s.unit_status.clone().unwrap();
    let m = &st.message;
    assert!(m.chars().count() <= 120, "{} chars: {m}", m.chars().count());
    assert!(!m.chars().any(char::is_control), "{m:?}");
    for secret in ["pw-connect-secret", "pw-kafka-secret"] {
        assert!(!m.contains(secret), "{m}");
    }
    assert!(
        !m.contains("error sending request"),
        "client error chain: {m}"
    );
    st
}

/// A URL on which nothing listens.
fn dead_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

async fn requests(s: &MockServer) -> usize {
    s.received_requests().await.unwrap_or_default().len()
}

// Proves Connect down (connection refused) gives one short waiting status naming the
// endpoint and the cause once, after two attempts.
#[tokio::test(flavor = "multi_thread")]
async fn connect_down() {
    let dead = dead_endpoint();
    let st = status(&hook_against(world_at(&dead)).await);
    assert_eq!(
        st,
        Status::new(
            StatusKind::Waiting,
            format!("Kafka Connect {dead}: connection refused")
        )
    );
}

// Proves a black hole (accepts, never answers) ends the hook with "no answer" after at most
// two connections, not eight rounds.
#[tokio::test(flavor = "multi_thread")]
async fn connect_black_holed() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let n = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            n.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
    });
    let st = status(&hook_against(world_at(&url)).await);
    assert_eq!(
        st,
        Status::new(
            StatusKind::Waiting,
            format!("Kafka Connect {url}: no answer within 2.5 s")
        )
    );
    assert!(accepted.load(Ordering::SeqCst) <= 2);
}

// Proves a 401 (plain text, as the basic-auth extension answers) blocks with one short
// cause after two requests.
#[tokio::test(flavor = "multi_thread")]
async fn connect_refuses_our_credentials() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string("User cannot access the resource."),
        )
        .expect(2)
        .mount(&s)
        .await;
    let st = status(&hook_against(world_at(&s.uri())).await);
    assert_eq!(
        st,
        Status::new(
            StatusKind::Blocked,
            "Kafka Connect refused our credentials (401); it reads new users only when it restarts"
        )
    );
}

// Proves 500 "Request timed out" waits with a short cause after two requests, and its long
// stage text is not in the status.
#[tokio::test(flavor = "multi_thread")]
async fn connect_busy() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error_code": 500,
            "message": "Request timed out. The worker is currently ensuring membership in the cluster, which began at 2026-11-25T16:58:00Z"})))
        .expect(2)
        .mount(&s)
        .await;
    let st = status(&hook_against(world_at(&s.uri())).await);
    assert_eq!(
        st,
        Status::new(
            StatusKind::Waiting,
            format!("Kafka Connect {}: busy: request timed out (500)", s.uri())
        )
    );
}

// Proves a 302 blocks saying where it pointed (without userinfo), and is not followed.
#[tokio::test(flavor = "multi_thread")]
async fn connect_redirects() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", "https://admin:hunter2@login.example/sso"),
        )
        .expect(1)
        .mount(&s)
        .await;
    let st = status(&hook_against(world_at(&s.uri())).await);
    assert_eq!(
        st,
        Status::new(
            StatusKind::Blocked,
            format!(
                "Kafka Connect {} redirects (302) to https://login.example/sso; not followed",
                s.uri()
            )
        )
    );
}

// Proves a server that answers every path 404 without Connect's JSON is retried as a
// starting worker within the hook only, then named as possibly not Kafka Connect.
#[tokio::test(flavor = "multi_thread")]
async fn not_kafka_connect() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string("<html>Not Found</html>"))
        .mount(&s)
        .await;
    let st = status(&hook_against(world_at(&s.uri())).await);
    assert_eq!(
        st,
        Status::new(
            StatusKind::Waiting,
            format!(
                "Kafka Connect {}: 404 without Connect's JSON: still starting, or not Kafka Connect",
                s.uri()
            )
        )
    );
    assert!(requests(&s).await <= 6, "at most max_rounds requests");
}

// Proves a 1 GiB answer is cut at the 8 MiB cap while streaming (the server wrote far less
// than 1 GiB) and blocks naming the cap.
#[tokio::test(flavor = "multi_thread")]
async fn connect_answers_one_gib() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let written = Arc::new(AtomicU64::new(0));
    let w = written.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let w = w.clone();
            std::thread::spawn(move || pour_chunked(s, &w));
        }
    });
    let st = status(&hook_against(world_at(&url)).await);
    assert_eq!(
        st,
        Status::new(
            StatusKind::Blocked,
            format!("Kafka Connect {url} sent more than the 8 MiB cap")
        )
    );
    assert!(written.load(Ordering::SeqCst) < 64 << 20);
}

/// Answers one request with a chunked body of 1 GiB of `{`, stopping when the client hangs up.
fn pour_chunked(mut s: TcpStream, written: &AtomicU64) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    while r.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let _ = s.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let block = vec![b'{'; 64 << 10];
    let chunk = [
        format!("{:x}\r\n", block.len()).into_bytes(),
        block,
        b"\r\n".to_vec(),
    ]
    .concat();
    for _ in 0..(1u64 << 30) / (64 << 10) {
        if s.write_all(&chunk).is_err() {
            return;
        }
        written.fetch_add(chunk.len() as u64, Ordering::SeqCst);
    }
}

/// Mounts a Connect with none of our connectors that validates everything.
async fn empty_connect(s: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .and(query_param("expand", "status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path("/connectors"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(s)
        .await;
}

async fn validates(s: &MockServer, errors: Vec<&str>) {
    let configs: Vec<_> = if errors.is_empty() {
        vec![]
    } else {
        vec![
            json!({"definition": null, "value": {"name": "topics", "value": null,
                    "recommended_values": [], "errors": errors, "visible": true}}),
        ]
    };
    let n = configs.len();
    Mock::given(method("PUT"))
        .and(path_regex(r"^/connector-plugins/.*/config/validate$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"name": "x", "error_count": n, "groups": [], "configs": configs}),
        ))
        .mount(s)
        .await;
}

async fn put_answers(s: &MockServer, template: ResponseTemplate, times: Option<u64>) {
    let m = Mock::given(method("PUT"))
        .and(path_regex(r"^/connectors/[^/]+/config$"))
        .respond_with(template);
    match times {
        Some(n) => m.up_to_n_times(n).mount(s).await,
        None => m.mount(s).await,
    }
}

fn conflict() -> ResponseTemplate {
    ResponseTemplate::new(409).set_body_json(json!({"error_code": 409,
        "message": "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"}))
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201)
        .set_body_json(json!({"name": "x", "config": {}, "tasks": [], "type": "source"}))
}

// Proves a brief rebalance (two 409s) converges within the hook: the three connectors are
// written in the same hook and the status is not a Connect failure.
#[tokio::test(flavor = "multi_thread")]
async fn brief_rebalance_converges_within_the_hook() {
    let s = MockServer::start().await;
    empty_connect(&s).await;
    validates(&s, vec![]).await;
    put_answers(&s, conflict(), Some(2)).await;
    put_answers(&s, created(), None).await;
    let after = hook_against(world_at(&s.uri())).await;
    let put_count = s
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "PUT" && r.url.path().ends_with("/config"))
        .count();
    assert_eq!(put_count, 2 + 3, "two 409s, then the three connectors");
    assert!(peer_bag(&after).contains_key("last-change"));
    let st = status(&after);
    assert!(
        st.message.contains("written, not listed by Kafka Connect"),
        "{st}"
    );
}

// Proves a rebalance longer than the hook's rounds gives up with a short waiting status and
// the next hook converges.
#[tokio::test(flavor = "multi_thread")]
async fn long_rebalance_converges_at_the_next_hook() {
    let s = MockServer::start().await;
    empty_connect(&s).await;
    validates(&s, vec![]).await;
    put_answers(&s, conflict(), Some(6)).await;
    put_answers(&s, created(), None).await;
    let first = hook_against(world_at(&s.uri())).await;
    let st = status(&first);
    assert_eq!(st.kind, StatusKind::Waiting);
    assert!(
        st.message.starts_with(&format!(
            "Kafka Connect {}: rebalancing (409) (create mirror_source_kafka-a_r5)",
            s.uri()
        )),
        "{st}"
    );
    let second = hook_against(first).await;
    assert!(status(&second)
        .message
        .contains("written, not listed by Kafka Connect"));
    assert!(peer_bag(&second).contains_key("last-change"));
}

// Proves Connect's validation errors carrying control characters, a secret and a long text
// reach the status cleaned, redacted and cut, naming the first error and the count.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_validation_messages() {
    let s = MockServer::start().await;
    empty_connect(&s).await;
    validates(
        &s,
        vec!["pw-kafka-secret\u{1b}[2J\nactive: forged", &"x".repeat(300)],
    )
    .await;
    let st = status(&hook_against(world_at(&s.uri())).await);
    assert_eq!(st.kind, StatusKind::Blocked);
    assert!(
        st.message
            .starts_with("Kafka Connect rejects mirror_source_kafka-a_r5: "),
        "{st}"
    );
    assert!(
        st.message
            .contains("topics: <redacted> [2J active: forged (+1 more)"),
        "{st}"
    );
}
