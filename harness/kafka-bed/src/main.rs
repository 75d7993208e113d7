//! `kafka-bed` command line. See docs/kafka-bed.md.
//!
//!   kafka-bed up --dir RUNDIR                  start everything, write RUNDIR/bed.json, stay up
//!   kafka-bed down --dir RUNDIR                stop a bed started with `up`
//!   kafka-bed provision-kafka --dir RUNDIR --cluster kafka-a --user U --password P
//!             [--roles admin,producer,consumer] [--topic T] [--group-prefix G]
//!   kafka-bed provision-connect --dir RUNDIR --user U --password P
//!   kafka-bed backend-files --dir RUNDIR --out DIR
//!   kafka-bed check                            are the jars there (else: run fetch.sh)
//!   kafka-bed kafka --dir RUNDIR --cluster kafka-a <KafkaTool command> [--opt value]...
//!             run a KafkaTool.java command as the harness super user (JSON lines out)

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kafka_bed::process::{pid_alive, poll_until};
use kafka_bed::{err, provision, Bed, BedState, Result};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

struct Args {
    cmd: String,
    opts: HashMap<String, String>,
}

impl Args {
    fn parse() -> Result<Args> {
        let mut it = std::env::args().skip(1);
        let cmd = it.next().ok_or_else(|| err!("{}", USAGE))?;
        let mut opts = HashMap::new();
        while let Some(k) = it.next() {
            let key = k
                .strip_prefix("--")
                .ok_or_else(|| err!("unexpected argument {k}\n{USAGE}"))?;
            let v = it.next().ok_or_else(|| err!("--{key} needs a value"))?;
            opts.insert(key.to_string(), v);
        }
        Ok(Args { cmd, opts })
    }

    fn get(&self, k: &str) -> Result<&str> {
        self.opts
            .get(k)
            .map(String::as_str)
            .ok_or_else(|| err!("{}: missing --{k}", self.cmd))
    }

    fn opt(&self, k: &str) -> Option<&str> {
        self.opts.get(k).map(String::as_str)
    }

    fn dir(&self) -> Result<PathBuf> {
        Ok(PathBuf::from(self.get("dir")?))
    }
}

const USAGE: &str = "usage: kafka-bed <up|down|provision-kafka|provision-connect|backend-files|check> [--dir RUNDIR] ...";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kafka-bed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("kafka") {
        return kafka_tool(&argv[1..]);
    }
    let a = Args::parse()?;
    match a.cmd.as_str() {
        "up" => up(&a.dir()?),
        "down" => down(&a.dir()?),
        "provision-kafka" => {
            let acls = provision::provision_kafka(
                &a.dir()?,
                a.get("cluster")?,
                a.get("user")?,
                a.get("password")?,
                a.opt("roles").unwrap_or(""),
                a.opt("topic"),
                a.opt("group-prefix"),
            )?;
            println!(
                "{}",
                serde_json::json!({"user": a.get("user")?, "acls": acls})
            );
            Ok(())
        }
        "provision-connect" => {
            provision::provision_connect(&a.dir()?, a.get("user")?, a.get("password")?)?;
            println!(
                "{}",
                serde_json::json!({"user": a.get("user")?, "ready": true})
            );
            Ok(())
        }
        "backend-files" => {
            let exe = std::env::current_exe()?;
            provision::backend_files(&a.dir()?, Path::new(a.get("out")?), &exe)
        }
        "check" => {
            let v = kafka_bed::check_jars()?;
            println!(
                "jars present: Kafka {} brokers, Kafka Connect {}",
                v.broker, v.connect
            );
            Ok(())
        }
        _ => Err(err!("unknown command {}\n{USAGE}", a.cmd)),
    }
}

/// `kafka --dir D --cluster C <cmd> [--opt v]...`: KafkaTool with the cluster's admin config.
fn kafka_tool(argv: &[String]) -> Result<()> {
    let (mut dir, mut cluster, mut rest) = (None, None, Vec::new());
    let mut it = argv.iter();
    while let Some(x) = it.next() {
        match x.as_str() {
            "--dir" => dir = it.next().cloned(),
            "--cluster" => cluster = it.next().cloned(),
            _ => rest.push(x.clone()),
        }
    }
    let dir = dir.ok_or_else(|| err!("kafka: missing --dir"))?;
    let cluster = cluster.ok_or_else(|| err!("kafka: missing --cluster"))?;
    if rest.is_empty() {
        return Err(err!("kafka: missing KafkaTool command (e.g. list-topics)"));
    }
    let st = BedState::load(Path::new(&dir))?;
    let c = st.cluster(&cluster)?;
    rest.insert(1, "--config".into());
    rest.insert(2, c.admin_client_properties.display().to_string());
    for line in kafka_bed::tool::run_tool(&st.home, &rest)? {
        println!("{line}");
    }
    Ok(())
}

fn up(dir: &Path) -> Result<()> {
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
    }
    std::fs::create_dir_all(dir)?;
    let down_file = dir.join("down");
    let _ = std::fs::remove_file(&down_file);
    let bed = Bed::start(dir)?;
    std::fs::write(dir.join("up.pid"), std::process::id().to_string())?;
    println!(
        "{}",
        serde_json::json!({
            "ready": true,
            "bed_json": BedState::path(&bed.state.run_dir),
            "startup_ms": bed.startup.as_millis() as u64,
            "rss_kib": bed.rss_kib(),
            "kafka-a": bed.state.clusters["kafka-a"].bootstrap,
            "kafka-b": bed.state.clusters["kafka-b"].bootstrap,
            "connect": bed.state.connect.url,
        })
    );
    eprintln!(
        "kafka-bed: up in {:.1}s; logs under {}; stop with `kafka-bed down --dir {}` or Ctrl-C",
        bed.startup.as_secs_f64(),
        bed.state.run_dir.display(),
        dir.display()
    );
    while !STOP.load(Ordering::SeqCst) && !down_file.exists() {
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(bed);
    let _ = std::fs::remove_file(&down_file);
    let _ = std::fs::remove_file(dir.join("up.pid"));
    eprintln!("kafka-bed: stopped");
    Ok(())
}

fn down(dir: &Path) -> Result<()> {
    let st = BedState::load(dir)?;
    let pid = st.supervisor_pid;
    if !pid_alive(pid) {
        println!("not running");
        return Ok(());
    }
    std::fs::write(dir.join("down"), "")?;
    let t0 = Instant::now();
    poll_until("the bed to stop", Duration::from_secs(120), || {
        Ok((!pid_alive(pid)).then_some(()))
    })?;
    println!("stopped in {:.1}s", t0.elapsed().as_secs_f64());
    Ok(())
}
