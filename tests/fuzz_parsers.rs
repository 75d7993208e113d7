//! Fuzzing of everything the charm parses from outside (issue 14, item 7), with `bolero`:
//! under `cargo test` each target is a bounded random property test (`FUZZ_ITERATIONS`,
//! default below; `BOLERO_RANDOM_SEED` replays one run), and the same targets run under
//! libFuzzer/AFL with `cargo bolero test <target>` where a nightly toolchain exists. Inputs are
//! built from tokens the parsers look for (PEM markers, URL schemes, `${`, separators, JSON)
//! mixed with arbitrary strings, so the runs reach past the first check.
//!
//! Each target states what must hold besides "never panics". Every crash found becomes a
//! regression test at the end of this file.

mod day2_support;

use mirrormaker_integrator::juju::memory::{MemoryTools, Relation, SecretRecord, State};
use mirrormaker_integrator::juju::{Event, RelationRef};
use mirrormaker_integrator::mirror::extra::{parse_extra, refusal, ExtraFor};
use mirrormaker_integrator::mirror::sensitive::redact_text;
use mirrormaker_integrator::mirror::MirrorConfig;
use mirrormaker_integrator::relations::{certificate_transfer, connect_client, kafka_client};
use mirrormaker_integrator::secret::{redact, Secret};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Executions per target under `cargo test` (a few seconds each on a CI core in debug).
fn iterations() -> usize {
    std::env::var("FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

/// Bytes of fuzz input per execution: enough for a databag of a few fields with long values,
/// small enough for thousands of executions a second.
const MAX_LEN: usize = 1024;
/// How long a failure is shrunk to its smallest input before it is reported.
const SHRINK: std::time::Duration = std::time::Duration::from_secs(20);

/// A real CA certificate (generated once), one of the tokens.
fn real_ca() -> &'static str {
    static CA: OnceLock<String> = OnceLock::new();
    CA.get_or_init(|| mirrormaker_integrator::pem::test_ca("fuzz-ca"))
}

/// Concatenates parts: a part whose selector names a token is that token, else its own text.
fn build(parts: &[(u8, String)], tokens: &[&str]) -> String {
    parts
        .iter()
        .map(|(sel, text)| {
            tokens
                .get(*sel as usize % (tokens.len() + 2))
                .map_or(text.as_str(), |t| *t)
        })
        .collect()
}

/// Reports a target's executions and how many inputs the parser accepted (docs/reliability.md
/// figures); fails when none was accepted, i.e. the inputs never reached past the first check.
fn report(target: &str, count: &AtomicUsize, accepted: &AtomicUsize) {
    let (n, ok) = (
        count.load(Ordering::Relaxed),
        accepted.load(Ordering::Relaxed),
    );
    eprintln!("FIGURE: fuzz {target}: {n} executions, {ok} accepted");
    assert!(ok > 0, "{target}: no input was accepted in {n} executions");
}

const PEM_TOKENS: &[&str] = &[
    "-----BEGIN CERTIFICATE-----\n",
    "-----END CERTIFICATE-----\n",
    "-----BEGIN",
    "-----END",
    "MIIB",
    "\n",
    "=",
    "-----BEGIN PRIVATE KEY-----\n",
];

// Proves the PEM splitter never panics, and what it accepts are whole BEGIN..END blocks that
// parse again to themselves (a garbage CA is refused, never passed on).
#[test]
fn fuzz_pem() {
    let (count, accepted) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let ca = real_ca();
    let mut tokens = PEM_TOKENS.to_vec();
    tokens.push(ca);
    bolero::check!()
        .with_type::<Vec<(u8, String)>>()
        .with_iterations(iterations())
        .with_max_len(MAX_LEN)
        .with_shrink_time(SHRINK)
        .for_each(|parts| {
            count.fetch_add(1, Ordering::Relaxed);
            let text = build(parts, &tokens);
            if let Ok(certs) = mirrormaker_integrator::pem::certificates(&text) {
                accepted.fetch_add(1, Ordering::Relaxed);
                assert!(!certs.is_empty());
                for c in &certs {
                    assert!(c.starts_with("-----BEGIN CERTIFICATE-----"), "{c:?}");
                    assert_eq!(
                        mirrormaker_integrator::pem::certificates(c).as_deref(),
                        Ok(std::slice::from_ref(c))
                    );
                }
            }
        });
    report("pem", &count, &accepted);
}

const VAR_TOKENS: &[&str] = &[
    "hooks/",
    "actions/",
    "source-relation-changed",
    "secret-changed",
    "mirrormaker/0",
    "source:3",
    ":",
    "/",
    "status",
    "pause",
];

// Proves the event parser never panics on any environment, and a relation reference it
// accepts prints back to itself.
#[test]
fn fuzz_event() {
    let (count, accepted) = (AtomicUsize::new(0), AtomicUsize::new(0));
    bolero::check!()
        .with_type::<Vec<(u8, Option<Parts>)>>()
        .with_iterations(iterations())
        .with_max_len(MAX_LEN)
        .with_shrink_time(SHRINK)
        .for_each(|vars| {
            count.fetch_add(1, Ordering::Relaxed);
            const NAMES: [&str; 10] = [
                "JUJU_DISPATCH_PATH",
                "JUJU_UNIT_NAME",
                "JUJU_MODEL_UUID",
                "JUJU_RELATION_ID",
                "JUJU_RELATION",
                "JUJU_REMOTE_UNIT",
                "JUJU_REMOTE_APP",
                "JUJU_SECRET_ID",
                "JUJU_SECRET_REVISION",
                "JUJU_ACTION_NAME",
            ];
            // A valid relation hook's environment, then the input's edits (None removes).
            let mut env: BTreeMap<&str, String> = [
                ("JUJU_DISPATCH_PATH", "hooks/source-relation-changed"),
                ("JUJU_UNIT_NAME", "mirrormaker/0"),
                ("JUJU_MODEL_UUID", "5b2e4a3c-1d2e-4f60-8a9b-0c1d2e3f4a5b"),
                ("JUJU_RELATION_ID", "source:3"),
                ("JUJU_REMOTE_APP", "kafka-a"),
            ]
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
            for (k, v) in vars {
                let k = NAMES[*k as usize % NAMES.len()];
                match v {
                    Some(v) => drop(env.insert(k, build(v, VAR_TOKENS))),
                    None => drop(env.remove(k)),
                }
            }
            if let Ok(e) = Event::from_vars(|k| env.get(k).cloned()) {
                accepted.fetch_add(1, Ordering::Relaxed);
                assert!(!e.unit.is_empty() && !e.model_uuid.is_empty());
                let _ = e.name();
            }
            for v in env.values() {
                if let Some(r) = RelationRef::parse(v) {
                    assert_eq!(RelationRef::parse(&r.to_string()), Some(r));
                }
            }
        });
    report("event", &count, &accepted);
}

const BAG_TOKENS: &[&str] = &[
    "127.0.0.1:9092",
    ",",
    "http://",
    "https://",
    "user:pw@",
    "SASL_SSL://",
    "${file:/etc/passwd:x}",
    ";",
    " ",
    "enabled",
    "disabled",
    "secret:a-user",
    "secret:a-tls",
    "secret:c-user",
    "\u{1b}[31m",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
];

const BAG_KEYS: [&str; 8] = [
    "endpoints",
    "username",
    "password",
    "tls",
    "tls-ca",
    "secret-user",
    "secret-tls",
    "topic",
];

/// A world with one relation `endpoint:3` from `app` whose databag and secrets are built from
/// the fuzz input; the secrets `secret:a-user`, `secret:a-tls`, `secret:c-user` exist.
fn bag_world(endpoint: &str, app: &str, input: &BagInput) -> State {
    let mut s = State {
        app: "mirrormaker".into(),
        unit: "mirrormaker/0".into(),
        leader: true,
        ..Default::default()
    };
    // A ready answer (what the simulated providers send), then the input's edits.
    let mut bag: BTreeMap<String, String> = [
        (
            "endpoints",
            if endpoint == "connect-client" {
                "http://127.0.0.1:8083"
            } else {
                "127.0.0.1:9092"
            },
        ),
        (
            "secret-user",
            if endpoint == "connect-client" {
                "secret:c-user"
            } else {
                "secret:a-user"
            },
        ),
        ("secret-tls", "secret:a-tls"),
        ("tls", "disabled"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    edit(&mut bag, input.0.iter().map(|(k, v)| (*k, v)));
    s.relations.push(Relation {
        endpoint: endpoint.into(),
        id: 3,
        remote_app: app.into(),
        remote_units: vec![format!("{app}/0")],
        remote_app_data: bag,
        ..Default::default()
    });
    for (i, id) in ["secret:a-user", "secret:a-tls", "secret:c-user"]
        .iter()
        .enumerate()
    {
        let mut content: BTreeMap<String, String> = if i == 1 {
            BTreeMap::from([("tls-ca".to_string(), real_ca().to_string())])
        } else {
            BTreeMap::from([
                ("username".to_string(), "relation-3".to_string()),
                ("password".to_string(), format!("pw-fuzz-{i}-secret")),
            ])
        };
        edit(
            &mut content,
            input
                .1
                .iter()
                .filter(|(sel, _, _)| *sel as usize % 3 == i)
                .map(|(_, k, v)| (*k, v)),
        );
        s.secrets.insert(
            id.to_string(),
            SecretRecord {
                revisions: vec![content],
                ..Default::default()
            },
        );
    }
    s
}

/// Applies fuzz edits to a databag: a key by selector, set to built text or removed.
fn edit<'a>(
    bag: &mut BTreeMap<String, String>,
    edits: impl Iterator<Item = (u8, &'a Option<Parts>)>,
) {
    for (k, v) in edits {
        let key = BAG_KEYS[k as usize % BAG_KEYS.len()].to_string();
        match v {
            Some(v) => drop(bag.insert(key, build(v, BAG_TOKENS))),
            None => drop(bag.remove(&key)),
        }
    }
}

type Parts = Vec<(u8, String)>;
/// Edits of the databag (key selector, new value or removal) and of the secrets (secret,
/// key, new value or removal).
type BagInput = (Vec<(u8, Option<Parts>)>, Vec<(u8, u8, Option<Parts>)>);

/// Every password value in the world that may appear in no reason shown.
fn passwords(s: &State) -> Vec<String> {
    day2_support::canaries(s)
}

// Proves the kafka_client reader never panics or fails on any databag and secret content,
// a ready answer has endpoints, a username and a password, and a not-ready reason never
// carries a password.
#[test]
fn fuzz_kafka_databag() {
    let (count, accepted) = (AtomicUsize::new(0), AtomicUsize::new(0));
    bolero::check!()
        .with_type::<BagInput>()
        .with_iterations(iterations())
        .with_max_len(MAX_LEN)
        .with_shrink_time(SHRINK)
        .for_each(|input| {
            count.fetch_add(1, Ordering::Relaxed);
            let s = bag_world("source", "kafka-a", input);
            let pws = passwords(&s);
            let tools = MemoryTools::new(s);
            let rel = RelationRef::parse("source:3").unwrap();
            let r = kafka_client::read(&tools, &rel, "kafka-a").expect("no tool error");
            match &r.data {
                Ok(d) => {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    assert!(!d.bootstrap.trim().is_empty() && !d.username.is_empty());
                    assert!(!d.password.is_empty());
                }
                Err(e) => day2_support::assert_no_canary(&pws, "kafka reason", &e.to_string()),
            }
        });
    report("kafka databag", &count, &accepted);
}

// Proves the connect_client reader never panics or fails, accepts only http(s) endpoints and
// only CAs that parse, and a not-ready reason never carries a password.
#[test]
fn fuzz_connect_databag() {
    let (count, accepted) = (AtomicUsize::new(0), AtomicUsize::new(0));
    bolero::check!()
        .with_type::<BagInput>()
        .with_iterations(iterations())
        .with_max_len(MAX_LEN)
        .with_shrink_time(SHRINK)
        .for_each(|input| {
            count.fetch_add(1, Ordering::Relaxed);
            let s = bag_world("connect-client", "kafka-connect", input);
            let pws = passwords(&s);
            let tools = MemoryTools::new(s);
            let rel = RelationRef::parse("connect-client:3").unwrap();
            let r = connect_client::read(&tools, &rel, "kafka-connect").expect("no tool error");
            match &r.data {
                Ok(d) => {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    assert!(!d.endpoints.is_empty());
                    for e in &d.endpoints {
                        assert!(e.starts_with("http://") || e.starts_with("https://"), "{e}");
                    }
                    for ca in &d.cas {
                        assert!(mirrormaker_integrator::pem::certificates(&ca.pem).is_ok());
                    }
                }
                Err(e) => day2_support::assert_no_canary(&pws, "connect reason", &e.to_string()),
            }
        });
    report("connect databag", &count, &accepted);
}

// Proves the certificate_transfer decoder never panics and keeps only certificates that
// parse, each once.
#[test]
fn fuzz_certificate_transfer() {
    let (count, accepted) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let ca = real_ca();
    let ca_json = serde_json::to_string(&vec![ca]).unwrap();
    let mut tokens = PEM_TOKENS.to_vec();
    tokens.extend([ca, ca_json.as_str(), "[", "]", "\"", ",", "\\n"]);
    bolero::check!()
        .with_type::<Vec<(u8, Option<Parts>)>>()
        .with_iterations(iterations())
        .with_max_len(MAX_LEN)
        .with_shrink_time(SHRINK)
        .for_each(|fields| {
            count.fetch_add(1, Ordering::Relaxed);
            const KEYS: [&str; 4] = ["certificates", "chain", "ca", "version"];
            // What the v1 provider sends (app) and the v0 one (unit), then the input's edits.
            let mut app = BTreeMap::from([
                ("certificates".to_string(), ca_json.clone()),
                ("version".to_string(), "1".to_string()),
            ]);
            let mut unit = BTreeMap::from([("ca".to_string(), ca.to_string())]);
            for (i, (k, v)) in fields.iter().enumerate() {
                let bag = if i % 2 == 0 { &mut app } else { &mut unit };
                let key = KEYS[*k as usize % 4].to_string();
                match v {
                    Some(v) => drop(bag.insert(key, build(v, &tokens))),
                    None => drop(bag.remove(&key)),
                }
            }
            let rel = RelationRef::parse("receive-ca-cert:9").unwrap();
            let b = certificate_transfer::decode(&rel, "tls", &app, Some(&unit));
            if !b.certs.is_empty() {
                accepted.fetch_add(1, Ordering::Relaxed);
            }
            let mut seen = b.certs.clone();
            seen.dedup();
            assert_eq!(seen.len(), b.certs.len());
            for c in &b.certs {
                assert!(mirrormaker_integrator::pem::certificates(c).is_ok());
            }
        });
    report("certificate_transfer", &count, &accepted);
}

const OPTIONS: [&str; 16] = [
    "topics",
    "topics-exclude",
    "groups",
    "replication-policy",
    "replication-separator",
    "emit-checkpoints",
    "sync-group-offsets",
    "heartbeats",
    "start-position",
    "tasks-max",
    "replication-factor",
    "refresh-topics-interval",
    "extra-source-config",
    "extra-checkpoint-config",
    "auto-restart",
    "auto-restart-max",
];

const CONFIG_TOKENS: &[&str] = &[
    ".*",
    "orders\\..*",
    ",",
    "(",
    "[",
    "{\"offset.lag.max\": \"100\"}",
    "{\"config.providers\": \"file\"}",
    "{\"target.producer.acks\": \"0\"}",
    "{\"",
    "\": \"",
    "\"}",
    "${env:X}",
    "identity",
    "default",
    "reverse",
    "earliest",
];

// Proves the config parser never panics on any config-get object (strings, numbers, booleans
// under every option), and an accepted config's extra keys all pass the guard.
#[test]
fn fuzz_config() {
    let (count, accepted) = (AtomicUsize::new(0), AtomicUsize::new(0));
    bolero::check!()
        .with_type::<Vec<(u8, u8, i64, Parts)>>()
        .with_iterations(iterations())
        .with_max_len(MAX_LEN)
        .with_shrink_time(SHRINK)
        .for_each(|opts| {
            count.fetch_add(1, Ordering::Relaxed);
            let mut map = Map::new();
            for (k, kind, n, parts) in opts {
                let v = match kind % 4 {
                    0 => Value::from(*n),
                    1 => Value::from(n % 2 == 0),
                    2 => Value::from(*n as f64 / 7.0),
                    _ => Value::from(build(parts, CONFIG_TOKENS)),
                };
                map.insert(OPTIONS[*k as usize % OPTIONS.len()].to_string(), v);
            }
            if let Ok(c) = MirrorConfig::from_config_get(&map) {
                accepted.fetch_add(1, Ordering::Relaxed);
                for (which, extra) in [
                    (ExtraFor::Source, &c.extra_source),
                    (ExtraFor::Checkpoint, &c.extra_checkpoint),
                    (ExtraFor::Heartbeat, &c.extra_heartbeat),
                ] {
                    for key in extra.keys() {
                        assert_eq!(refusal(which, key), None, "{key} passed the guard");
                    }
                }
            }
            let _ = mirrormaker_integrator::mirror::config::auto_restart(&map);
        });
    report("config", &count, &accepted);
}

// Proves the extra-config parser never panics and whatever it accepts passes the guard key
// by key.
#[test]
fn fuzz_extra_config() {
    let (count, accepted) = (AtomicUsize::new(0), AtomicUsize::new(0));
    bolero::check!()
        .with_type::<Parts>()
        .with_iterations(iterations())
        .with_max_len(MAX_LEN)
        .with_shrink_time(SHRINK)
        .for_each(|parts| {
            count.fetch_add(1, Ordering::Relaxed);
            let raw = build(parts, CONFIG_TOKENS);
            for which in [ExtraFor::Source, ExtraFor::Checkpoint, ExtraFor::Heartbeat] {
                if let Ok(m) = parse_extra(which, &raw) {
                    accepted.fetch_add(usize::from(!m.is_empty()), Ordering::Relaxed);
                    for k in m.keys() {
                        assert_eq!(refusal(which, k), None, "{k} passed the guard");
                    }
                }
            }
        });
    report("extra config", &count, &accepted);
}

// Proves redaction: after `redact` and `redact_text`, no secret of 4+ characters survives in
// any text (whatever surrounds it), and a Secret never prints its value.
#[test]
fn fuzz_secret_redaction() {
    let (count, accepted) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let tokens: &[&str] = &[
        "<redacted>",
        "password=",
        "\"password\": \"",
        "-----BEGIN",
        "d>",
    ];
    bolero::check!()
        .with_type::<(Parts, Vec<String>)>()
        .with_iterations(iterations())
        .with_max_len(MAX_LEN)
        .with_shrink_time(SHRINK)
        .for_each(|(parts, secrets)| {
            count.fetch_add(1, Ordering::Relaxed);
            let secrets: Vec<Secret> = secrets.iter().map(Secret::new).collect();
            let mut text = build(parts, tokens);
            for s in &secrets {
                text.push_str(s.expose());
            }
            let refs: Vec<&Secret> = secrets.iter().collect();
            accepted.fetch_add(usize::from(text != redact(&text, &refs)), Ordering::Relaxed);
            for out in [redact(&text, &refs), redact_text(&text, &refs)] {
                // A mask is not a leak even where a secret is a piece of it ("cted").
                let out = out
                    .replace("<redacted pem>", "\0")
                    .replace("<redacted>", "\0");
                for s in secrets
                    .iter()
                    .filter(|s| s.expose().len() >= 4 && !s.expose().contains('\0'))
                {
                    assert!(
                        !out.contains(s.expose()),
                        "{:?} survived redaction: {out:?}",
                        s.expose()
                    );
                }
            }
            for s in &secrets {
                assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
            }
        });
    report("secret redaction", &count, &accepted);
}

// ---- regressions: every failure the fuzzers found, as a plain test ----

/// The ready world of the databag targets with `endpoints` set to `value`.
fn with_endpoints(endpoint: &str, app: &str, value: &str) -> State {
    let mut s = bag_world(endpoint, app, &(vec![], vec![]));
    s.relations[0]
        .remote_app_data
        .insert("endpoints".into(), value.into());
    s
}

// Proves (fuzz_kafka_databag, seed 145116534495310728885604367253118257670) a whitespace-only
// `endpoints` is not a ready Kafka answer: it never reaches a connector's bootstrap servers.
#[test]
fn regression_blank_kafka_endpoints_are_not_ready() {
    let tools = MemoryTools::new(with_endpoints("source", "kafka-a", " "));
    let rel = RelationRef::parse("source:3").unwrap();
    let r = kafka_client::read(&tools, &rel, "kafka-a").unwrap();
    assert!(r.data.is_err(), "{:?}", r.data.map(|d| d.bootstrap));
}

// Proves (fuzz_connect_databag, seed 230870144719275134917982091329054458015) a Connect
// `endpoints` of separators only is not a ready answer with no endpoint at all.
#[test]
fn regression_connect_endpoints_of_separators_are_not_ready() {
    for value in [",", " , ", " "] {
        let tools = MemoryTools::new(with_endpoints("connect-client", "kafka-connect", value));
        let rel = RelationRef::parse("connect-client:3").unwrap();
        let r = connect_client::read(&tools, &rel, "kafka-connect").unwrap();
        assert!(
            r.data.is_err(),
            "{value:?}: {:?}",
            r.data.map(|d| d.endpoints)
        );
    }
}
