//! Test helpers on top of `java/KafkaTool.java`: Kafka's own Java clients (from `lib/broker`)
//! run through Java 17's single-file source launcher, JSON lines on stdout. No Rust Kafka
//! crate is used (rdkafka would need a C build of librdkafka).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::ClusterState;
use crate::{classpath, err, java, Result};

/// Runs `KafkaTool.java <args>` and returns its JSON lines. A non-zero exit is an error
/// carrying the tool's `{"error"}` line and stderr tail.
pub fn run_tool(home: &Path, args: &[String]) -> Result<Vec<Value>> {
    let out = Command::new(java())
        .arg("-Xmx256m")
        .arg("-XX:+UseSerialGC")
        .arg("-XX:TieredStopAtLevel=1")
        .arg(format!(
            "-Dlog4j2.configurationFile={}",
            home.join("java/log4j2-tool.properties").display()
        ))
        .arg("-cp")
        .arg(classpath(&home.join("lib").join("broker")))
        .arg(home.join("java/KafkaTool.java"))
        .args(args)
        .output()
        .map_err(|e| err!("cannot run {}: {e}", java().display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = Vec::new();
    for l in stdout.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(l) {
            Ok(v) => lines.push(v),
            Err(_) => lines.push(Value::String(l.to_string())),
        }
    }
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let msg = lines
            .iter()
            .rev()
            .find_map(|v| v.get("error").and_then(Value::as_str))
            .unwrap_or("(no error line)")
            .to_string();
        return Err(err!(
            "KafkaTool {} failed ({}): {msg}\nstderr tail:\n{}",
            args.first().map(String::as_str).unwrap_or(""),
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(lines)
}

/// One record: binary key/value, ordered headers (value may be null), partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Partition written to (set after producing) or read from.
    pub partition: Option<i32>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(v: &Value) -> Result<Option<Vec<u8>>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| err!("bad hex {s}: {e}")))
            .collect::<Result<Vec<u8>>>()
            .map(Some),
        other => Err(err!("expected hex string, got {other}")),
    }
}

/// `n` deterministic keyed records with headers; values contain non-UTF-8 bytes (so a
/// JsonConverter/StringConverter in the path would corrupt them), some headers have null
/// values and every 97th record is a tombstone.
pub fn sample_records(n: usize, seed: &str) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let mut value = vec![0xff, 0x00, 0xfe, (i % 251) as u8];
            value.extend_from_slice(format!("value-{seed}-{i}-").as_bytes());
            value.extend((0..(i % 64)).map(|j| (j * 7 + i) as u8));
            let mut headers = vec![
                (
                    "h-index".to_string(),
                    Some((i as u64).to_be_bytes().to_vec()),
                ),
                ("h-seed".to_string(), Some(seed.as_bytes().to_vec())),
            ];
            if i % 7 == 0 {
                headers.push(("h-null".to_string(), None));
            }
            Record {
                key: Some(format!("key-{i}").into_bytes()),
                value: if i % 97 == 96 { None } else { Some(value) },
                headers,
                partition: None,
            }
        })
        .collect()
}

/// Compares records per partition, in order: `got` must hold exactly `expected` (same key,
/// value, headers, partition; nothing missing, nothing extra, no duplicates).
pub fn compare_records(expected: &[Record], got: &[Record]) -> Result<()> {
    fn by_part(rs: &[Record]) -> BTreeMap<i32, Vec<&Record>> {
        let mut m: BTreeMap<i32, Vec<&Record>> = BTreeMap::new();
        for r in rs {
            m.entry(r.partition.unwrap_or(-1)).or_default().push(r);
        }
        m
    }
    let (e, g) = (by_part(expected), by_part(got));
    if expected.len() != got.len() {
        return Err(err!(
            "record count differs: expected {}, got {} (per partition expected {:?}, got {:?})",
            expected.len(),
            got.len(),
            e.iter().map(|(p, v)| (*p, v.len())).collect::<Vec<_>>(),
            g.iter().map(|(p, v)| (*p, v.len())).collect::<Vec<_>>()
        ));
    }
    for (p, ev) in &e {
        let gv = g.get(p).ok_or_else(|| err!("partition {p} missing"))?;
        if ev.len() != gv.len() {
            return Err(err!(
                "partition {p}: expected {} records, got {}",
                ev.len(),
                gv.len()
            ));
        }
        for (i, (a, b)) in ev.iter().zip(gv.iter()).enumerate() {
            if a != b {
                return Err(err!(
                    "partition {p}, record #{i} differs:\n expected {a:?}\n got      {b:?}"
                ));
            }
        }
    }
    Ok(())
}

/// What [`ClusterClient::consume_group`] read.
#[derive(Debug, Clone)]
pub struct GroupRead {
    /// Partition → the offset the group resumed from (its committed offset).
    pub start: BTreeMap<i32, i64>,
    /// (offset, record) sorted by partition, then offset.
    pub records: Vec<(i64, Record)>,
    /// Every partition reached its `until` offset before the timeout.
    pub complete: bool,
}

/// The record lines of a KafkaTool consume output as (offset, record), sorted by
/// (partition, offset).
fn read_records(out: &[Value]) -> Result<Vec<(i64, Record)>> {
    let mut recs = Vec::new();
    for v in out.iter().filter(|v| v.get("offset").is_some()) {
        let headers = v["headers"]
            .as_array()
            .ok_or_else(|| err!("consume: bad headers in {v}"))?
            .iter()
            .map(|h| Ok((h[0].as_str().unwrap_or_default().to_string(), unhex(&h[1])?)))
            .collect::<Result<Vec<_>>>()?;
        recs.push((
            v["offset"].as_i64().unwrap_or(-1),
            Record {
                key: unhex(&v["key"])?,
                value: unhex(&v["value"])?,
                headers,
                partition: v["partition"].as_i64().map(|p| p as i32),
            },
        ));
    }
    recs.sort_by_key(|(o, r)| (r.partition, *o));
    Ok(recs)
}

/// An ACL as KafkaTool takes it (names as in Kafka's enums: TOPIC, GROUP, CLUSTER,
/// TRANSACTIONAL_ID; LITERAL/PREFIXED; READ/WRITE/DESCRIBE/ALL…; ALLOW/DENY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub principal: String,
    pub resource_type: String,
    pub resource_name: String,
    pub pattern: String,
    pub operation: String,
    pub permission: String,
}

/// Filter for [`ClusterClient::acl_remove`]; `None` matches anything.
#[derive(Debug, Clone, Default)]
pub struct AclFilter {
    pub principal: Option<String>,
    pub resource_type: Option<String>,
    pub resource_name: Option<String>,
    pub pattern: Option<String>,
    pub operation: Option<String>,
    pub permission: Option<String>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// Admin/client access to one cluster of the bed, through KafkaTool.
#[derive(Debug, Clone)]
pub struct ClusterClient {
    pub cluster: ClusterState,
    home: PathBuf,
    tmp: PathBuf,
    config: PathBuf,
}

impl ClusterClient {
    /// Uses the harness super user over the admin listener.
    pub fn admin(cluster: &ClusterState, home: &Path, run_dir: &Path) -> ClusterClient {
        ClusterClient {
            cluster: cluster.clone(),
            home: home.to_path_buf(),
            tmp: run_dir.join("tmp"),
            config: cluster.admin_client_properties.clone(),
        }
    }

    /// Uses `user` over the SASL_SSL listener, trusting the cluster CA (what an MM2 or
    /// relation client sees, ACLs included).
    pub fn as_user(&self, user: &str, password: &str) -> Result<ClusterClient> {
        let mut c = self.clone();
        c.config = self.tmp_file("client", "properties")?;
        std::fs::write(
            &c.config,
            client_properties(
                &self.cluster.bootstrap,
                "SASL_SSL",
                user,
                password,
                Some(&self.cluster.ca_pem),
            ),
        )?;
        Ok(c)
    }

    fn tmp_file(&self, stem: &str, ext: &str) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.tmp)?;
        Ok(self.tmp.join(format!(
            "{stem}-{}-{}-{}.{ext}",
            self.cluster.name,
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        )))
    }

    fn run(&self, cmd: &str, args: &[(&str, String)]) -> Result<Vec<Value>> {
        let mut a = vec![
            cmd.to_string(),
            "--config".into(),
            self.config.display().to_string(),
        ];
        for (k, v) in args {
            a.push(format!("--{k}"));
            a.push(v.clone());
        }
        run_tool(&self.home, &a)
    }

    /// Starts a replication probe (KafkaTool `probe`): one JVM that produces a record to
    /// `topic` on this cluster every `interval` and reads `remote_topic` on `target` from its
    /// current end, until [`Probe::finish`]. Returns once the first record arrived on `target`
    /// (replication flows), so a step can start.
    pub fn probe(
        &self,
        target: &ClusterClient,
        topic: &str,
        remote_topic: &str,
        run: &str,
        interval: Duration,
    ) -> Result<Probe> {
        let stop_file = self.tmp_file(&format!("probe-{run}"), "stop")?;
        let log = self.tmp_file(&format!("probe-{run}"), "log")?;
        let mut cmd = Command::new(java());
        cmd.args(["-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"])
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                self.home.join("java/log4j2-tool.properties").display()
            ))
            .arg("-cp")
            .arg(classpath(&self.home.join("lib").join("broker")))
            .arg(self.home.join("java/KafkaTool.java"))
            .arg("probe")
            .arg("--config")
            .arg(&self.config)
            .arg("--target-config")
            .arg(&target.config)
            .args([
                "--topic",
                topic,
                "--remote-topic",
                remote_topic,
                "--run",
                run,
            ])
            .arg("--interval-ms")
            .arg(interval.as_millis().to_string())
            .arg("--stop-file")
            .arg(&stop_file);
        let mut proc = crate::process::ManagedProcess::spawn(&format!("probe {run}"), cmd, &log)?;
        crate::process::poll_until(
            &format!("probe {run}: first record on {remote_topic}"),
            Duration::from_secs(300),
            || {
                proc.check_alive()?;
                Ok(probe_lines(&log)
                    .iter()
                    .any(|v| v.get("ready").is_some())
                    .then_some(()))
            },
        )?;
        Ok(Probe {
            proc,
            stop_file,
            log,
        })
    }

    /// Produces `records` (acks=all, idempotent) and returns them with their partitions.
    pub fn produce(&self, topic: &str, records: &[Record]) -> Result<Vec<Record>> {
        self.produce_with(topic, records, None)
    }

    /// [`Self::produce`] in one committed transaction (`transactional.id` = `txn`): each
    /// partition written then ends with a commit marker, an offset that holds no record.
    pub fn produce_transactional(
        &self,
        topic: &str,
        records: &[Record],
        txn: &str,
    ) -> Result<Vec<Record>> {
        self.produce_with(topic, records, Some(txn))
    }

    fn produce_with(
        &self,
        topic: &str,
        records: &[Record],
        txn: Option<&str>,
    ) -> Result<Vec<Record>> {
        let input = self.tmp_file("produce", "jsonl")?;
        let mut text = String::new();
        for r in records {
            let line = serde_json::json!({
                "key": r.key.as_deref().map(hex),
                "value": r.value.as_deref().map(hex),
                "headers": r.headers.iter().map(|(k, v)| serde_json::json!([k, v.as_deref().map(hex)])).collect::<Vec<_>>(),
            });
            text.push_str(&line.to_string());
            text.push('\n');
        }
        std::fs::write(&input, text)?;
        let mut args = vec![
            ("topic", topic.to_string()),
            ("input", input.display().to_string()),
        ];
        if let Some(t) = txn {
            args.push(("transactional-id", t.to_string()));
        }
        let out = self.run("produce", &args);
        let _ = std::fs::remove_file(&input);
        let out = out?;
        let parts = out
            .iter()
            .find_map(|v| v.get("partitions").and_then(Value::as_array))
            .ok_or_else(|| err!("produce: no partitions in output"))?;
        if parts.len() != records.len() {
            return Err(err!(
                "produce: {} acks for {} records",
                parts.len(),
                records.len()
            ));
        }
        Ok(records
            .iter()
            .zip(parts)
            .map(|(r, p)| Record {
                partition: p.as_i64().map(|p| p as i32),
                ..r.clone()
            })
            .collect())
    }

    /// Reads `topic` from the beginning (no group) until `count` records were read and every
    /// partition is at its end, or `timeout` passes; waits for the topic to appear.
    pub fn consume(&self, topic: &str, count: usize, timeout: Duration) -> Result<Vec<Record>> {
        let out = self.run(
            "consume",
            &[
                ("topic", topic.into()),
                ("count", count.to_string()),
                ("timeout-ms", timeout.as_millis().to_string()),
            ],
        )?;
        Ok(read_records(&out)?.into_iter().map(|(_, r)| r).collect())
    }

    /// Reads `topic` as a member of consumer group `group`, resuming from the group's committed
    /// offsets (a partition without one is an error, not a jump to either end), until each
    /// partition's position reaches its `until` offset (partitions not named: their end offset
    /// when assigned) or `timeout` passes; then commits where it stopped. Returns where each
    /// partition resumed and every record read with its offset, sorted by (partition, offset).
    pub fn consume_group(
        &self,
        group: &str,
        topic: &str,
        until: &BTreeMap<i32, i64>,
        timeout: Duration,
    ) -> Result<GroupRead> {
        let until = until
            .iter()
            .map(|(p, o)| format!("{p}={o}"))
            .collect::<Vec<_>>()
            .join(",");
        let out = self.run(
            "consume-group",
            &[
                ("group", group.into()),
                ("topic", topic.into()),
                ("until", until),
                ("timeout-ms", timeout.as_millis().to_string()),
            ],
        )?;
        let start = out
            .iter()
            .find_map(|v| v.get("start").and_then(Value::as_object))
            .ok_or_else(|| err!("consume-group: no partition was assigned"))?
            .iter()
            .map(|(p, o)| {
                let p = p
                    .parse()
                    .map_err(|e| err!("consume-group: partition {p}: {e}"))?;
                Ok((
                    p,
                    o.as_i64()
                        .ok_or_else(|| err!("consume-group: offset {o}"))?,
                ))
            })
            .collect::<Result<_>>()?;
        let complete = out
            .iter()
            .find_map(|v| v.get("complete").and_then(Value::as_bool))
            .unwrap_or(false);
        Ok(GroupRead {
            start,
            records: read_records(&out)?,
            complete,
        })
    }

    pub fn create_topic(
        &self,
        topic: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &[(&str, &str)],
    ) -> Result<()> {
        let mut args = vec![
            ("topic", topic.to_string()),
            ("partitions", partitions.to_string()),
            ("replication-factor", replication_factor.to_string()),
        ];
        for (k, v) in configs {
            args.push(("topic-config", format!("{k}={v}")));
        }
        self.run("create-topic", &args).map(drop)
    }

    /// Topic names (without internal topics unless `internal`).
    pub fn list_topics(&self, internal: bool) -> Result<Vec<String>> {
        let out = self.run("list-topics", &[("internal", internal.to_string())])?;
        Ok(out
            .iter()
            .find_map(|v| v.get("topics").and_then(Value::as_array))
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Partition count of a topic.
    pub fn partitions(&self, topic: &str) -> Result<i32> {
        let out = self.run("describe-topic", &[("topic", topic.into())])?;
        out.iter()
            .find_map(|v| v.get("partitions").and_then(Value::as_i64))
            .map(|p| p as i32)
            .ok_or_else(|| err!("describe-topic: no partitions"))
    }

    /// Topic configs: name → (value, source), e.g. ("retention.ms", ("60000", "DYNAMIC_TOPIC_CONFIG")).
    pub fn describe_topic_config(
        &self,
        topic: &str,
    ) -> Result<BTreeMap<String, (Option<String>, String)>> {
        let out = self.run("describe-topic-config", &[("topic", topic.into())])?;
        let cfg = out
            .iter()
            .find_map(|v| v.get("configs").and_then(Value::as_object))
            .ok_or_else(|| err!("describe-topic-config: no configs"))?;
        Ok(cfg
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    (
                        v["value"].as_str().map(String::from),
                        v["source"].as_str().unwrap_or_default().to_string(),
                    ),
                )
            })
            .collect())
    }

    pub fn alter_topic_config(
        &self,
        topic: &str,
        set: &[(&str, &str)],
        delete: &[&str],
    ) -> Result<()> {
        let mut args = vec![("topic", topic.to_string())];
        args.extend(set.iter().map(|(k, v)| ("set", format!("{k}={v}"))));
        args.extend(delete.iter().map(|k| ("delete", k.to_string())));
        self.run("alter-topic-config", &args).map(drop)
    }

    /// Commits `(topic, partition, offset)` for `group` (the group must have no active members).
    pub fn commit_offsets(&self, group: &str, offsets: &[(&str, i32, i64)]) -> Result<()> {
        let spec = offsets
            .iter()
            .map(|(t, p, o)| format!("{t}:{p}={o}"))
            .collect::<Vec<_>>()
            .join(",");
        self.run(
            "commit-offsets",
            &[("group", group.into()), ("offsets", spec)],
        )
        .map(drop)
    }

    /// Committed offsets of `group`: (topic, partition) → offset.
    pub fn group_offsets(&self, group: &str) -> Result<BTreeMap<(String, i32), i64>> {
        let out = self.run("group-offsets", &[("group", group.into())])?;
        let list = out
            .iter()
            .find_map(|v| v.get("offsets").and_then(Value::as_array))
            .ok_or_else(|| err!("group-offsets: no offsets"))?;
        Ok(list
            .iter()
            .map(|o| {
                (
                    (
                        o["topic"].as_str().unwrap_or_default().to_string(),
                        o["partition"].as_i64().unwrap_or(-1) as i32,
                    ),
                    o["offset"].as_i64().unwrap_or(-1),
                )
            })
            .collect())
    }

    pub fn acl_add(&self, acl: &Acl) -> Result<()> {
        self.run(
            "acl-add",
            &[
                ("principal", acl.principal.clone()),
                ("resource-type", acl.resource_type.clone()),
                ("resource-name", acl.resource_name.clone()),
                ("pattern", acl.pattern.clone()),
                ("operation", acl.operation.clone()),
                ("permission", acl.permission.clone()),
            ],
        )
        .map(drop)
    }

    /// Removes the matching ACLs, returns what was removed (Kafka's `AclBinding` strings).
    pub fn acl_remove(&self, f: &AclFilter) -> Result<Vec<String>> {
        let mut args = Vec::new();
        for (k, v) in [
            ("principal", &f.principal),
            ("resource-type", &f.resource_type),
            ("resource-name", &f.resource_name),
            ("pattern", &f.pattern),
            ("operation", &f.operation),
            ("permission", &f.permission),
        ] {
            if let Some(v) = v {
                args.push((k, v.clone()));
            }
        }
        let out = self.run("acl-remove", &args)?;
        Ok(out
            .iter()
            .find_map(|v| v.get("removed").and_then(Value::as_array))
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// ACLs, optionally of one principal (`User:<name>`).
    pub fn acl_list(&self, principal: Option<&str>) -> Result<Vec<Acl>> {
        let mut args = Vec::new();
        if let Some(p) = principal {
            args.push(("principal", p.to_string()));
        }
        let out = self.run("acl-list", &args)?;
        let list = out
            .iter()
            .find_map(|v| v.get("acls"))
            .cloned()
            .ok_or_else(|| err!("acl-list: no acls"))?;
        Ok(serde_json::from_value(list)?)
    }

    /// Creates/updates the SCRAM-SHA-512 user and adds the ACLs Charmed Kafka grants for
    /// `roles` (see [`crate::provision`]).
    pub fn provision_user(
        &self,
        user: &str,
        password: &str,
        roles: &str,
        topic: Option<&str>,
        group_prefix: Option<&str>,
    ) -> Result<Vec<String>> {
        let mut args = vec![
            ("user", user.to_string()),
            ("password", password.to_string()),
            ("roles", roles.to_string()),
        ];
        if let Some(t) = topic {
            args.push(("topic", t.to_string()));
        }
        if let Some(g) = group_prefix {
            args.push(("group-prefix", g.to_string()));
        }
        let out = self.run("provision", &args)?;
        Ok(out
            .iter()
            .find_map(|v| v.get("acls").and_then(Value::as_array))
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// Kafka client properties for SCRAM-SHA-512 over `protocol` (SASL_SSL or SASL_PLAINTEXT).
pub fn client_properties(
    bootstrap: &str,
    protocol: &str,
    user: &str,
    password: &str,
    ca_pem: Option<&str>,
) -> String {
    let mut s = format!(
        "bootstrap.servers={bootstrap}\nsecurity.protocol={protocol}\nsasl.mechanism=SCRAM-SHA-512\n\
         sasl.jaas.config={}\n",
        props_escape(&jaas(user, password))
    );
    if let Some(ca) = ca_pem {
        s.push_str(&format!(
            "ssl.truststore.type=PEM\nssl.truststore.certificates={}\n",
            props_escape(ca)
        ));
    }
    s
}

/// `ScramLoginModule required username="…" password="…";`
pub fn jaas(user: &str, password: &str) -> String {
    format!(
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{user}\" password=\"{password}\";"
    )
}

/// Escapes a value for a Java .properties file (newlines become `\n`, one line).
pub fn props_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_detects_differences() {
        let mut a = sample_records(20, "s");
        for (i, r) in a.iter_mut().enumerate() {
            r.partition = Some((i % 3) as i32);
        }
        compare_records(&a, &a).unwrap();
        let mut b = a.clone();
        b[5].headers.pop();
        assert!(compare_records(&a, &b).is_err());
        let mut c = a.clone();
        c.swap(0, 3); // same partition 0, order changed
        assert!(compare_records(&a, &c).is_err());
        assert!(compare_records(&a, &a[1..]).is_err());
    }

    #[test]
    fn hex_roundtrip() {
        let b = vec![0u8, 1, 0xff, 0x7f];
        assert_eq!(unhex(&Value::String(hex(&b))).unwrap(), Some(b));
        assert_eq!(unhex(&Value::Null).unwrap(), None);
    }
}

/// A running replication probe ([`ClusterClient::probe`]).
pub struct Probe {
    proc: crate::process::ManagedProcess,
    stop_file: PathBuf,
    log: PathBuf,
}

/// What a probe measured across a step.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProbeReport {
    pub run: String,
    /// Records the source cluster acknowledged.
    pub produced: u64,
    /// Records the producer gave up on (not counted as produced).
    pub failed: u64,
    /// Acknowledged records that never arrived on the target.
    pub lost: u64,
    /// Arrivals beyond the first of a record (MirrorMaker is at-least-once).
    pub duplicated: u64,
    /// The longest a record took from send() to arrival on the target: the time without
    /// replication, plus the normal delay (well under a second when nothing happens).
    pub max_delay_ms: u64,
    /// The longest pause between arrivals of new records while producing.
    pub longest_gap_ms: u64,
}

impl Probe {
    /// Stops producing, waits until every acknowledged record arrived (or the probe's drain
    /// limit, 180 s, passed) and returns the report.
    pub fn finish(mut self) -> Result<ProbeReport> {
        std::fs::write(&self.stop_file, "")?;
        let status = self.proc.wait_exit(Duration::from_secs(600))?;
        let report = probe_lines(&self.log)
            .into_iter()
            .find(|v| v.get("run").is_some());
        let _ = std::fs::remove_file(&self.stop_file);
        match (status.success(), report) {
            (true, Some(r)) => Ok(serde_json::from_value(r)?),
            _ => Err(err!(
                "probe failed ({status}); {}:\n{}",
                self.log.display(),
                crate::process::log_tail(&self.log, 30)
            )),
        }
    }
}

/// The JSON lines of a probe's log (its stderr lines are skipped).
fn probe_lines(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(Value::is_object)
        .collect()
}
