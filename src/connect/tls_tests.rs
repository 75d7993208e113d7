//! Real TLS: a tiny rustls HTTPS server with an rcgen CA proves that the client trusts ONLY
//! the relation's CA (a wrong CA is rejected, the right one accepted).

use super::*;
use crate::secret::Secret;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
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
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
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
    port
}

fn client(port: u16, ca_pem: &str) -> ConnectClient {
    let settings = ConnectSettings {
        endpoints: format!("https://localhost:{port}"),
        ca_pem: Some(ca_pem.to_string()),
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
