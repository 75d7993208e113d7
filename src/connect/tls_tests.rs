//! Real TLS: a tiny rustls HTTPS server with an rcgen CA proves that the client trusts ONLY
//! the relation's CA (a wrong CA is rejected, the right one accepted).

use super::*;
use crate::secret::Secret;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

fn ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let pem = params.self_signed(&key).unwrap().pem();
    Ca { params, key, pem }
}

/// Serve `GET /` with a ServerInfo body over TLS on 127.0.0.1; returns the port.
fn serve(ca: &Ca) -> u16 {
    serve_leaf(
        ca,
        CertificateParams::new(vec!["localhost".to_string()]).unwrap(),
    )
    .0
}

/// Like [`serve`] with the leaf certificate's parameters given; also returns the number of
/// TCP connections accepted so far.
fn serve_leaf(ca: &Ca, leaf: CertificateParams) -> (u16, Arc<AtomicUsize>) {
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf
        .signed_by(&leaf_key, &Issuer::from_params(&ca.params, &ca.key))
        .unwrap();
    let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, stream);
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            // A failed handshake (client rejected our certificate) just ends this connection.
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            if buf.is_empty() {
                continue;
            }
            let body = r#"{"version":"3.9.0","commit":"c","kafka_cluster_id":"k"}"#;
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(resp.as_bytes());
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (port, accepted)
}

fn client(port: u16, ca_pem: &str) -> ConnectClient {
    client_for(&format!("https://localhost:{port}"), Some(ca_pem))
}

fn client_for(endpoints: &str, ca_pem: Option<&str>) -> ConnectClient {
    let settings = ConnectSettings {
        endpoints: vec![endpoints.to_string()],
        ca_pem: ca_pem.map(str::to_string),
        username: "u".into(),
        password: Secret::new("tls-test-password"),
    };
    let policy = RetryPolicy {
        max_rounds: 1,
        ..RetryPolicy::default()
    };
    ConnectClient::with_policy(&settings, Budget::new(Duration::from_secs(30)), policy).unwrap()
}

// proves verified TLS: the server's own CA is accepted and a different CA is rejected
#[tokio::test]
async fn only_the_relation_ca_is_trusted() {
    let right = ca();
    let wrong = ca();
    let port = serve(&right);

    let e = client(port, &wrong.pem).server_info().await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("certificate"),
        "expected a certificate error, got: {text}"
    );
    assert!(!text.contains("tls-test-password"));

    let info = client(port, &right.pem).server_info().await.unwrap();
    assert_eq!(info.version, "3.9.0");
}

// proves the config used for plain-HTTP-only clients (no trust store loaded) trusts nothing:
// a TLS server, even with a valid chain, is rejected
#[tokio::test]
async fn no_roots_trusts_no_server() {
    let ca = ca();
    let port = serve(&ca);
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(super::tls::no_roots().unwrap())
        .build()
        .unwrap();
    let e = http
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_connect() || e.to_string().contains("error"), "{e}");
}

fn problem_of(e: ConnectError) -> CertProblem {
    match e {
        ConnectError::Certificate { problem, .. } => problem,
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

// proves a certificate from an unknown CA is reported as such, and is not retried: with the
// default policy (8 rounds) the server sees exactly one connection
#[tokio::test]
async fn unknown_ca_is_named_and_never_retried() {
    let (right, wrong) = (ca(), ca());
    let (port, accepted) = serve_leaf(
        &right,
        CertificateParams::new(vec!["localhost".into()]).unwrap(),
    );
    let settings = ConnectSettings {
        endpoints: vec![format!("https://localhost:{port}")],
        ca_pem: Some(wrong.pem.clone()),
        username: "u".into(),
        password: Secret::new("tls-test-password"),
    };
    let c = ConnectClient::new(&settings, Budget::new(Duration::from_secs(30))).unwrap();
    let e = c.server_info().await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "kafka connect get server info: https://localhost:{port} serves a certificate signed by an unknown CA"
        )
    );
    assert_eq!(problem_of(e), CertProblem::UnknownIssuer);
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

// proves every CA of a bundle is trusted: the right one after an unrelated one verifies
#[tokio::test]
async fn any_ca_of_a_bundle_verifies() {
    let (right, other) = (ca(), ca());
    let port = serve(&right);
    let bundle = format!("{}{}", other.pem, right.pem);
    assert_eq!(
        client(port, &bundle).server_info().await.unwrap().version,
        "3.9.0"
    );
}

// proves an https endpoint with no CA of ours is verified against the platform trust store,
// which does not know a private CA: the unknown CA is named, nothing is sent unverified
#[tokio::test]
async fn platform_store_refuses_a_private_ca() {
    let port = serve(&ca());
    let e = client_for(&format!("https://localhost:{port}"), None)
        .server_info()
        .await
        .unwrap_err();
    assert_eq!(problem_of(e), CertProblem::UnknownIssuer);
}

// proves a certificate for another name, or an expired one, is reported as what it is
#[tokio::test]
async fn wrong_name_and_expired_are_named() {
    let ca = ca();
    let port = serve(&ca);
    let e = client_for(&format!("https://127.0.0.1:{port}"), Some(&ca.pem))
        .server_info()
        .await
        .unwrap_err();
    assert_eq!(problem_of(e), CertProblem::WrongName);

    let mut old = CertificateParams::new(vec!["localhost".into()]).unwrap();
    old.not_before = rcgen::date_time_ymd(2020, 1, 1);
    old.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let (port, _) = serve_leaf(&ca, old);
    let e = client(port, &ca.pem).server_info().await.unwrap_err();
    assert_eq!(problem_of(e), CertProblem::Expired);
}
