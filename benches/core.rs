//! Criterion benchmarks of the pure core: `mirror::desired` (tera rendering of every connector)
//! and `plan::plan` (desired × actual → steps), on the shapes a large deployment has:
//! fan-in of 1…50 `source` clusters, and 0…2 000 foreign connectors on the shared Connect
//! cluster. Also the decode of Connect's `?expand=status&expand=info` answer at that size,
//! which the hook parses on every run: typed and complete (`ConnectClient::list_all`), and
//! filtered to our connectors while decoding (`connect::decode_expanded`, used by
//! `ConnectClient::list_for`).
//!
//!   cargo bench --bench core                 # all groups
//!   cargo bench --bench core -- plan/foreign # one group
//!
//! Memory (peak heap of one desired+plan at each size) is printed by the `memory` step
//! before the timing groups: a counting global allocator, so it is exact and not noisy.
//! No assertions on time here or anywhere (design.md §5).

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use mirrormaker_integrator::connect::decode_expanded;
use mirrormaker_integrator::mirror::{desired, Cluster, DesiredConnector, Inputs, MirrorConfig};
use mirrormaker_integrator::plan::{plan, Actual, ActualConnector, Owner};
use mirrormaker_integrator::secret::Secret;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live and peak heap bytes (for the memory figures; negligible cost for timings).
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const UUID: &str = "0123abcd-4567-89ef-0123-456789abcdef";
const REL: u64 = 7;
/// A realistic CA (size matters: it is inlined in every config).
const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBkTCCATegAwIBAgIUQm9ndXNDQUZvckJlbmNobWFya3MwCgYIKoZIzj0EAwIw\nFjEUMBIGA1UEAwwLYmVuY2gtY2EtMDEwHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAx\nMDAwMDAwWjAWMRQwEgYDVQQDDAtiZW5jaC1jYS0wMTBZMBMGByqGSM49AgEGCCqG\nSM49AwEHA0IABHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4\neHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHijUzBRMB0GA1UdDgQWBBR4eHh4\neHh4eHh4eHh4eHh4eHh4eDAfBgNVHSMEGDAWgBR4eHh4eHh4eHh4eHh4eHh4eHh4\neDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIHh4eHh4eHh4eHh4\n-----END CERTIFICATE-----";

fn cluster(alias: &str) -> Cluster {
    Cluster {
        alias: alias.into(),
        bootstrap: format!("{alias}-0.example:9093,{alias}-1.example:9093,{alias}-2.example:9093"),
        tls: true,
        ca_pem: Some(PEM.into()),
        username: format!("relation-{alias}"),
        password: Secret::new("p4ssw0rd-0123456789abcdef0123456789ab"),
    }
}

fn inputs(sources: usize) -> Inputs {
    Inputs {
        config: MirrorConfig::default(),
        sources: (0..sources)
            .map(|i| cluster(&format!("kafka-s{i:02}")))
            .collect(),
        target: cluster("kafka-t"),
        connect_relation_id: REL,
        model_uuid: UUID.into(),
    }
}

fn foreign(i: usize) -> (String, ActualConnector) {
    let name = format!("foreign_jdbc_sink_{i:05}");
    let mut config = BTreeMap::new();
    config.insert("name".to_string(), name.clone());
    config.insert(
        "connector.class".into(),
        "io.confluent.connect.jdbc.JdbcSinkConnector".into(),
    );
    config.insert("tasks.max".into(), "2".into());
    config.insert("topics".into(), format!("orders.{i},payments.{i}"));
    config.insert(
        "connection.url".into(),
        format!("jdbc:postgresql://db-{i}.example:5432/app"),
    );
    for k in 0..15 {
        config.insert(format!("transforms.t{k}.type"), format!("org.example.T{k}"));
    }
    let c = ActualConnector {
        config,
        state: Some("RUNNING".into()),
        ..Default::default()
    };
    (name, c)
}

/// Connect as the steady state leaves it: our connectors stored as desired (plus `name`,
/// as Connect stores them), RUNNING, and `foreign` connectors of other applications.
fn converged(d: &[DesiredConnector], foreign_n: usize) -> Actual {
    let mut actual = Actual::default();
    for c in d {
        let mut config = c.config.clone();
        config.insert("name".into(), c.name.clone());
        actual.connectors.insert(
            c.name.clone(),
            ActualConnector {
                config,
                state: Some("RUNNING".into()),
                ..Default::default()
            },
        );
    }
    actual.connectors.extend((0..foreign_n).map(foreign));
    actual
}

/// Connect's `GET /connectors?expand=info&expand=status` body for `actual`.
fn expanded_body(actual: &Actual) -> String {
    let mut m = serde_json::Map::new();
    for (n, c) in &actual.connectors {
        m.insert(
            n.clone(),
            serde_json::json!({
                "info": {"name": n, "config": c.config, "tasks": [{"connector": n, "task": 0}], "type": "source"},
                "status": {"name": n, "connector": {"state": "RUNNING", "worker_id": "10.0.0.5:8083"},
                    "tasks": [{"id": 0, "state": "RUNNING", "worker_id": "10.0.0.5:8083"}], "type": "source"},
            }),
        );
    }
    serde_json::Value::Object(m).to_string()
}

fn owner() -> Owner {
    Owner::new(REL, UUID).expect("uuid")
}

/// Peak heap (bytes above the live heap at the start) while running `f`.
fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let v = f();
    (PEAK.load(Ordering::Relaxed).saturating_sub(base), v)
}

fn memory() {
    let kib = |b: usize| b as f64 / 1024.0;
    println!("memory: peak heap of one call (KiB), exact (counting allocator)");
    println!("  {:<34} {:>12}", "case", "peak KiB");
    for s in [1usize, 10, 50] {
        let i = inputs(s);
        let (p, d) = peak_of(|| desired(&i).expect("desired"));
        println!(
            "  {:<34} {:>12.1}",
            format!("desired, {s} source(s)"),
            kib(p)
        );
        let a = converged(&d, 0);
        let (p, pl) = peak_of(|| plan(&d, &a, &owner()));
        assert!(pl.steps.is_empty(), "converged ⇒ empty plan");
        println!(
            "  {:<34} {:>12.1}",
            format!("plan, {s} source(s), converged"),
            kib(p)
        );
    }
    let d = desired(&inputs(1)).expect("desired");
    for f in [0usize, 200, 2000] {
        let a = converged(&d, f);
        let (p, _) = peak_of(|| plan(&d, &a, &owner()));
        println!(
            "  {:<34} {:>12.1}",
            format!("plan, 1 source, {f} foreign"),
            kib(p)
        );
        let body = expanded_body(&a);
        let o = owner();
        let (all, v) = peak_of(|| decode_expanded(&body, &|_| true).expect("json"));
        drop(v);
        let (ours, v) = peak_of(|| decode_expanded(&body, &|n| o.owns(n)).expect("json"));
        assert_eq!(v.len(), d.len());
        drop(v);
        println!(
            "  {:<34} {:>12.1}   (body {:.1} KiB, not counted)",
            format!("decode ?expand, {f} foreign, all"),
            kib(all),
            kib(body.len())
        );
        println!(
            "  {:<34} {:>12.1}",
            format!("decode ?expand, {f} foreign, ours"),
            kib(ours)
        );
    }
}

fn bench_desired(c: &mut Criterion) {
    let mut g = c.benchmark_group("desired/sources");
    for s in [1usize, 10, 50] {
        let i = inputs(s);
        g.throughput(Throughput::Elements(s as u64));
        g.bench_with_input(BenchmarkId::from_parameter(s), &i, |b, i| {
            b.iter(|| desired(black_box(i)).expect("desired"))
        });
    }
    g.finish();
}

fn bench_plan(c: &mut Criterion) {
    let mut g = c.benchmark_group("plan/sources");
    for s in [1usize, 10, 50] {
        let d = desired(&inputs(s)).expect("desired");
        let a = converged(&d, 0);
        let o = owner();
        g.bench_with_input(BenchmarkId::from_parameter(s), &(d, a), |b, (d, a)| {
            b.iter(|| plan(black_box(d), black_box(a), &o))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("plan/foreign");
    let d = desired(&inputs(1)).expect("desired");
    for f in [0usize, 200, 2000] {
        let a = converged(&d, f);
        let o = owner();
        g.throughput(Throughput::Elements(f.max(1) as u64));
        g.bench_with_input(BenchmarkId::from_parameter(f), &a, |b, a| {
            b.iter(|| plan(black_box(&d), black_box(a), &o))
        });
    }
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let d = desired(&inputs(1)).expect("desired");
    let o = owner();
    for (group, filtered) in [
        ("decode_expand_all/foreign", false),
        ("decode_expand_ours/foreign", true),
    ] {
        let mut g = c.benchmark_group(group);
        for f in [0usize, 200, 2000] {
            let body = expanded_body(&converged(&d, f));
            g.throughput(Throughput::Bytes(body.len() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(f), &body, |b, body| {
                b.iter(|| {
                    let keep = |n: &str| !filtered || o.owns(n);
                    decode_expanded(black_box(body), &keep).expect("json")
                })
            });
        }
        g.finish();
    }
}

/// One whole pure pass at the worst size asked for: 50 sources, 2 000 foreign connectors.
fn bench_pass(c: &mut Criterion) {
    let i = inputs(50);
    let d = desired(&i).expect("desired");
    let a = converged(&d, 2000);
    let o = owner();
    c.bench_function("pass/50-sources-2000-foreign", |b| {
        b.iter(|| {
            let d = desired(black_box(&i)).expect("desired");
            plan(&d, black_box(&a), &o)
        })
    });
}

criterion_group!(benches, bench_desired, bench_plan, bench_decode, bench_pass);

fn main() {
    memory();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
