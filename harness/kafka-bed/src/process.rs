//! Child JVMs: own process group, killed with their owner, logs in the run directory.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::{err, Result};

type SpawnReply = mpsc::Sender<io::Result<Child>>;

/// Children are spawned from one thread that lives as long as the process, because
/// PR_SET_PDEATHSIG fires when the *spawning thread* exits: this way the JVMs die with the
/// process that started them (even on a panic or SIGKILL), never earlier.
fn spawner() -> &'static Mutex<mpsc::Sender<(Command, SpawnReply)>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<(Command, SpawnReply)>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<(Command, SpawnReply)>();
        std::thread::Builder::new()
            .name("kafka-bed-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawn kafka-bed-spawner thread");
        Mutex::new(tx)
    })
}

/// A long-running child (broker or Connect worker) in its own process group.
pub struct ManagedProcess {
    pub name: String,
    pub log: PathBuf,
    child: Option<Child>,
}

impl ManagedProcess {
    /// Spawns `cmd` with stdout+stderr appended to `log`, in a new process group, with
    /// SIGKILL as parent-death signal.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Result<ManagedProcess> {
        let out = File::options().create(true).append(true).open(log)?;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let (tx, rx) = mpsc::channel();
        spawner()
            .lock()
            .map_err(|_| err!("spawner lock poisoned"))?
            .send((cmd, tx))
            .map_err(|_| err!("spawner thread gone"))?;
        let child = rx
            .recv()
            .map_err(|_| err!("spawner thread gone"))?
            .map_err(|e| err!("cannot start {name}: {e}"))?;
        Ok(ManagedProcess {
            name: name.to_string(),
            log: log.to_path_buf(),
            child: Some(child),
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// `Err` with the exit status and the log's tail if the process has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(c) = self.child.as_mut() {
            if let Some(status) = c.try_wait()? {
                self.child = None;
                return Err(err!(
                    "{} exited ({status}); log {}:\n{}",
                    self.name,
                    self.log.display(),
                    log_tail(&self.log, 40)
                ));
            }
            Ok(())
        } else {
            Err(err!("{} is not running", self.name))
        }
    }

    /// Sends SIGTERM to the process group (a JVM then runs its shutdown hooks).
    pub fn terminate(&self) {
        if let Some(c) = &self.child {
            // SAFETY: plain kill(2) on our own child's process group.
            unsafe {
                libc::kill(-(c.id() as i32), libc::SIGTERM);
            }
        }
    }

    /// Waits for the process to exit after [`terminate`](Self::terminate), SIGKILLs the group
    /// after `grace`.
    pub fn wait_or_kill(&mut self, grace: Duration) {
        let Some(mut c) = self.child.take() else {
            return;
        };
        let deadline = Instant::now() + grace;
        loop {
            match c.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= deadline => {
                    // SAFETY: as above.
                    unsafe {
                        libc::kill(-(c.id() as i32), libc::SIGKILL);
                    }
                    let _ = c.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        // Anything left in the group (there should be nothing) goes too.
        // SAFETY: as above.
        unsafe {
            libc::kill(-(c.id() as i32), libc::SIGKILL);
        }
    }

    /// SIGKILL to the process group and reap it: a crash, no shutdown hooks.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: plain kill(2) on our own child's process group.
            unsafe {
                libc::kill(-(c.id() as i32), libc::SIGKILL);
            }
            let _ = c.wait();
        }
    }

    /// Waits up to `timeout` for the process to exit by itself; its exit status, or an error
    /// (the process keeps running).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<std::process::ExitStatus> {
        let c = self
            .child
            .as_mut()
            .ok_or_else(|| err!("{} is not running", self.name))?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = c.try_wait()? {
                self.child = None;
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(err!("{} still runs after {timeout:?}", self.name));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn stop(&mut self, grace: Duration) {
        self.terminate();
        self.wait_or_kill(grace);
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(20));
    }
}

/// Last `n` lines of a log file (reads at most the last 64 KiB).
pub fn log_tail(path: &Path, n: usize) -> String {
    let Ok(mut f) = File::open(path) else {
        return format!("(no log at {})", path.display());
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(65536)));
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether `path` contains `needle` (used to see a "started" line in a log).
pub fn log_contains(path: &Path, needle: &str) -> bool {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).contains(needle))
        .unwrap_or(false)
}

/// Whether `path` contains `needle` after byte `offset` (a line written since then).
pub fn log_contains_after(path: &Path, offset: u64, needle: &str) -> bool {
    std::fs::read(path)
        .map(|b| {
            let from = (offset as usize).min(b.len());
            String::from_utf8_lossy(&b[from..]).contains(needle)
        })
        .unwrap_or(false)
}

/// `n` distinct free loopback ports (all held open until every one is chosen).
pub fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<io::Result<Vec<_>>>()?;
    Ok(listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<io::Result<Vec<_>>>()?)
}

pub fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// Polls `probe` every 100 ms until it yields `Some`, it errors, or `timeout` passes.
pub fn poll_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe()? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(err!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Random bytes from the kernel.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("read /dev/urandom");
    buf
}

/// A random alphanumeric password (safe inside JAAS strings and StorageTool's --add-scram).
pub fn random_password(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let random: String = random_bytes(len)
        .into_iter()
        .map(|b| ALPHABET[(b as usize) % ALPHABET.len()] as char)
        .collect();
    // The secret canary (MMI_CANARY, as juju-sim's providers): the bed's own passwords (Connect
    // admin, stores) carry the marker too, so a leak of any of them is found the same way.
    match std::env::var("MMI_CANARY") {
        Ok(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            let half = len / 2;
            format!("{}{m}{}", &random[..half], &random[half..])
        }
        _ => random,
    }
}

/// A KRaft cluster id: 16 random bytes, URL-safe base64 without padding. Like Kafka's own
/// `Uuid.randomUuid()`, never one that starts with `-`: the storage tool's argument parser
/// would take `--cluster-id -x…` for a missing value (1 run in 64 failed that way).
pub fn random_cluster_id() -> String {
    use base64::Engine;
    loop {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(16));
        if !id.starts_with('-') {
            return id;
        }
    }
}

/// Whether a process with this pid exists.
pub fn pid_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks existence.
    unsafe { libc::kill(pid as i32, 0) == 0 }
}
