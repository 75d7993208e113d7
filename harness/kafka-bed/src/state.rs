//! `RUNDIR/bed.json`: every address, CA and admin credential of a running bed. The
//! provisioning subcommands and other processes read the bed through it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{err, Result, Versions};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BedState {
    pub run_dir: PathBuf,
    /// The kafka-bed directory (jars, KafkaTool.java).
    pub home: PathBuf,
    pub versions: Versions,
    /// Pid of the process that owns the JVMs and restarts Connect on request.
    pub supervisor_pid: u32,
    /// `kafka-a` and `kafka-b`.
    pub clusters: BTreeMap<String, ClusterState>,
    pub connect: ConnectState,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterState {
    pub name: String,
    /// SASL_SSL + SCRAM-SHA-512 listener, what clients (and MM2) use: `127.0.0.1:<port>`.
    pub bootstrap: String,
    /// SASL_PLAINTEXT + SCRAM-SHA-512 listener for the harness's admin user.
    pub admin_bootstrap: String,
    /// KRaft controller listener (PLAINTEXT, loopback).
    pub controller: String,
    /// PEM of this cluster's own test CA (signs the broker certificate).
    pub ca_pem: String,
    /// Harness super user (in `super.users`, SCRAM created at format time).
    pub admin_user: String,
    pub admin_password: String,
    /// Client properties for the admin user over the admin listener.
    pub admin_client_properties: PathBuf,
    pub dir: PathBuf,
    pub log: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectState {
    /// Worker 1's REST URL, `https://127.0.0.1:<port>`.
    pub url: String,
    /// PEM of the Connect REST CA.
    pub ca_pem: String,
    /// REST basic-auth admin user (always in the credentials file).
    pub admin_user: String,
    pub admin_password: String,
    /// PropertyFileLoginModule file (`user: password` lines).
    pub credentials_file: PathBuf,
    /// Bootstrap the worker uses for its internal topics (kafka-b admin listener).
    pub worker_bootstrap: String,
    /// Worker 1's directory; also holds what the workers share (credentials, JAAS, keystores).
    pub dir: PathBuf,
    /// Worker 1's log.
    pub log: PathBuf,
    /// Every worker of the group, worker 1 first (same group.id and internal topics, each its
    /// own REST port and files). Empty in a bed.json written before there could be several.
    #[serde(default)]
    pub workers: Vec<WorkerState>,
}

/// One Connect worker of the bed's group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerState {
    /// `https://127.0.0.1:<port>`
    pub url: String,
    /// Its config, logs and request log (`RUNDIR/connect` for worker 1,
    /// `RUNDIR/connect/worker-<n>` for the others).
    pub dir: PathBuf,
    pub log: PathBuf,
    /// `http://127.0.0.1:<port>/metrics` of the Prometheus JMX exporter agent on the worker,
    /// when the bed was started with [`crate::bed::BedOptions::jmx_exporter`].
    #[serde(default)]
    pub metrics_url: Option<String>,
}

impl WorkerState {
    /// The worker's REST request log: one extended-NCSA line per request (crate::requests).
    pub fn request_log(&self) -> PathBuf {
        self.dir.join("requests.log")
    }
}

impl ConnectState {
    /// Worker 1's REST request log: one extended-NCSA line per request (crate::requests).
    pub fn request_log(&self) -> PathBuf {
        self.dir.join("requests.log")
    }

    /// Every worker (worker 1 alone for an old bed.json).
    pub fn all_workers(&self) -> Vec<WorkerState> {
        if self.workers.is_empty() {
            vec![WorkerState {
                url: self.url.clone(),
                dir: self.dir.clone(),
                log: self.log.clone(),
                metrics_url: None,
            }]
        } else {
            self.workers.clone()
        }
    }

    /// The REST endpoints as Charmed Kafka Connect publishes them on `connect_client`: one full
    /// URL per worker, comma-separated.
    pub fn endpoints(&self) -> String {
        self.all_workers()
            .iter()
            .map(|w| w.url.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl BedState {
    pub fn path(run_dir: &Path) -> PathBuf {
        run_dir.join("bed.json")
    }

    pub fn load(run_dir: &Path) -> Result<BedState> {
        let p = Self::path(run_dir);
        let text = std::fs::read_to_string(&p).map_err(|e| {
            err!(
                "cannot read {} ({e}): is a bed running there (kafka-bed up --dir {})?",
                p.display(),
                run_dir.display()
            )
        })?;
        Ok(serde_json::from_str(&text)?)
    }

    pub fn save(&self) -> Result<()> {
        let p = Self::path(&self.run_dir);
        let tmp = p.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)?)?;
        std::fs::rename(tmp, p)?;
        Ok(())
    }

    pub fn cluster(&self, name: &str) -> Result<&ClusterState> {
        self.clusters.get(name).ok_or_else(|| {
            err!(
                "no cluster {name} in the bed (have: {})",
                self.clusters.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }
}
