//! Simulated providers (Charmed Kafka 4 and 3, Charmed Kafka Connect, the
//! self-signed-certificates CA provider): what they answer, when, with which secrets; the
//! backend-file contract (provision program argv, retry on the next tick, `set-backend`);
//! Kafka Connect's connector clean-up over REST. Exact databag contents per flavour are pinned
//! by the golden fixtures in providers_golden.rs.

mod common;
use common::*;
use serde_json::{json, Value};

const REQUEST_KAFKA: &str = r#"relation-set --app topic=__mirrormaker-user extra-user-roles=admin requested-secrets='["username", "password", "tls", "tls-ca", "uris", "read-only-uris", "entity-name", "entity-password"]'
"#;

/// Requirer handlers that record what the charm can read from the provider.
const READ_SECRETS: &str = r#"
uri=$(relation-get --app secret-user "$JUJU_REMOTE_APP")
if [ -n "$uri" ]; then t "user-$JUJU_RELATION" secret-get "$uri" --label "$JUJU_RELATION.${JUJU_RELATION_ID#*:}.user.secret" --refresh --format=json; fi
tls=$(relation-get --app secret-tls "$JUJU_REMOTE_APP")
if [ -n "$tls" ]; then t "tls-$JUJU_RELATION" secret-get "$tls" --format=json; fi
"#;

fn requirer(sim: &Sim) {
    let req = sim.charm("mm", REQUIRER_META, "", "");
    sim.handler("mm", "source-relation-created", REQUEST_KAFKA);
    sim.handler("mm", "target-relation-created", REQUEST_KAFKA);
    sim.handler(
        "mm",
        "connect-client-relation-created",
        "relation-set --app plugin-url=NOT-REQUIRED requested-secrets='[\"username\", \"password\", \"tls\", \"tls-ca\"]'\n",
    );
    for ep in ["source", "target", "connect-client"] {
        sim.handler("mm", &format!("{ep}-relation-changed"), READ_SECRETS);
    }
    sim.ok(&["deploy", req.to_str().unwrap(), "mm"]);
}

/// Proves the plain Kafka simulator answers only after `topic` is requested, in its app
/// databag with endpoints, tls=disabled, secret-user (owned by the provider app, labelled
/// `kafka-client.<id>.user.secret`, granted to the relation, content username=relation-<id> and
/// a password) and the noise keys; the requirer reads it in relation-changed.
#[test]
fn kafka_plain_answers() {
    let sim = Sim::new();
    requirer(&sim);
    sim.ok(&["deploy", "--sim", "kafka", "kafka-a"]);
    sim.ok(&["integrate", "mm:source", "kafka-a"]);
    let bag = sim.app_bag(1, "kafka-a");
    let keys: Vec<&str> = bag
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "data",
            "endpoints",
            "resource",
            "salt",
            "secret-user",
            "tls",
            "topic",
            "version"
        ]
    );
    assert!(
        bag["endpoints"].as_str().unwrap().ends_with(":9092"),
        "{bag}"
    );
    assert_eq!(bag["tls"], "disabled");
    assert_eq!(bag["topic"], "__mirrormaker-user");
    assert_eq!(bag["resource"], "__mirrormaker-user");
    assert_eq!(bag["version"], "v0");
    let user: Value = serde_json::from_str(&sim.out("user-source").0).unwrap();
    assert_eq!(user["username"], "relation-1");
    assert_eq!(user["password"].as_str().unwrap().len(), 32);
    let secrets: Value = serde_json::from_str(&sim.ok(&["secrets", "--format", "json"])).unwrap();
    let s = &secrets[bag["secret-user"].as_str().unwrap()];
    assert_eq!(s["owner"], "application:kafka-a");
    assert_eq!(s["label"], "kafka-client.1.user.secret");
    assert_eq!(s["grants"], json!([{"relation": 1, "unit": null}]));
    assert_eq!(s["consumers"]["mm/0"]["label"], "source.1.user.secret");
    // A requirer that never asks for a topic gets no answer.
    let quiet = sim.charm("quiet", REQUIRER_META, "", "");
    sim.ok(&["deploy", quiet.to_str().unwrap(), "quiet"]);
    sim.ok(&["deploy", "--sim", "kafka", "kafka-b"]);
    sim.ok(&["integrate", "quiet:target", "kafka-b"]);
    assert_eq!(sim.app_bag(3, "kafka-b"), json!({}));
}

/// Proves the Kafka backend contract: the provision program gets
/// `--user relation-<id> --password <pw> --roles <extra-user-roles> --topic <topic>`, a non-zero
/// exit means no answer yet and a retry on the next tick (update-status) with the same password,
/// and the answer then uses the backend's endpoints and TLS CA (secret-tls with tls-ca).
#[test]
fn kafka_backend_provision_and_retry() {
    let sim = Sim::new();
    requirer(&sim);
    let rec = sim.tmp.path().join("argv.log");
    let gate = sim.tmp.path().join("broker-up");
    let prog = sim.tmp.path().join("provision.sh");
    write_exec(
        &prog,
        &format!(
            "#!/bin/sh\necho \"$@\" >> {}\n[ -f {} ] || {{ echo broker down >&2; exit 1; }}\n",
            rec.display(),
            gate.display()
        ),
    );
    let backend = sim.tmp.path().join("kafka.json");
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::fs::write(
        &backend,
        json!({"endpoints": "127.0.0.1:39093", "tls": true, "tls_ca": pem,
               "provision": [prog.to_str().unwrap(), "--bootstrap", "127.0.0.1:39093"]})
        .to_string(),
    )
    .unwrap();
    sim.ok(&[
        "deploy",
        "--sim",
        "kafka",
        "kafka-a",
        "--backend",
        backend.to_str().unwrap(),
    ]);
    sim.ok(&["integrate", "mm:source", "kafka-a"]);
    // data_interfaces v1 stores its `data` snapshot and echoes `topic` on every
    // relation-changed, answered or not; the answer itself waits for the user.
    let bag = sim.app_bag(1, "kafka-a");
    let keys: Vec<&str> = bag
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["data", "topic"],
        "no answer while provisioning fails"
    );
    assert!(sim.ok(&["debug-log"]).contains("broker down"));
    std::fs::write(&gate, "").unwrap();
    sim.ok(&["update-status"]);
    let bag = sim.app_bag(1, "kafka-a");
    assert_eq!(bag["endpoints"], "127.0.0.1:39093");
    assert_eq!(bag["tls"], "enabled");
    let calls: Vec<String> = std::fs::read_to_string(&rec)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert!(calls.len() >= 2);
    let user: Value = serde_json::from_str(&sim.out("user-source").0).unwrap();
    let pw = user["password"].as_str().unwrap();
    let want = format!("--bootstrap 127.0.0.1:39093 --user relation-1 --password {pw} --roles admin --topic __mirrormaker-user");
    assert!(calls.iter().all(|c| *c == want), "{calls:?}");
    let tls: Value = serde_json::from_str(&sim.out("tls-source").0).unwrap();
    assert_eq!(tls, json!({"tls-ca": pem}));
}

/// Proves the plain Kafka Connect simulator answers `plugin-url` with full-URL endpoints on port
/// 8083 and secret-user (relation-<id>), and no secret-tls on a fresh relation.
#[test]
fn connect_plain_answers() {
    let sim = Sim::new();
    requirer(&sim);
    sim.ok(&[
        "deploy",
        "--sim",
        "kafka-connect",
        "kafka-connect",
        "-n",
        "2",
    ]);
    sim.ok(&["integrate", "mm:connect-client", "kafka-connect"]);
    let bag = sim.app_bag(1, "kafka-connect");
    let eps: Vec<&str> = bag["endpoints"].as_str().unwrap().split(',').collect();
    assert_eq!(eps.len(), 2);
    let dump = sim.dump();
    let want: Vec<String> = ["kafka-connect/0", "kafka-connect/1"]
        .iter()
        .map(|u| {
            format!(
                "http://{}:8083",
                dump["units"][u]["address"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(eps, want, "one http URL per worker unit, port 8083");
    assert!(bag.get("secret-tls").is_none());
    let user: Value = serde_json::from_str(&sim.out("user-connect-client").0).unwrap();
    assert_eq!(user["username"], "relation-1");
}

/// A one-shot HTTP server standing in for Kafka Connect's REST API: lists `names` and
/// records every request line with its Authorization header.
fn fake_connect(names: Vec<&'static str>) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut first = String::new();
            r.read_line(&mut first).unwrap();
            let mut auth = String::new();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap() == 0 || l == "\r\n" {
                    break;
                }
                if l.to_lowercase().starts_with("authorization:") {
                    auth = l.trim().to_string();
                }
            }
            log2.lock()
                .unwrap()
                .push(format!("{} {}", first.trim(), auth));
            let body = if first.starts_with("GET") {
                serde_json::to_string(&names).unwrap()
            } else {
                String::new()
            };
            let code = if first.starts_with("GET") {
                "200 OK"
            } else {
                "204 No Content"
            };
            let _ = write!(
                s,
                "HTTP/1.1 {code}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, log)
}

/// Proves the Kafka Connect backend contract (provision argv `--user relation-<id> --password
/// <pw>`, backend endpoints, no secret-tls on a fresh relation) and the clean-up: when the
/// relation is removed the provider deletes, with the admin credentials, exactly the connectors
/// matching `.+?r<id>_[0-9a-f]{32}$`.
#[test]
fn connect_backend_and_cleanup() {
    let sim = Sim::new();
    requirer(&sim);
    let names = vec![
        "mirror_source_kafka-a_r1_0123456789abcdef0123456789abcdef",
        "mirror_checkpoint_kafka-a_r1_0123456789abcdef0123456789abcdef",
        "mirror_source_kafka-a_r11_0123456789abcdef0123456789abcdef",
        "someone-elses",
        "r1_0123456789abcdef0123456789abcdef",
    ];
    let (port, log) = fake_connect(names);
    let rec = sim.tmp.path().join("argv.log");
    let prog = sim.tmp.path().join("provision.sh");
    write_exec(
        &prog,
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", rec.display()),
    );
    let backend = sim.tmp.path().join("connect.json");
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::fs::write(
        &backend,
        json!({"endpoints": format!("http://127.0.0.1:{port}"), "tls_ca": pem,
               "provision": [prog.to_str().unwrap()], "admin_user": "admin", "admin_password": "adminpw"})
        .to_string(),
    )
    .unwrap();
    sim.ok(&[
        "deploy",
        "--sim",
        "kafka-connect",
        "kafka-connect",
        "--backend",
        backend.to_str().unwrap(),
    ]);
    sim.ok(&["integrate", "mm:connect-client", "kafka-connect"]);
    let bag = sim.app_bag(1, "kafka-connect");
    assert_eq!(bag["endpoints"], format!("http://127.0.0.1:{port}"));
    let user: Value = serde_json::from_str(&sim.out("user-connect-client").0).unwrap();
    let argv = std::fs::read_to_string(&rec).unwrap();
    assert_eq!(
        argv.trim(),
        format!(
            "--user relation-1 --password {}",
            user["password"].as_str().unwrap()
        )
    );
    // A relation created while TLS is on gets no CA: Kafka Connect publishes secret-tls only
    // when its endpoint set changes (see connect_endpoint_change_publishes_tls).
    assert!(bag.get("secret-tls").is_none(), "{bag}");

    sim.ok(&["remove-relation", "mm:connect-client", "kafka-connect"]);
    let reqs = log.lock().unwrap().clone();
    // admin:adminpw in base64
    let auth = "authorization: Basic YWRtaW46YWRtaW5wdw==";
    assert!(
        reqs.iter()
            .all(|r| r.to_lowercase().ends_with(&auth.to_lowercase())),
        "{reqs:?}"
    );
    let deletes: Vec<&str> = reqs
        .iter()
        .filter(|r| r.starts_with("DELETE"))
        .map(|r| r.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        deletes,
        vec![
            "/connectors/mirror_source_kafka-a_r1_0123456789abcdef0123456789abcdef",
            "/connectors/mirror_checkpoint_kafka-a_r1_0123456789abcdef0123456789abcdef"
        ],
        "{reqs:?}\n{}",
        sim.ok(&["debug-log"])
    );
}

/// Proves `rotate-credentials` re-provisions the relation user with a new password, publishes
/// it as a new revision of secret-user, and the requirer gets secret-changed (with its consumer
/// label) and reads the new password with --refresh.
#[test]
fn rotate_credentials_fires_secret_changed() {
    let sim = Sim::new();
    requirer(&sim);
    sim.handler(
        "mm",
        "secret-changed",
        "t rotated secret-get --label \"$JUJU_SECRET_LABEL\" --refresh --format=json\n",
    );
    let rec = sim.tmp.path().join("argv.log");
    let prog = sim.tmp.path().join("provision.sh");
    write_exec(
        &prog,
        &format!("#!/bin/sh\necho \"$@\" >> {}\n", rec.display()),
    );
    let backend = sim.tmp.path().join("kafka.json");
    std::fs::write(
        &backend,
        json!({"provision": [prog.to_str().unwrap()]}).to_string(),
    )
    .unwrap();
    sim.ok(&[
        "deploy",
        "--sim",
        "kafka",
        "kafka-a",
        "--backend",
        backend.to_str().unwrap(),
    ]);
    sim.ok(&["integrate", "mm:source", "kafka-a"]);
    let old: Value = serde_json::from_str(&sim.out("user-source").0).unwrap();
    sim.ok(&["rotate-credentials", "kafka-a", "1"]);
    assert_eq!(sim.hooks_of("mm/0").last().unwrap(), "secret-changed");
    let new: Value = serde_json::from_str(&sim.out("rotated").0).unwrap();
    assert_eq!(new["username"], "relation-1");
    assert_ne!(new["password"], old["password"]);
    let calls = std::fs::read_to_string(&rec).unwrap();
    assert!(calls
        .lines()
        .last()
        .unwrap()
        .contains(new["password"].as_str().unwrap()));
}

fn write_backend(sim: &Sim, name: &str, v: Value) -> String {
    let p = sim.tmp.path().join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_str().unwrap().to_string()
}

/// Content of the latest revision of a secret, by id, from `dump`.
fn latest(sim: &Sim, id: &str) -> (usize, Value) {
    let d = sim.dump();
    let revs = d["secrets"][id]["revisions"].as_object().unwrap().clone();
    let n = revs.len();
    let last = revs
        .iter()
        .max_by_key(|(k, _)| k.parse::<u32>().unwrap())
        .unwrap()
        .1
        .clone();
    (n, last)
}

/// Proves Kafka Connect publishes secret-tls only when its endpoint set changes, as
/// `update_clients_data` does: nothing on the fresh relation; a worker added (add-unit, then
/// the leader's next event) rewrites endpoints and adds secret-tls `{tls: disabled, tls-ca:
/// disabled}`; TLS switched on (`set-backend` with https endpoints and a CA) updates it to
/// `{tls: enabled, tls-ca: <PEM>}` in a new revision, and the requirer gets secret-changed.
#[test]
fn connect_endpoint_change_publishes_tls() {
    let sim = Sim::new();
    requirer(&sim);
    sim.handler(
        "mm",
        "secret-changed",
        "t changed secret-get \"$JUJU_SECRET_ID\" --refresh --format=json\n",
    );
    sim.ok(&["deploy", "--sim", "kafka-connect", "kafka-connect"]);
    sim.ok(&["integrate", "mm:connect-client", "kafka-connect"]);
    assert!(sim.app_bag(1, "kafka-connect").get("secret-tls").is_none());
    sim.ok(&["add-unit", "kafka-connect"]);
    sim.ok(&["update-status"]);
    let bag = sim.app_bag(1, "kafka-connect");
    assert_eq!(bag["endpoints"].as_str().unwrap().split(',').count(), 2);
    let tls_id = bag["secret-tls"]
        .as_str()
        .expect("secret-tls after the change");
    assert_eq!(
        latest(&sim, tls_id),
        (1, json!({"tls": "disabled", "tls-ca": "disabled"}))
    );
    let (user_revs, _) = latest(&sim, bag["secret-user"].as_str().unwrap());
    assert_eq!(user_revs, 1, "unchanged credentials make no new revision");
    let tls: Value = serde_json::from_str(&sim.out("tls-connect-client").0).unwrap();
    assert_eq!(tls, json!({"tls": "disabled", "tls-ca": "disabled"}));

    let pem = "-----BEGIN CERTIFICATE-----\nMIIBtls\n-----END CERTIFICATE-----\n";
    let b = write_backend(
        &sim,
        "tls.json",
        json!({"endpoints": "https://127.0.0.1:38443", "tls_ca": pem}),
    );
    sim.ok(&["set-backend", "kafka-connect", &b]);
    let bag = sim.app_bag(1, "kafka-connect");
    assert_eq!(bag["endpoints"], "https://127.0.0.1:38443");
    assert_eq!(
        latest(&sim, tls_id),
        (2, json!({"tls": "enabled", "tls-ca": pem}))
    );
    assert_eq!(sim.hooks_of("mm/0").last().unwrap(), "secret-changed");
    let got: Value = serde_json::from_str(&sim.out("changed").0).unwrap();
    assert_eq!(got, json!({"tls": "enabled", "tls-ca": pem}));
}

/// Proves the real charm's race is reproduced: when the endpoints turn https before the
/// worker's certificate is ready (backend `"tls": false`), Kafka Connect publishes
/// `tls-ca: disabled`; when the certificate arrives later the endpoint set is unchanged, so the
/// CA is never published.
#[test]
fn connect_https_before_certificate_never_sends_ca() {
    let sim = Sim::new();
    requirer(&sim);
    let pem = "-----BEGIN CERTIFICATE-----\nMIIBtls\n-----END CERTIFICATE-----\n";
    let http = write_backend(
        &sim,
        "a.json",
        json!({"endpoints": "http://127.0.0.1:38083"}),
    );
    sim.ok(&[
        "deploy",
        "--sim",
        "kafka-connect",
        "kafka-connect",
        "--backend",
        &http,
    ]);
    sim.ok(&["integrate", "mm:connect-client", "kafka-connect"]);
    let early = write_backend(
        &sim,
        "b.json",
        json!({"endpoints": "https://127.0.0.1:38443", "tls": false, "tls_ca": pem}),
    );
    sim.ok(&["set-backend", "kafka-connect", &early]);
    let ready = write_backend(
        &sim,
        "c.json",
        json!({"endpoints": "https://127.0.0.1:38443", "tls_ca": pem}),
    );
    sim.ok(&["set-backend", "kafka-connect", &ready]);
    sim.ok(&["update-status"]);
    let bag = sim.app_bag(1, "kafka-connect");
    assert_eq!(
        latest(&sim, bag["secret-tls"].as_str().unwrap()),
        (1, json!({"tls": "disabled", "tls-ca": "disabled"}))
    );
}

/// Proves the `kafka3` flavour without TLS: secret-tls `{tls: disabled, tls-ca: disabled}`
/// (both requested as secrets), `zookeeper-uris` `/` (KRaft), no plain `tls`, no resource/salt/
/// version; and that it rewrites `endpoints` on the next event after the backend changes.
#[test]
fn kafka3_plain_and_update() {
    let sim = Sim::new();
    requirer(&sim);
    sim.ok(&["deploy", "--sim", "kafka", "kafka-a", "--flavour", "kafka3"]);
    sim.ok(&["integrate", "mm:source", "kafka-a"]);
    let bag = sim.app_bag(1, "kafka-a");
    let keys: Vec<&str> = bag
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "data",
            "endpoints",
            "secret-tls",
            "secret-user",
            "topic",
            "zookeeper-uris"
        ]
    );
    assert_eq!(bag["zookeeper-uris"], "/");
    let tls: Value = serde_json::from_str(&sim.out("tls-source").0).unwrap();
    assert_eq!(tls, json!({"tls": "disabled", "tls-ca": "disabled"}));
    let user: Value = serde_json::from_str(&sim.out("user-source").0).unwrap();
    assert_eq!(user["username"], "relation-1");
    let b = write_backend(&sim, "k.json", json!({"endpoints": "127.0.0.1:39092"}));
    sim.ok(&["set-backend", "kafka-a", &b]);
    assert_eq!(sim.app_bag(1, "kafka-a")["endpoints"], "127.0.0.1:39092");
}

/// Proves the `kafka4` flavour re-sends its response when what it wrote is out of date
/// (`needs_update`): TLS switched on via set-backend → new endpoints, `tls: enabled`, a new
/// secret-tls with the CA, and no new revision of the unchanged user secret.
#[test]
fn kafka4_resends_on_change() {
    let sim = Sim::new();
    requirer(&sim);
    sim.ok(&["deploy", "--sim", "kafka", "kafka-a"]);
    sim.ok(&["integrate", "mm:source", "kafka-a"]);
    let bag = sim.app_bag(1, "kafka-a");
    let user_id = bag["secret-user"].as_str().unwrap().to_string();
    assert_eq!(latest(&sim, &user_id).0, 2, "username, then password");
    let pem = "-----BEGIN CERTIFICATE-----\nMIIBk4\n-----END CERTIFICATE-----\n";
    let b = write_backend(
        &sim,
        "k.json",
        json!({"endpoints": "127.0.0.1:39093", "tls": true, "tls_ca": pem}),
    );
    sim.ok(&["set-backend", "kafka-a", &b]);
    let bag = sim.app_bag(1, "kafka-a");
    assert_eq!(bag["endpoints"], "127.0.0.1:39093");
    assert_eq!(bag["tls"], "enabled");
    assert_eq!(
        latest(&sim, bag["secret-tls"].as_str().unwrap()),
        (1, json!({"tls-ca": pem}))
    );
    assert_eq!(latest(&sim, &user_id).0, 2);
}

/// Proves `deploy --flavour` is checked against the simulated kind and needs `--sim`, and
/// `set-backend` refuses an application that is not simulated.
#[test]
fn flavour_and_set_backend_errors() {
    let sim = Sim::new();
    let r = sim.cmd(&["deploy", "--sim", "kafka", "k", "--flavour", "v1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("expected one of kafka4, kafka3"),
        "{}",
        r.stderr
    );
    requirer(&sim);
    let r = sim.cmd(&["deploy", "x", "y", "--flavour", "kafka3"]);
    assert_ne!(r.code, 0);
    let b = write_backend(&sim, "b.json", json!({}));
    let r = sim.cmd(&["set-backend", "mm", &b]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not simulated"), "{}", r.stderr);
}

/// Proves the CA provider deployed without a backend publishes a real self-signed CA (it
/// parses as an X.509 trust anchor), and that `set-backend` republishes the new set to the
/// requirer, which gets relation-changed.
#[test]
fn ca_provider_generated_and_republished() {
    let sim = Sim::new();
    let meta = "requires:\n  receive-ca-cert:\n    interface: certificate_transfer\n";
    let dir = sim.charm("req", meta, "", "");
    sim.handler(
        "req",
        "receive-ca-cert-relation-created",
        "relation-set --app version=1\n",
    );
    sim.handler(
        "req",
        "receive-ca-cert-relation-changed",
        "t certs relation-get --app certificates \"$JUJU_REMOTE_APP\"\n",
    );
    sim.ok(&["deploy", dir.to_str().unwrap(), "req"]);
    sim.ok(&["deploy", "--sim", "self-signed-certificates", "tls"]);
    sim.ok(&["integrate", "req:receive-ca-cert", "tls:send-ca-cert"]);
    let certs: Vec<String> = serde_json::from_str(sim.out("certs").0.trim()).unwrap();
    assert_eq!(certs.len(), 1);
    let _ = rustls::crypto::ring::default_provider().install_default();
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let der = CertificateDer::from_pem_slice(certs[0].as_bytes()).expect("a PEM certificate");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).expect("a parseable X.509 CA certificate");

    let pem = "-----BEGIN CERTIFICATE-----\nMIIBnew\n-----END CERTIFICATE-----\n";
    let b = write_backend(&sim, "ca.json", json!({"certificates": [pem]}));
    sim.ok(&["set-backend", "tls", &b]);
    let certs: Vec<String> = serde_json::from_str(sim.out("certs").0.trim()).unwrap();
    assert_eq!(certs, vec![pem.to_string()]);
}
