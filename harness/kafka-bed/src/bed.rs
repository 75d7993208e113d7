//! Starting, supervising and stopping the bed: two KRaft clusters and one Connect worker.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::certs::TestCa;
use crate::process::{
    free_ports, log_contains, log_contains_after, log_tail, poll_until, port_open,
    random_cluster_id, random_password, ManagedProcess,
};
use crate::requests::{self, RequestMark, RestRequest};
use crate::rest::ConnectClient;
use crate::state::{BedState, ClusterState, ConnectState, WorkerState};
use crate::tool::{client_properties, jaas, props_escape, run_tool, ClusterClient};
use crate::{broker_lib, check_jars, classpath, connect_lib, err, home, java, Result};

/// Names of the two clusters.
pub const KAFKA_A: &str = "kafka-a";
pub const KAFKA_B: &str = "kafka-b";

/// The harness super user on both clusters and the Connect REST admin user.
pub const ADMIN_USER: &str = "admin";

const BROKER_READY_TIMEOUT: Duration = Duration::from_secs(180);
const CONNECT_READY_TIMEOUT: Duration = Duration::from_secs(240);
/// Logged by BrokerServer once the broker serves requests.
const BROKER_STARTED_LINE: &str = "Transition from STARTING to STARTED";

/// File (in `RUNDIR/connect`) holding the credentials every running worker has loaded: written
/// after each rolling restart, read by `provision-connect` to know its user is everywhere.
pub const APPLIED_CREDENTIALS: &str = "credentials.applied";
/// PKCS12 truststore with the Connect CA (in `RUNDIR/connect`), for forwarding between workers.
const TRUSTSTORE: &str = "truststore.p12";

/// JVM heaps, kept small (the machine is shared), and the size of the Connect group.
#[derive(Debug, Clone)]
pub struct BedOptions {
    pub broker_heap: String,
    pub connect_heap: String,
    /// Connect workers in the group (default 1, `KAFKA_BED_CONNECT_WORKERS`).
    pub connect_workers: usize,
    /// The workers' `scheduled.rebalance.max.delay.ms`; `None` keeps Connect's default (5 min,
    /// as Charmed Kafka Connect does). How long the group holds the tasks of a worker that
    /// vanished (SIGKILL) before giving them to the others.
    pub scheduled_rebalance_max_delay_ms: Option<u64>,
    /// Run the Prometheus JMX exporter java agent on every Connect worker, with the rules of
    /// `jmx/kafka-connect.yaml` (docs/kafka-bed.md "Metrics"). Off by default: only the tests
    /// about metrics pay for it. `KAFKA_BED_JMX_EXPORTER=1` turns it on (e.g. for the demo).
    pub jmx_exporter: bool,
}

impl Default for BedOptions {
    fn default() -> Self {
        BedOptions {
            broker_heap: std::env::var("KAFKA_BED_BROKER_HEAP").unwrap_or_else(|_| "384m".into()),
            connect_heap: std::env::var("KAFKA_BED_CONNECT_HEAP").unwrap_or_else(|_| "512m".into()),
            connect_workers: std::env::var("KAFKA_BED_CONNECT_WORKERS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
            scheduled_rebalance_max_delay_ms: None,
            jmx_exporter: std::env::var("KAFKA_BED_JMX_EXPORTER").is_ok_and(|v| v == "1"),
        }
    }
}

struct Procs {
    brokers: Vec<ManagedProcess>,
    /// Connect workers by number − 1; `None` while killed.
    workers: Vec<Option<ManagedProcess>>,
    /// Credentials file content the running Connect workers were started with.
    connect_creds: String,
}

struct Inner {
    procs: Mutex<Procs>,
    stop: AtomicBool,
}

/// A running bed. Dropping it stops Connect, then the brokers (SIGTERM to each process
/// group, SIGKILL after a grace period). Logs stay in the run directory.
pub struct Bed {
    pub state: BedState,
    /// Wall time of [`Bed::start`].
    pub startup: Duration,
    inner: Arc<Inner>,
    supervisor: Option<JoinHandle<()>>,
    options: BedOptions,
}

impl Bed {
    /// Starts everything in `run_dir` (created if missing) with default options.
    pub fn start(run_dir: &Path) -> Result<Bed> {
        Self::start_with(run_dir, BedOptions::default())
    }

    pub fn start_with(run_dir: &Path, options: BedOptions) -> Result<Bed> {
        let t0 = Instant::now();
        let versions = check_jars()?;
        if options.jmx_exporter {
            crate::check_jmx_exporter()?;
        }
        let home = home();
        fs::create_dir_all(run_dir)?;
        let run_dir = run_dir.canonicalize()?;
        clear_previous_run(&run_dir)?;
        // Per worker a REST port (ports[5 + n]) and an exporter port (ports[5 + workers + n]).
        let n_workers = options.connect_workers.max(1);
        let ports = free_ports(6 + 2 * n_workers)?;

        // --- clusters: certificates, configs, storage format (both in parallel)
        let mut clusters = BTreeMap::new();
        let mut cluster_ids = Vec::new();
        for (i, name) in [KAFKA_A, KAFKA_B].into_iter().enumerate() {
            let (st, id) = prepare_cluster(
                name,
                &run_dir.join(name),
                ports[3 * i],
                ports[3 * i + 1],
                ports[3 * i + 2],
            )?;
            clusters.insert(name.to_string(), st);
            cluster_ids.push(id);
        }
        let formats = [KAFKA_A, KAFKA_B]
            .iter()
            .zip(&cluster_ids)
            .map(|(name, id)| {
                let c = &clusters[*name];
                let log = fs::File::create(c.dir.join("format.log"))?;
                Command::new(java())
                    .args(["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"])
                    .arg(format!(
                        "-Dlog4j2.configurationFile={}",
                        c.dir.join("log4j2.properties").display()
                    ))
                    .arg("-cp")
                    .arg(classpath(&broker_lib()))
                    .arg("kafka.tools.StorageTool")
                    .arg("format")
                    .arg("--cluster-id")
                    .arg(id)
                    .arg("--config")
                    .arg(c.dir.join("server.properties"))
                    .arg("--add-scram")
                    .arg(format!(
                        "SCRAM-SHA-512=[name={},password={}]",
                        c.admin_user, c.admin_password
                    ))
                    .stdin(Stdio::null())
                    .stdout(log.try_clone()?)
                    .stderr(log)
                    .spawn()
                    .map_err(|e| err!("cannot run java: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;

        // --- Connect REST TLS material, converted to PKCS12 for Jetty while the clusters format
        let connect_dir = run_dir.join("connect");
        fs::create_dir_all(&connect_dir)?;
        let connect_ca = TestCa::new("kafka-connect")?;
        let connect_cert = connect_ca.server_cert("kafka-connect")?;
        fs::write(connect_dir.join("ca.pem"), connect_ca.cert_pem())?;
        fs::write(
            connect_dir.join("server.pem"),
            format!("{}{}", connect_cert.cert_pem, connect_ca.cert_pem()),
        )?;
        fs::write(connect_dir.join("server.key"), &connect_cert.key_pem)?;
        let keystore_password = random_password(20);
        let keystore = connect_dir.join("keystore.p12");
        let pkcs12 = {
            let args: Vec<String> = vec![
                "pem-to-pkcs12".into(),
                "--cert".into(),
                connect_dir.join("server.pem").display().to_string(),
                "--key".into(),
                connect_dir.join("server.key").display().to_string(),
                "--out".into(),
                keystore.display().to_string(),
                "--password".into(),
                keystore_password.clone(),
            ];
            let home = home.clone();
            let (ca, truststore, password) = (
                connect_dir.join("ca.pem"),
                connect_dir.join(TRUSTSTORE),
                keystore_password.clone(),
            );
            std::thread::spawn(move || {
                run_tool(&home, &args)?;
                make_truststore(&ca, &truststore, &password)
            })
        };

        for (mut f, name) in formats.into_iter().zip([KAFKA_A, KAFKA_B]) {
            let status = f.wait()?;
            if !status.success() {
                let log = clusters[name].dir.join("format.log");
                return Err(err!(
                    "kafka-storage format of {name} failed ({status}); {}:\n{}",
                    log.display(),
                    log_tail(&log, 30)
                ));
            }
        }

        // --- brokers
        let mut brokers = Vec::new();
        for name in [KAFKA_A, KAFKA_B] {
            let c = &clusters[name];
            brokers.push(ManagedProcess::spawn(
                name,
                broker_command(c, &options),
                &c.dir.join("stdout.log"),
            )?);
        }
        poll_until("brokers to start", BROKER_READY_TIMEOUT, || {
            let mut all = true;
            for (b, name) in brokers.iter_mut().zip([KAFKA_A, KAFKA_B]) {
                b.check_alive()?;
                let c = &clusters[name];
                all &= port_of(&c.bootstrap).is_some_and(port_open)
                    && port_of(&c.admin_bootstrap).is_some_and(port_open)
                    && log_contains(&c.log, BROKER_STARTED_LINE);
            }
            Ok(all.then_some(()))
        })
        .map_err(|e| with_logs(e, brokers.iter().map(|b| b.log.clone()).collect()))?;

        pkcs12
            .join()
            .map_err(|_| err!("keystore thread panicked"))??;

        // --- Connect workers, backed by kafka-b
        let kb = &clusters[KAFKA_B];
        let connect_admin_password = random_password(20);
        let credentials_file = connect_dir.join("credentials.properties");
        let creds = format!("{ADMIN_USER}: {connect_admin_password}\n");
        fs::write(&credentials_file, &creds)?;
        fs::write(connect_dir.join(APPLIED_CREDENTIALS), &creds)?;
        let workers: Vec<WorkerState> = (1..=options.connect_workers.max(1))
            .map(|n| {
                let dir = worker_dir(&connect_dir, n);
                WorkerState {
                    url: format!("https://127.0.0.1:{}", ports[5 + n]),
                    log: dir.join("connect.log"),
                    dir,
                    metrics_url: options
                        .jmx_exporter
                        .then(|| format!("http://127.0.0.1:{}/metrics", ports[5 + n_workers + n])),
                }
            })
            .collect();
        let connect = ConnectState {
            url: workers[0].url.clone(),
            ca_pem: connect_ca.cert_pem(),
            admin_user: ADMIN_USER.into(),
            admin_password: connect_admin_password,
            credentials_file,
            worker_bootstrap: kb.admin_bootstrap.clone(),
            dir: connect_dir.clone(),
            log: connect_dir.join("connect.log"),
            workers,
        };
        write_connect_config(&connect, kb, &keystore, &keystore_password, &options)?;
        let state = BedState {
            run_dir: run_dir.clone(),
            home,
            versions,
            supervisor_pid: std::process::id(),
            clusters,
            connect,
        };
        let workers = start_workers(&state.connect, &options)?;
        state.save()?;

        let inner = Arc::new(Inner {
            procs: Mutex::new(Procs {
                brokers,
                workers,
                connect_creds: creds,
            }),
            stop: AtomicBool::new(false),
        });
        let supervisor = {
            let inner = inner.clone();
            let st = state.connect.clone();
            let options = options.clone();
            std::thread::Builder::new()
                .name("kafka-bed-supervisor".into())
                .spawn(move || supervise(inner, st, options))?
        };
        Ok(Bed {
            state,
            startup: t0.elapsed(),
            inner,
            supervisor: Some(supervisor),
            options,
        })
    }

    pub fn run_dir(&self) -> &Path {
        &self.state.run_dir
    }

    /// Admin access (harness super user) to `kafka-a` or `kafka-b`.
    pub fn kafka(&self, cluster: &str) -> Result<ClusterClient> {
        Ok(ClusterClient::admin(
            self.state.cluster(cluster)?,
            &self.state.home,
            &self.state.run_dir,
        ))
    }

    /// Connect REST client as the bed's REST admin user, on the first worker that runs (worker 1
    /// unless it was killed).
    pub fn connect_admin(&self) -> Result<ConnectClient> {
        let n = self.running_workers().first().copied().unwrap_or(1);
        self.connect_admin_of(n)
    }

    /// Connect REST client as the REST admin user on worker `n` (1-based).
    pub fn connect_admin_of(&self, n: usize) -> Result<ConnectClient> {
        let c = &self.state.connect;
        ConnectClient::new(
            &self.worker(n)?.url,
            &c.ca_pem,
            &c.admin_user,
            &c.admin_password,
        )
    }

    /// Worker `n` (1-based) of the Connect group.
    pub fn worker(&self, n: usize) -> Result<WorkerState> {
        let all = self.state.connect.all_workers();
        n.checked_sub(1)
            .and_then(|i| all.get(i).cloned())
            .ok_or_else(|| err!("no Connect worker {n} (the bed has {})", all.len()))
    }

    /// Numbers (1-based) of the workers whose JVM runs now (not killed, not stopped).
    pub fn running_workers(&self) -> Vec<usize> {
        let p = self.inner.procs.lock().expect("procs lock");
        (1..=p.workers.len())
            .filter(|n| p.workers[n - 1].is_some())
            .collect()
    }

    /// The worker (1-based) the running workers last named as the group's leader, from their
    /// logs (`Joined group at generation … leaderUrl='<url>/'`, written on every rebalance);
    /// `None` before any worker joined.
    pub fn connect_leader(&self) -> Option<usize> {
        let all = self.state.connect.all_workers();
        self.running_workers()
            .into_iter()
            .filter_map(|n| {
                let log = fs::read_to_string(&all[n - 1].log).ok()?;
                let at = log.rfind("leaderUrl='")? + "leaderUrl='".len();
                let url = log[at..]
                    .split('\'')
                    .next()?
                    .trim_end_matches('/')
                    .to_string();
                let stamp = log[..at].rfind("\n[").map_or(0, |i| i + 2);
                Some((log[stamp..stamp + 23].to_string(), url))
            })
            .max()
            .and_then(|(_, url)| all.iter().position(|w| w.url == url).map(|i| i + 1))
    }

    /// A mark at the end of every worker's REST request log: every request a worker answered
    /// before this call lies before it (see [`crate::requests`]).
    pub fn connect_requests_mark(&self) -> Result<RequestMark> {
        Ok(RequestMark {
            offsets: self.request_log_ends()?,
        })
    }

    /// Every REST request the workers answered after `mark` and before this call (the
    /// harness's own sentinel requests left out): worker 1's in order, then worker 2's, …, each
    /// tagged with its worker. Forwarded hops between workers are included and recognisable
    /// ([`RestRequest::is_internal`]); [`requests::tally`] leaves them out.
    pub fn connect_requests_since(&self, mark: &RequestMark) -> Result<Vec<RestRequest>> {
        let ends = self.request_log_ends()?;
        let mut out = Vec::new();
        for (i, w) in self.state.connect.all_workers().iter().enumerate() {
            let from = mark.offsets.get(i).copied().unwrap_or(0);
            out.extend(requests::between(&w.request_log(), from, ends[i], i + 1)?);
        }
        Ok(out)
    }

    /// Per worker, the end of its request log: after a sentinel it answered if it runs, else
    /// the file's length (a stopped worker answers nothing).
    fn request_log_ends(&self) -> Result<Vec<u64>> {
        let running = self.running_workers();
        let mut ends = Vec::new();
        for (i, w) in self.state.connect.all_workers().iter().enumerate() {
            ends.push(if running.contains(&(i + 1)) {
                requests::sentinel(&self.connect_admin_of(i + 1)?, &w.request_log())?
            } else {
                fs::metadata(w.request_log()).map(|m| m.len()).unwrap_or(0)
            });
        }
        Ok(ends)
    }

    /// Pids of the bed's JVMs (brokers, then the Connect workers that run).
    pub fn pids(&self) -> Vec<u32> {
        let p = self.inner.procs.lock().expect("procs lock");
        p.brokers
            .iter()
            .chain(p.workers.iter().flatten())
            .filter_map(ManagedProcess::pid)
            .collect()
    }

    /// Sum of the JVMs' resident set sizes now, in KiB (from /proc/<pid>/status VmRSS).
    pub fn rss_kib(&self) -> u64 {
        self.pids().into_iter().map(rss_kib).sum()
    }

    /// One scrape of worker 1's JMX exporter (Prometheus text format). Errs when the bed runs
    /// without [`BedOptions::jmx_exporter`] or the agent does not answer.
    pub fn scrape_connect_metrics(&self) -> Result<String> {
        let workers = self.state.connect.all_workers();
        let url = workers[0].metrics_url.as_deref().ok_or_else(|| {
            err!("the bed runs without the JMX exporter (BedOptions::jmx_exporter)")
        })?;
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| err!("http client: {e}"))?;
        let resp = client.get(url).send().map_err(|e| err!("GET {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(err!("GET {url}: {}", resp.status()));
        }
        resp.text().map_err(|e| err!("GET {url}: {e}"))
    }

    /// Restarts every running Connect worker, one after the other (each ready before the
    /// next, as Charmed Kafka Connect's rolling restart), re-reading the credentials file.
    pub fn restart_connect(&self) -> Result<()> {
        rolling_restart(&self.inner, &self.state.connect, &self.options)
    }

    /// Graceful restart of worker `n` (1-based): SIGTERM (it leaves the group, its tasks commit
    /// their offsets and move), start again, wait until its REST API answers.
    pub fn restart_connect_worker(&self, n: usize) -> Result<()> {
        let w = self.worker(n)?;
        let mut p = self.inner.procs.lock().expect("procs lock");
        restart_worker(&mut p, n, &w, &self.state.connect, &self.options)
    }

    /// SIGKILL to worker `n` (1-based): no shutdown hooks, no offset commit, no group leave;
    /// the group notices when its session times out. It stays down until
    /// [`start_connect_worker`](Self::start_connect_worker).
    pub fn kill_connect_worker(&self, n: usize) -> Result<()> {
        self.worker(n)?;
        let mut p = self.inner.procs.lock().expect("procs lock");
        let mut proc = p.workers[n - 1]
            .take()
            .ok_or_else(|| err!("Connect worker {n} is not running"))?;
        proc.kill();
        Ok(())
    }

    /// Starts worker `n` (1-based) again after a kill (with the current credentials file) and
    /// waits until its REST API answers.
    pub fn start_connect_worker(&self, n: usize) -> Result<()> {
        let w = self.worker(n)?;
        let mut p = self.inner.procs.lock().expect("procs lock");
        if p.workers[n - 1].is_some() {
            return Err(err!("Connect worker {n} is already running"));
        }
        let mut proc = spawn_worker(n, &self.state.connect, &w, &self.options)?;
        wait_connect_ready(&self.state.connect, &w, &mut proc)?;
        p.workers[n - 1] = Some(proc);
        Ok(())
    }

    /// Graceful restart of the broker of `cluster` (kafka-a or kafka-b): SIGTERM (controlled
    /// shutdown), start on the same data and ports, wait until it serves again.
    pub fn restart_broker(&self, cluster: &str) -> Result<()> {
        let c = self.state.cluster(cluster)?;
        let i = [KAFKA_A, KAFKA_B]
            .iter()
            .position(|n| *n == cluster)
            .ok_or_else(|| err!("no broker for {cluster}"))?;
        let mut p = self.inner.procs.lock().expect("procs lock");
        p.brokers[i].stop(Duration::from_secs(60));
        let from = fs::metadata(&c.log).map(|m| m.len()).unwrap_or(0);
        p.brokers[i] = ManagedProcess::spawn(
            cluster,
            broker_command(c, &self.options),
            &c.dir.join("stdout.log"),
        )?;
        let b = &mut p.brokers[i];
        poll_until(
            &format!("{cluster} to start again"),
            BROKER_READY_TIMEOUT,
            || {
                b.check_alive()?;
                Ok((port_of(&c.bootstrap).is_some_and(port_open)
                    && port_of(&c.admin_bootstrap).is_some_and(port_open)
                    && log_contains_after(&c.log, from, BROKER_STARTED_LINE))
                .then_some(()))
            },
        )
        .map_err(|e| with_logs(e, vec![c.log.clone()]))
    }

    /// Stops everything (also done on drop).
    pub fn shutdown(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.supervisor.take() {
            let _ = h.join();
        }
        let mut p = match self.inner.procs.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        for w in p.workers.iter().flatten() {
            w.terminate();
        }
        for mut w in p.workers.drain(..).flatten() {
            w.wait_or_kill(Duration::from_secs(30));
        }
        for b in &p.brokers {
            b.terminate();
        }
        for b in &mut p.brokers {
            b.wait_or_kill(Duration::from_secs(30));
        }
        p.brokers.clear();
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A run directory may be reused: refuse if a bed still runs there, else remove what a
/// previous run left (formatted log dirs would make `kafka-storage format` fail).
fn clear_previous_run(run_dir: &Path) -> Result<()> {
    if let Ok(old) = BedState::load(run_dir) {
        if old.supervisor_pid != std::process::id() && crate::process::pid_alive(old.supervisor_pid)
        {
            return Err(err!(
                "a bed is still running in {} (pid {}); stop it first (kafka-bed down --dir {})",
                run_dir.display(),
                old.supervisor_pid,
                run_dir.display()
            ));
        }
    }
    for sub in [KAFKA_A, KAFKA_B, "connect", "tmp"] {
        let p = run_dir.join(sub);
        if p.exists() {
            fs::remove_dir_all(&p)?;
        }
    }
    let _ = fs::remove_file(BedState::path(run_dir));
    Ok(())
}

/// VmRSS of a pid in KiB (0 if gone).
pub fn rss_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit(':').next()?.parse().ok()
}

fn with_logs(e: crate::Error, logs: Vec<PathBuf>) -> crate::Error {
    let mut msg = e.0;
    for l in logs {
        msg.push_str(&format!(
            "\n--- {} (tail) ---\n{}",
            l.display(),
            log_tail(&l, 25)
        ));
    }
    crate::Error(msg)
}

/// Certificates, server.properties, log4j2 config and admin client properties of one cluster.
fn prepare_cluster(
    name: &str,
    dir: &Path,
    client_port: u16,
    admin_port: u16,
    controller_port: u16,
) -> Result<(ClusterState, String)> {
    fs::create_dir_all(dir.join("data"))?;
    let ca = TestCa::new(name)?;
    let cert = ca.server_cert(name)?;
    fs::write(dir.join("ca.pem"), ca.cert_pem())?;
    let admin_password = random_password(20);
    let chain = format!("{}{}", cert.cert_pem, ca.cert_pem());
    let server_properties = format!(
        "# kafka-bed {name}: one combined KRaft broker/controller\n\
process.roles=broker,controller\n\
node.id=1\n\
controller.quorum.voters=1@127.0.0.1:{controller_port}\n\
listeners=CLIENT://127.0.0.1:{client_port},ADMIN://127.0.0.1:{admin_port},CONTROLLER://127.0.0.1:{controller_port}\n\
advertised.listeners=CLIENT://127.0.0.1:{client_port},ADMIN://127.0.0.1:{admin_port}\n\
listener.security.protocol.map=CLIENT:SASL_SSL,ADMIN:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT\n\
controller.listener.names=CONTROLLER\n\
inter.broker.listener.name=ADMIN\n\
sasl.enabled.mechanisms=SCRAM-SHA-512\n\
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512\n\
listener.name.admin.scram-sha-512.sasl.jaas.config={admin_jaas}\n\
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n\
listener.name.client.ssl.keystore.type=PEM\n\
listener.name.client.ssl.keystore.certificate.chain={chain}\n\
listener.name.client.ssl.keystore.key={key}\n\
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n\
allow.everyone.if.no.acl.found=false\n\
# admin = harness super user; ANONYMOUS = the PLAINTEXT controller listener (loopback only)\n\
super.users=User:{ADMIN_USER};User:ANONYMOUS\n\
log.dirs={data}\n\
num.partitions=1\n\
default.replication.factor=1\n\
min.insync.replicas=1\n\
offsets.topic.replication.factor=1\n\
offsets.topic.num.partitions=10\n\
transaction.state.log.replication.factor=1\n\
transaction.state.log.min.isr=1\n\
transaction.state.log.num.partitions=5\n\
share.coordinator.state.topic.replication.factor=1\n\
share.coordinator.state.topic.min.isr=1\n\
group.initial.rebalance.delay.ms=0\n\
auto.create.topics.enable=false\n\
log.segment.bytes=16777216\n",
        admin_jaas = props_escape(&jaas(ADMIN_USER, &admin_password)),
        chain = props_escape(&chain),
        key = props_escape(&cert.key_pem),
        data = dir.join("data").display(),
    );
    fs::write(dir.join("server.properties"), server_properties)?;
    let log = dir.join("server.log");
    fs::write(
        dir.join("log4j2.properties"),
        format!(
            "status = warn\n\
appender.file.type = File\n\
appender.file.name = FILE\n\
appender.file.fileName = {}\n\
appender.file.layout.type = PatternLayout\n\
appender.file.layout.pattern = [%d] %p %m (%c)%n\n\
rootLogger.level = INFO\n\
rootLogger.appenderRef.file.ref = FILE\n\
logger.kafka.name = kafka\n\
logger.kafka.level = INFO\n\
logger.request.name = kafka.request.logger\n\
logger.request.level = WARN\n",
            log.display()
        ),
    )?;
    let admin_bootstrap = format!("127.0.0.1:{admin_port}");
    let admin_client_properties = dir.join("admin-client.properties");
    fs::write(
        &admin_client_properties,
        client_properties(
            &admin_bootstrap,
            "SASL_PLAINTEXT",
            ADMIN_USER,
            &admin_password,
            None,
        ),
    )?;
    Ok((
        ClusterState {
            name: name.into(),
            bootstrap: format!("127.0.0.1:{client_port}"),
            admin_bootstrap,
            controller: format!("127.0.0.1:{controller_port}"),
            ca_pem: ca.cert_pem(),
            admin_user: ADMIN_USER.into(),
            admin_password,
            admin_client_properties,
            dir: dir.to_path_buf(),
            log,
        },
        random_cluster_id(),
    ))
}

fn jvm_base(heap: &str) -> Command {
    let mut c = Command::new(java());
    c.arg("-Xms64m").arg(format!("-Xmx{heap}")).args([
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-XX:MaxMetaspaceSize=256m",
        "-Djava.awt.headless=true",
    ]);
    c
}

fn broker_command(c: &ClusterState, o: &BedOptions) -> Command {
    let mut cmd = jvm_base(&o.broker_heap);
    cmd.arg(format!(
        "-Dlog4j2.configurationFile={}",
        c.dir.join("log4j2.properties").display()
    ))
    .arg(format!("-Dkafka.logs.dir={}", c.dir.display()))
    .arg("-cp")
    .arg(classpath(&broker_lib()))
    .arg("kafka.Kafka")
    .arg(c.dir.join("server.properties"));
    cmd
}

/// Worker `n`'s directory: `RUNDIR/connect` for worker 1 (where it always was), else
/// `RUNDIR/connect/worker-<n>`.
fn worker_dir(connect_dir: &Path, n: usize) -> PathBuf {
    if n == 1 {
        connect_dir.to_path_buf()
    } else {
        connect_dir.join(format!("worker-{n}"))
    }
}

/// PKCS12 truststore holding the Connect CA: a worker forwards requests to the group leader
/// over the leader's advertised https URL with its `listeners.https.` TLS settings, so each
/// worker must trust the others' certificate (the same CA signs them all).
fn make_truststore(ca: &Path, out: &Path, password: &str) -> Result<()> {
    let java = java();
    let keytool = match java.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(bin) => bin.join("keytool"),
        None => PathBuf::from("keytool"),
    };
    let o = Command::new(&keytool)
        .args(["-importcert", "-noprompt", "-alias", "kafka-connect-ca"])
        .arg("-file")
        .arg(ca)
        .arg("-keystore")
        .arg(out)
        .args(["-storetype", "PKCS12", "-storepass", password])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| err!("cannot run {}: {e}", keytool.display()))?;
    if !o.status.success() {
        return Err(err!(
            "keytool -importcert failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(())
}

/// The shared JAAS file, then each worker's connect-distributed.properties and log4j
/// (reload4j) config.
fn write_connect_config(
    c: &ConnectState,
    kb: &ClusterState,
    keystore: &Path,
    keystore_password: &str,
    o: &BedOptions,
) -> Result<()> {
    fs::write(
        c.dir.join("jaas.conf"),
        format!(
            "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{}\";\n}};\n",
            c.credentials_file.display()
        ),
    )?;
    for w in c.all_workers() {
        fs::create_dir_all(&w.dir)?;
        let port = port_of(&w.url).ok_or_else(|| err!("no port in {}", w.url))?;
        let mut props = worker_properties(kb, port, keystore, keystore_password, &c.dir);
        if let Some(ms) = o.scheduled_rebalance_max_delay_ms {
            props.push_str(&format!("scheduled.rebalance.max.delay.ms={ms}\n"));
        }
        write_worker_config(&w, &props)?;
    }
    Ok(())
}

/// One worker's connect-distributed.properties: same group and internal topics as every other
/// worker, its own port.
fn worker_properties(
    kb: &ClusterState,
    port: u16,
    keystore: &Path,
    keystore_password: &str,
    shared: &Path,
) -> String {
    let client = |prefix: &str| {
        format!(
            "{prefix}security.protocol=SASL_PLAINTEXT\n\
{prefix}sasl.mechanism=SCRAM-SHA-512\n\
{prefix}sasl.jaas.config={}\n",
            props_escape(&jaas(&kb.admin_user, &kb.admin_password))
        )
    };
    format!(
        "# kafka-bed Kafka Connect worker (distributed), backed by kafka-b\n\
bootstrap.servers={bootstrap}\n\
{worker}{producer}{consumer}{admin}\
group.id=kafka-bed-connect\n\
config.storage.topic=connect-configs\n\
offset.storage.topic=connect-offsets\n\
status.storage.topic=connect-status\n\
config.storage.replication.factor=1\n\
offset.storage.replication.factor=1\n\
status.storage.replication.factor=1\n\
offset.storage.partitions=5\n\
status.storage.partitions=5\n\
# as Charmed Kafka Connect: JSON worker converters, 10 s offset flush\n\
key.converter=org.apache.kafka.connect.json.JsonConverter\n\
value.converter=org.apache.kafka.connect.json.JsonConverter\n\
offset.flush.interval.ms=10000\n\
connector.client.config.override.policy=All\n\
listeners=https://127.0.0.1:{port}\n\
rest.advertised.listener=https\n\
rest.advertised.host.name=127.0.0.1\n\
rest.advertised.port={port}\n\
listeners.https.ssl.keystore.type=PKCS12\n\
listeners.https.ssl.keystore.location={keystore}\n\
listeners.https.ssl.keystore.password={keystore_password}\n\
listeners.https.ssl.key.password={keystore_password}\n\
# trusted when forwarding to another worker of the group\n\
listeners.https.ssl.truststore.type=PKCS12\n\
listeners.https.ssl.truststore.location={truststore}\n\
listeners.https.ssl.truststore.password={keystore_password}\n\
listeners.https.ssl.client.authentication=requested\n\
rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension\n",
        bootstrap = kb.admin_bootstrap,
        worker = client(""),
        producer = client("producer."),
        consumer = client("consumer."),
        admin = client("admin."),
        keystore = keystore.display(),
        truststore = shared.join(TRUSTSTORE).display(),
    )
}

/// One worker's files: its properties and log4j (reload4j) config.
fn write_worker_config(w: &WorkerState, props: &str) -> Result<()> {
    fs::write(w.dir.join("connect-distributed.properties"), props)?;
    fs::write(
        w.dir.join("log4j.properties"),
        format!(
            "log4j.rootLogger=INFO, file\n\
log4j.appender.file=org.apache.log4j.FileAppender\n\
log4j.appender.file.File={}\n\
log4j.appender.file.layout=org.apache.log4j.PatternLayout\n\
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n\
log4j.logger.org.reflections=ERROR\n\
log4j.logger.org.apache.kafka.clients.consumer.internals=WARN\n\
# Jetty's request log (one NCSA line per REST request) also goes to requests.log, bare\n\
log4j.logger.org.apache.kafka.connect.runtime.rest.RestServer=INFO, requests\n\
log4j.appender.requests=org.apache.log4j.FileAppender\n\
log4j.appender.requests.File={}\n\
log4j.appender.requests.Append=true\n\
log4j.appender.requests.layout=org.apache.log4j.PatternLayout\n\
log4j.appender.requests.layout.ConversionPattern=%m%n\n",
            w.log.display(),
            w.request_log().display()
        ),
    )?;
    Ok(())
}

/// The port of a `http://127.0.0.1:<port>/metrics` URL.
fn metrics_port(url: &str) -> Option<u16> {
    url.strip_prefix("http://127.0.0.1:")?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// Worker `w`'s JVM; the JAAS file (and the credentials file it names) are shared by all.
fn connect_command(c: &ConnectState, w: &WorkerState, o: &BedOptions) -> Command {
    let mut cmd = jvm_base(&o.connect_heap);
    cmd.arg(format!(
        "-Djava.security.auth.login.config={}",
        c.dir.join("jaas.conf").display()
    ))
    .arg(format!(
        "-Dlog4j.configuration=file:{}",
        w.dir.join("log4j.properties").display()
    ));
    if let Some(port) = w.metrics_url.as_deref().and_then(metrics_port) {
        // As Charmed Kafka Connect starts its worker: `-javaagent:<jar>=<port>:<rules>` in
        // KAFKA_OPTS; here bound to loopback.
        cmd.arg(format!(
            "-javaagent:{}=127.0.0.1:{port}:{}",
            crate::jmx_exporter_jar().display(),
            crate::jmx_exporter_rules().display()
        ));
    }
    cmd.arg("-cp")
        .arg(classpath(&connect_lib()))
        .arg("org.apache.kafka.connect.cli.ConnectDistributed")
        .arg(w.dir.join("connect-distributed.properties"));
    cmd
}

fn spawn_worker(
    n: usize,
    c: &ConnectState,
    w: &WorkerState,
    o: &BedOptions,
) -> Result<ManagedProcess> {
    let name = if n == 1 {
        "kafka-connect".to_string()
    } else {
        format!("kafka-connect worker {n}")
    };
    ManagedProcess::spawn(&name, connect_command(c, w, o), &w.dir.join("stdout.log"))
}

/// Starts every worker (all at once: they join the group together) and waits for each.
fn start_workers(c: &ConnectState, o: &BedOptions) -> Result<Vec<Option<ManagedProcess>>> {
    let all = c.all_workers();
    let mut procs = all
        .iter()
        .enumerate()
        .map(|(i, w)| spawn_worker(i + 1, c, w, o))
        .collect::<Result<Vec<_>>>()?;
    for (w, p) in all.iter().zip(procs.iter_mut()) {
        wait_connect_ready(c, w, p)?;
    }
    Ok(procs.into_iter().map(Some).collect())
}

fn wait_connect_ready(c: &ConnectState, w: &WorkerState, proc: &mut ManagedProcess) -> Result<()> {
    let client = ConnectClient::new(&w.url, &c.ca_pem, &c.admin_user, &c.admin_password)?;
    poll_until(
        &format!("Kafka Connect REST at {} to be ready", w.url),
        CONNECT_READY_TIMEOUT,
        || {
            proc.check_alive()?;
            Ok(client.is_ready().then_some(()))
        },
    )
    .map_err(|e| with_logs(e, vec![w.log.clone(), proc.log.clone()]))
}

/// Stops worker `n` gracefully (if it runs), starts it again and waits until it is ready.
fn restart_worker(
    p: &mut Procs,
    n: usize,
    w: &WorkerState,
    c: &ConnectState,
    o: &BedOptions,
) -> Result<()> {
    if let Some(mut old) = p.workers[n - 1].take() {
        old.stop(Duration::from_secs(30));
    }
    let mut proc = spawn_worker(n, c, w, o)?;
    wait_connect_ready(c, w, &mut proc)?;
    p.workers[n - 1] = Some(proc);
    Ok(())
}

/// Restarts the running workers one at a time, each ready before the next (Charmed Kafka
/// Connect restarts its units through RollingOpsManager: one lock holder at a time, and the
/// callback waits until the worker is healthy). A killed worker is left down; it reads the
/// current file when started again. Then records the applied credentials for
/// `provision-connect`.
fn rolling_restart(inner: &Inner, c: &ConnectState, o: &BedOptions) -> Result<()> {
    let creds = fs::read_to_string(&c.credentials_file)?;
    for (i, w) in c.all_workers().iter().enumerate() {
        let mut p = inner
            .procs
            .lock()
            .map_err(|_| err!("procs lock poisoned"))?;
        if p.workers[i].is_some() {
            restart_worker(&mut p, i + 1, w, c, o)?;
        }
    }
    inner
        .procs
        .lock()
        .map_err(|_| err!("procs lock poisoned"))?
        .connect_creds = creds.clone();
    let applied = c.dir.join(APPLIED_CREDENTIALS);
    let tmp = applied.with_extension("tmp");
    fs::write(&tmp, creds)?;
    fs::rename(tmp, applied)?;
    Ok(())
}

/// Restarts the workers (rolling) whenever the credentials file changes (what Charmed Kafka
/// Connect does after changing a REST user: PropertyFileLoginModule reads the file once per
/// JVM).
fn supervise(inner: Arc<Inner>, c: ConnectState, o: BedOptions) {
    while !inner.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
        let Ok(now) = fs::read_to_string(&c.credentials_file) else {
            continue;
        };
        let changed = inner
            .procs
            .lock()
            .map(|p| p.connect_creds != now)
            .unwrap_or(false);
        if changed && !inner.stop.load(Ordering::SeqCst) {
            let _ = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(c.dir.join("restarts.log"))
                .and_then(|mut f| {
                    use std::io::Write;
                    writeln!(
                        f,
                        "credentials changed: rolling restart of Connect ({:?} since epoch)",
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap_or_default()
                    )
                });
            if let Err(e) = rolling_restart(&inner, &c, &o) {
                eprintln!("kafka-bed: Connect restart failed: {e}");
            }
        }
    }
}
