//! The client against a fake broker on a local socket that answers badly: every case ends in
//! a typed failure within the time budget, never a panic or a large allocation.

use super::client::{Limits, RealKafka};
use super::{KafkaApi, KafkaFailureKind};
use crate::mirror::Cluster;
use crate::secret::Secret;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

/// A one-connection broker: reads one request frame, writes `answer`, then keeps the socket
/// open (or closes it) until the client gives up.
fn broker(answer: Vec<u8>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let mut len = [0u8; 4];
            if s.read_exact(&mut len).is_ok() {
                let mut req = vec![0u8; i32::from_be_bytes(len).max(0) as usize];
                let _ = s.read_exact(&mut req);
                let _ = s.write_all(&answer);
                std::thread::sleep(Duration::from_millis(1500));
            }
        }
    });
    addr
}

fn client(addr: &str) -> RealKafka {
    let cluster = Cluster {
        alias: "kafka-x".into(),
        bootstrap: addr.into(),
        tls: false,
        ca_pem: None,
        username: "relation-9".into(),
        password: Secret::new("pw-not-shown"),
    };
    let limits = Limits {
        total: Duration::from_secs(3),
        io_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    RealKafka::new(&cluster, limits).expect("client")
}

/// Oversized length, negative length, garbage body, wrong correlation id, a silent broker,
/// a closed port: each is a typed failure naming the cluster, without the password.
#[test]
fn bad_brokers_are_typed_failures() {
    let frame = |body: &[u8]| {
        let mut f = (body.len() as i32).to_be_bytes().to_vec();
        f.extend_from_slice(body);
        f
    };
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").to_string()
    };
    let cases: Vec<(String, KafkaFailureKind, &str)> = vec![
        (
            broker(i32::MAX.to_be_bytes().to_vec()),
            KafkaFailureKind::Invalid,
            "refused (limit",
        ),
        (
            broker((-5i32).to_be_bytes().to_vec()),
            KafkaFailureKind::Invalid,
            "refused (limit",
        ),
        (
            broker(frame(&[0, 0, 0, 1, 0xff])),
            KafkaFailureKind::Invalid,
            "unreadable answer",
        ),
        (
            broker(frame(&[0, 0, 0, 9, 0, 0, 0, 0, 0, 0])),
            KafkaFailureKind::Invalid,
            "out of order",
        ),
        (broker(Vec::new()), KafkaFailureKind::Unavailable, "kafka-x"),
        (closed, KafkaFailureKind::Unavailable, "kafka-x"),
    ];
    for (addr, kind, text) in cases {
        let e = client(&addr).topics().expect_err("a bad broker fails");
        assert_eq!(e.kind, kind, "{addr}: {e}");
        assert!(
            e.message.contains(text) && e.message.contains("kafka-x"),
            "{e}"
        );
        assert!(!e.message.contains("pw-not-shown"), "{e}");
    }
}
