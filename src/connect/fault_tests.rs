//! The Connect client against faulty endpoints: black holes, refused credentials, a busy
//! herder, redirects, huge answers, a non-Connect server, hostile relation data. Each test
//! asserts the outcome — rounds (requests served), error kind, the status summary — never
//! the time taken.

use super::*;
use crate::secret::Secret;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PW: &str = "Conn3ct-Pa55word";

fn settings(endpoints: &[&str]) -> ConnectSettings {
    ConnectSettings {
        endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
        ca_pem: None,
        username: "integrator".into(),
        password: Secret::new(PW),
    }
}

/// The default classes and rounds, millisecond backoff, the given request timeout.
fn policy(request_timeout: Duration) -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
        request_timeout,
        ..RetryPolicy::default()
    }
}

fn client(endpoints: &[&str], budget: Duration, request_timeout: Duration) -> ConnectClient {
    ConnectClient::with_policy(
        &settings(endpoints),
        Budget::new(budget),
        policy(request_timeout),
    )
    .unwrap()
}

/// A listener that accepts every connection and never answers (a black hole that completes
/// the TCP handshake); returns its URL and the count of connections accepted.
fn black_hole() -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            held.push(s); // keep it open, say nothing
        }
    });
    (url, n)
}

/// A server that answers every request 200 with an endless body of `{`, declared with
/// `Content-Length: <declared>` or chunked when `None`; returns its URL and the bytes it
/// managed to write before the client hung up.
fn firehose(declared: Option<u64>) -> (String, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let written = Arc::new(AtomicU64::new(0));
    let w = written.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let w = w.clone();
            std::thread::spawn(move || pour(s, declared, &w));
        }
    });
    (url, written)
}

fn pour(mut s: TcpStream, declared: Option<u64>, written: &AtomicU64) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    while r.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let head = match declared {
        Some(n) => format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {n}\r\n\r\n"),
        None => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".into(),
    };
    let _ = s.write_all(head.as_bytes());
    let block = vec![b'{'; 64 << 10];
    let chunk = [
        format!("{:x}\r\n", block.len()).into_bytes(),
        block.clone(),
        b"\r\n".to_vec(),
    ]
    .concat();
    let piece = if declared.is_some() { &block } else { &chunk };
    for _ in 0..(1u64 << 30) / block.len() as u64 {
        if s.write_all(piece).is_err() {
            return;
        }
        written.fetch_add(piece.len() as u64, Ordering::SeqCst);
    }
}

// Proves a black hole (accepts, never answers) costs the persistent rounds — two requests —
// and reports "no answer within" the request timeout, not a chain of client errors.
#[tokio::test]
async fn black_hole_gives_up_after_two_rounds() {
    let (url, accepted) = black_hole();
    let c = client(&[&url], Duration::from_secs(60), Duration::from_millis(200));
    let e = c.names().await.unwrap_err();
    assert!(
        matches!(e, ConnectError::GaveUp { attempts: 2, .. }),
        "{e:?}"
    );
    assert_eq!(e.summary(), format!("{url}: no answer within 0.2 s"));
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

// Proves the hook's budget cuts a request that would wait longer, and the summary says the
// budget (not Connect's speed) ended it.
#[tokio::test]
async fn budget_cuts_a_black_hole() {
    let (url, accepted) = black_hole();
    let c = client(&[&url], Duration::from_millis(300), Duration::from_secs(30));
    let e = c.names().await.unwrap_err();
    assert!(
        matches!(e, ConnectError::GaveUp { attempts: 1, .. }),
        "{e:?}"
    );
    assert_eq!(
        e.summary(),
        format!("{url}: no answer within the hook's time budget")
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert!(c.budget().is_exhausted());
}

// Proves 500 "Request timed out" (a herder busy for 90 s) gets one retry, not the
// rebalance's six rounds, and a short cause.
#[tokio::test]
async fn request_timed_out_500_twice() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error_code": 500,
            "message": "Request timed out. The worker is currently ensuring membership in the cluster, which began at 2026-11-25T17:00:00Z"})))
        .expect(2)
        .mount(&s)
        .await;
    let e = client(&[&s.uri()], Duration::from_secs(60), Duration::from_secs(5))
        .names()
        .await
        .unwrap_err();
    assert!(
        matches!(e, ConnectError::GaveUp { attempts: 2, .. }),
        "{e:?}"
    );
    assert_eq!(
        e.summary(),
        format!("{}: busy: request timed out (500)", s.uri())
    );
}

// Proves a redirect is not followed (the target gets nothing), is not retried, and the
// summary says where it pointed without the userinfo it carried.
#[tokio::test]
async fn redirect_named_not_followed() {
    let target = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(0)
        .mount(&target)
        .await;
    let s = MockServer::start().await;
    let to = target.uri().replace("http://", "http://evil:hunter2@");
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", format!("{to}/x?y=1")))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&[&s.uri()], Duration::from_secs(60), Duration::from_secs(5))
        .names()
        .await
        .unwrap_err();
    assert!(
        matches!(e, ConnectError::Redirect { status: 302, .. }),
        "{e:?}"
    );
    let summary = e.summary();
    assert_eq!(
        summary,
        format!(
            "{} redirects (302) to {}/x?y=1; not followed",
            s.uri(),
            target.uri()
        )
    );
    assert!(!format!("{e} {e:?}").contains("hunter2"));

    let bare = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(307))
        .mount(&bare)
        .await;
    let e = client(
        &[&bare.uri()],
        Duration::from_secs(60),
        Duration::from_secs(5),
    )
    .names()
    .await
    .unwrap_err();
    assert!(e
        .summary()
        .ends_with("redirects (307) to nowhere (no Location header); not followed"));
}

// Proves an endless answer is cut at the cap while streaming — the server could write only
// about the cap before the client hung up — and the error names the cap; a declared
// Content-Length over the cap is refused before reading.
#[tokio::test]
async fn huge_answers_stop_at_the_cap() {
    for declared in [None, Some(1u64 << 30)] {
        let (url, written) = firehose(declared);
        let e = client(&[&url], Duration::from_secs(60), Duration::from_secs(30))
            .list_all()
            .await
            .unwrap_err();
        assert!(
            matches!(e, ConnectError::TooLarge { cap: MAX_BODY, .. }),
            "{e:?}"
        );
        assert_eq!(e.summary(), format!("{url} sent more than the 8 MiB cap"));
        assert!(e.to_string().contains("larger than the 8 MiB cap"));
        // Socket buffers hold a few MiB; the 1 GiB never went out.
        let sent = written.load(Ordering::SeqCst);
        assert!(
            sent < 64 << 20,
            "{declared:?}: the server wrote {sent} bytes"
        );
    }
}

// Proves an error answer is read only up to its own cap and cut for the message.
#[tokio::test]
async fn error_bodies_are_capped() {
    let s = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(400).set_body_string("x".repeat(2 << 20)))
        .expect(1)
        .mount(&s)
        .await;
    let e = client(&[&s.uri()], Duration::from_secs(60), Duration::from_secs(5))
        .put_config("c", &Default::default())
        .await
        .unwrap_err();
    let ConnectError::Http {
        status: 400,
        message,
        ..
    } = &e
    else {
        panic!("{e:?}");
    };
    assert!(message.chars().count() <= 201, "{}", message.len());
}

// Proves a server that answers 404 without Connect's JSON to everything is retried as a
// starting worker for the rounds, then named as "starting, or not Kafka Connect".
#[tokio::test]
async fn html_404_is_not_starting_forever() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string("<html><h1>Not Found</h1></html>"))
        .expect(RetryPolicy::default().max_rounds as u64)
        .mount(&s)
        .await;
    let e = client(&[&s.uri()], Duration::from_secs(60), Duration::from_secs(5))
        .names()
        .await
        .unwrap_err();
    assert_eq!(
        e.summary(),
        format!(
            "{}: 404 without Connect's JSON: still starting, or not Kafka Connect",
            s.uri()
        )
    );
}

// Proves an endpoint with credentials, a path, a query or a fragment is refused before any
// request, and the error never repeats the credentials.
#[test]
fn endpoints_are_parsed_strictly() {
    let bad = |e: &str| {
        ConnectClient::new(&settings(&[e]), Budget::default())
            .unwrap_err()
            .to_string()
    };
    let e = bad("http://admin:hunter2@h:8083");
    assert!(
        e.contains("carries credentials") && !e.contains("hunter2") && !e.contains("admin"),
        "{e}"
    );
    assert!(bad("http://h:8083/api").contains("has a path or query"));
    assert!(bad("http://h:8083/?x=1").contains("has a path or query"));
    assert!(bad("http://h:8083/#f").contains("has a path or query"));
    assert!(!bad("http://u:hunter2@").contains("hunter2"));
}

// Proves every summary of an endpoint failure fits a status after "Kafka Connect " with a
// typical endpoint (the status-set helper cuts anything longer anyway).
#[test]
fn summaries_fit_a_status() {
    let endpoint = "https://10.100.200.123:8083".to_string();
    let errors = [
        ConnectError::GaveUp {
            op: "list connectors".into(),
            attempts: 2,
            endpoint: format!("{endpoint} (+2 more)"),
            cause: "404 without Connect's JSON: still starting, or not Kafka Connect".into(),
            last: "x".repeat(500),
        },
        ConnectError::Unauthorized {
            op: "x".into(),
            message: "y".repeat(500),
        },
        ConnectError::TooLarge {
            op: "x".into(),
            endpoint: endpoint.clone(),
            cap: MAX_BODY,
        },
        ConnectError::Redirect {
            op: "x".into(),
            endpoint: endpoint.clone(),
            status: 302,
            location: format!("{}…", "z".repeat(40)),
        },
        ConnectError::Certificate {
            op: "x".into(),
            endpoint,
            problem: CertProblem::UnknownIssuer,
        },
        ConnectError::Decode {
            op: "x".into(),
            message: "m".repeat(500),
        },
    ];
    for e in errors {
        let status = format!("Kafka Connect {}", e.summary());
        assert!(
            status.chars().count() <= 120,
            "{} chars: {status}",
            status.len()
        );
    }
}

// Proves a slow write to a Connect that already answered in this hook is waited for (load,
// not an outage: cutting it short leaves a half-done plan until the next hook), while the
// same slowness before any answer is cut at the request timeout.
#[tokio::test]
async fn slow_write_after_an_answer_is_waited_for() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    let uri = server.uri();
    let fresh = || {
        let mut p = policy(Duration::from_millis(100));
        p.write_timeout = Duration::from_secs(5);
        ConnectClient::with_policy(
            &settings(&[&uri]),
            Budget::new(Duration::from_millis(200)),
            p,
        )
        .unwrap()
    };
    let cold = fresh();
    assert!(
        cold.delete("c").await.is_err(),
        "no answer yet: the request timeout applies"
    );
    let warm = fresh();
    warm.names().await.unwrap();
    warm.delete("c")
        .await
        .expect("Connect answered before: the write timeout applies");
}
