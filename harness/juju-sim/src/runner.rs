//! Runs one hook or action of a charm unit the way the Juju unit agent does: `./dispatch` with no
//! arguments in the unit's charm dir, `JUJU_DISPATCH_PATH` and every `JUJU_*` variable set, the
//! tools dir first on PATH. Hook tools work on a copy of the model in the hook's context file
//! (`<model>/ctx/<context id>.json`); the copy becomes the model only if dispatch exits 0, so a
//! failed hook's writes are discarded (Juju's `HookContext.Flush`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::state::{write_json_atomic, EventKind, Model};

/// The Juju version the emulator claims to be.
pub const JUJU_VERSION: &str = "3.6.8";

/// What a hook tool needs to know about the hook it runs in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HookCtx {
    pub id: String,
    pub unit: String,
    /// Hook name (`source-relation-changed`), empty for actions.
    pub hook: String,
    pub relation: Option<u64>,
    pub remote_unit: Option<String>,
    pub remote_app: Option<String>,
    pub departing_unit: Option<String>,
    pub action: Option<u64>,
    pub secret: Option<String>,
    /// The unit's opened ports when the hook started: `opened-ports` shows these, not the
    /// pending open-port/close-port of the running hook (Juju applies those on commit).
    #[serde(default)]
    pub ports_at_start: Vec<String>,
}

/// The context file: the hook's context and its working copy of the model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CtxFile {
    pub ctx: HookCtx,
    pub model: Model,
    /// An error Juju would only meet when it commits the hook's changes (e.g. `storage-add`
    /// of a storage the charm does not declare): the hook then fails although dispatch exited 0.
    #[serde(default)]
    pub commit_error: Option<String>,
}

pub fn ctx_path(model_dir: &Path, ctx_id: &str) -> PathBuf {
    let safe: String = ctx_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    model_dir.join("ctx").join(format!("{safe}.json"))
}

/// Hook name for an event as seen by `unit` (e.g. `source-relation-joined`).
pub fn hook_name(model: &Model, unit: &str, kind: &EventKind) -> String {
    let app = crate::state::app_of(unit);
    let rel = |id: &u64, what: &str| {
        let ep = model
            .relations
            .get(id)
            .and_then(|r| r.endpoint_of(app))
            .unwrap_or("unknown");
        format!("{ep}-relation-{what}")
    };
    match kind {
        EventKind::Install => "install".into(),
        EventKind::LeaderElected => "leader-elected".into(),
        EventKind::LeaderSettingsChanged => "leader-settings-changed".into(),
        EventKind::ConfigChanged => "config-changed".into(),
        EventKind::Start => "start".into(),
        EventKind::UpdateStatus => "update-status".into(),
        EventKind::UpgradeCharm => "upgrade-charm".into(),
        EventKind::Stop => "stop".into(),
        EventKind::Remove => "remove".into(),
        EventKind::RelationCreated { rel: r } => rel(r, "created"),
        EventKind::RelationJoined { rel: r, .. } => rel(r, "joined"),
        EventKind::RelationChanged { rel: r, .. } => rel(r, "changed"),
        EventKind::RelationDeparted { rel: r, .. } => rel(r, "departed"),
        EventKind::RelationBroken { rel: r, .. } => rel(r, "broken"),
        EventKind::SecretChanged { .. } => "secret-changed".into(),
        EventKind::Action { id } => model
            .actions
            .get(id)
            .map(|a| a.name.clone())
            .unwrap_or_default(),
    }
}

/// Build the hook context for an event.
pub fn make_ctx(model: &Model, unit: &str, kind: &EventKind, ctx_id: String) -> HookCtx {
    let mut c = HookCtx {
        id: ctx_id,
        unit: unit.into(),
        hook: hook_name(model, unit, kind),
        ..Default::default()
    };
    match kind {
        EventKind::RelationCreated { rel } => {
            c.relation = Some(*rel);
            c.remote_app = remote_app(model, unit, *rel);
        }
        EventKind::RelationJoined { rel, unit: u } => {
            c.relation = Some(*rel);
            c.remote_unit = Some(u.clone());
            c.remote_app = Some(crate::state::app_of(u).into());
        }
        EventKind::RelationChanged { rel, unit: u, app } => {
            c.relation = Some(*rel);
            c.remote_unit = u.clone();
            c.remote_app = Some(app.clone());
        }
        EventKind::RelationDeparted {
            rel,
            unit: u,
            departing,
        } => {
            c.relation = Some(*rel);
            c.remote_unit = Some(u.clone());
            c.remote_app = Some(crate::state::app_of(u).into());
            c.departing_unit = Some(departing.clone());
        }
        EventKind::RelationBroken { rel, app } => {
            c.relation = Some(*rel);
            c.remote_app = Some(app.clone());
        }
        EventKind::SecretChanged { id } => c.secret = Some(id.clone()),
        EventKind::Action { id } => {
            c.action = Some(*id);
            c.hook = String::new();
        }
        _ => {}
    }
    c
}

fn remote_app(model: &Model, unit: &str, rel: u64) -> Option<String> {
    model
        .relations
        .get(&rel)
        .and_then(|r| r.remote_app(crate::state::app_of(unit)))
        .map(String::from)
}

/// Every environment variable Juju sets for this hook (juju.md §1, relations.md §6.1).
pub fn hook_env(model: &Model, model_dir: &Path, c: &HookCtx) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let unit = model.units.get(&c.unit);
    let charm_dir = unit
        .map(|u| u.charm_dir.display().to_string())
        .unwrap_or_default();
    let unit_tag = c.unit.replace('/', "-");
    let mut set = |k: &str, v: String| {
        env.insert(k.to_string(), v);
    };
    let dispatch = match c.action {
        Some(id) => format!(
            "actions/{}",
            model
                .actions
                .get(&id)
                .map(|a| a.name.as_str())
                .unwrap_or("")
        ),
        None => format!("hooks/{}", c.hook),
    };
    set("JUJU_DISPATCH_PATH", dispatch);
    set("JUJU_HOOK_NAME", c.hook.clone());
    set("JUJU_UNIT_NAME", c.unit.clone());
    set("JUJU_MODEL_NAME", model.name.clone());
    set("JUJU_MODEL_UUID", model.uuid.clone());
    set("JUJU_VERSION", JUJU_VERSION.into());
    set("JUJU_CHARM_DIR", charm_dir.clone());
    set("CHARM_DIR", charm_dir);
    set("JUJU_CONTEXT_ID", c.id.clone());
    set(
        "JUJU_AGENT_SOCKET_ADDRESS",
        format!("@/var/lib/juju/agents/unit-{unit_tag}/agent.socket"),
    );
    set("JUJU_AGENT_SOCKET_NETWORK", "unix".into());
    set(
        "JUJU_API_ADDRESSES",
        format!("{}:17070", crate::state::CONTROLLER_ADDRESS),
    );
    set(
        "JUJU_MACHINE_ID",
        crate::state::unit_number(&c.unit).to_string(),
    );
    set("JUJU_PRINCIPAL_UNIT", String::new());
    set("JUJU_AVAILABILITY_ZONE", String::new());
    set("CLOUD_API_VERSION", String::new());
    for p in ["HTTP", "HTTPS", "FTP", "NO"] {
        set(&format!("JUJU_CHARM_{p}_PROXY"), String::new());
    }
    if let Some(rid) = c.relation {
        if let Some(r) = model.relations.get(&rid) {
            let app = crate::state::app_of(&c.unit);
            set("JUJU_RELATION", r.endpoint_of(app).unwrap_or("").into());
            set("JUJU_RELATION_ID", r.key_for(app));
        }
        set(
            "JUJU_REMOTE_UNIT",
            c.remote_unit.clone().unwrap_or_default(),
        );
        set("JUJU_REMOTE_APP", c.remote_app.clone().unwrap_or_default());
        if let Some(d) = &c.departing_unit {
            set("JUJU_DEPARTING_UNIT", d.clone());
        }
    }
    if let Some(id) = c.action {
        if let Some(a) = model.actions.get(&id) {
            set("JUJU_ACTION_NAME", a.name.clone());
            set("JUJU_ACTION_UUID", a.uuid.clone());
            set("JUJU_ACTION_TAG", format!("action-{}", a.uuid));
        }
    }
    if let Some(sid) = &c.secret {
        set("JUJU_SECRET_ID", sid.clone());
        let label = model
            .secrets
            .get(sid)
            .and_then(|s| s.consumers.get(&c.unit).and_then(|k| k.label.clone()));
        if let Some(l) = label {
            set("JUJU_SECRET_LABEL", l);
        }
    }
    set("JUJU_SIM_MODEL", model_dir.display().to_string());
    env
}

/// Result of running one dispatch.
pub struct Outcome {
    pub code: i32,
    /// The model as the hook left it (meaningful when code == 0; action results always).
    pub after: Model,
    pub stdout: String,
    pub stderr: String,
    pub env: BTreeMap<String, String>,
}

/// Make sure `<model>/tools/<tool>` symlinks point to a stable copy of this executable.
///
/// The copy lives in `$TMPDIR/juju-sim-bin/<size>-<mtime>/juju-sim` (one per build, shared by
/// all models), so rebuilding `target/debug/juju-sim` while hooks run never breaks a tool call.
/// Copies older than a day are removed.
pub fn ensure_tools(model_dir: &Path) -> Result<PathBuf> {
    let tools = model_dir.join("tools");
    std::fs::create_dir_all(&tools).map_err(|e| Error::io(&tools, e))?;
    let exe = std::env::current_exe().map_err(|e| Error::io("current_exe", e))?;
    let target = stable_copy(&exe).unwrap_or(exe);
    for t in crate::tools::TOOL_NAMES {
        let link = tools.join(t);
        if std::fs::read_link(&link).ok().as_deref() == Some(target.as_path()) {
            continue;
        }
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).map_err(|e| Error::io(&link, e))?;
    }
    Ok(tools)
}

fn stable_copy(exe: &Path) -> Option<PathBuf> {
    let cache = std::env::temp_dir().join("juju-sim-bin");
    if exe.starts_with(&cache) {
        return Some(exe.to_path_buf());
    }
    let m = std::fs::metadata(exe).ok()?;
    let mtime = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let dir = cache.join(format!("{}-{mtime}", m.len()));
    let copy = dir.join("juju-sim");
    if copy.exists() {
        return Some(copy);
    }
    std::fs::create_dir_all(&dir).ok()?;
    let tmp = dir.join(format!(".juju-sim.{}", std::process::id()));
    std::fs::copy(exe, &tmp).ok()?;
    std::fs::rename(&tmp, &copy).ok()?;
    if let Ok(entries) = std::fs::read_dir(&cache) {
        let day = std::time::Duration::from_secs(86_400);
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > day);
            if old && e.path() != dir {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Some(copy)
}

/// Run `./dispatch` for one event of a charm unit.
pub fn dispatch(model: &Model, model_dir: &Path, unit: &str, kind: &EventKind) -> Result<Outcome> {
    let ctx_id = format!(
        "{}-{}-{}",
        unit,
        hook_name(model, unit, kind),
        model.next_seq
    );
    let c = make_ctx(model, unit, kind, ctx_id);
    let env = hook_env(model, model_dir, &c);
    run_in_context(model, model_dir, c, env, &["./dispatch".to_string()])
}

/// Run a command in a hook context like `juju exec`: no JUJU_DISPATCH_PATH/JUJU_HOOK_NAME.
pub fn exec(model: &Model, model_dir: &Path, unit: &str, argv: &[String]) -> Result<Outcome> {
    let c = HookCtx {
        id: format!("{unit}-exec-{}", model.next_seq),
        unit: unit.into(),
        ..Default::default()
    };
    let mut env = hook_env(model, model_dir, &c);
    env.remove("JUJU_DISPATCH_PATH");
    env.remove("JUJU_HOOK_NAME");
    run_in_context(model, model_dir, c, env, argv)
}

fn run_in_context(
    model: &Model,
    model_dir: &Path,
    c: HookCtx,
    env: BTreeMap<String, String>,
    argv: &[String],
) -> Result<Outcome> {
    let tools = ensure_tools(model_dir)?;
    let unit = c.unit.clone();
    let ctx_id = c.id.clone();
    let cpath = ctx_path(model_dir, &ctx_id);
    std::fs::create_dir_all(cpath.parent().unwrap_or(model_dir))
        .map_err(|e| Error::io(&cpath, e))?;
    let mut c = c;
    c.ports_at_start = u_ports(model, &unit);
    write_json_atomic(
        &cpath,
        &CtxFile {
            ctx: c,
            model: model.clone(),
            commit_error: None,
        },
    )?;
    let u = model.unit(&unit)?;
    let path = format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| Error::usage("no command given"))?;
    let mut cmd = Command::new(prog);
    cmd.args(args);
    cmd.current_dir(&u.charm_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("JUJU_") || k == "CHARM_DIR" {
            cmd.env_remove(k);
        }
    }
    cmd.envs(&env).env("PATH", path);
    let pid_file = model_dir.join(HOOK_PID_FILE);
    let (mut code, stdout, mut stderr) =
        run_with_timeout(cmd, &u.charm_dir, &pid_file, hook_timeout())?;
    let text = std::fs::read_to_string(&cpath).map_err(|e| Error::io(&cpath, e))?;
    let cf: CtxFile = serde_json::from_str(&text).map_err(|e| Error::parse("context file", e))?;
    let _ = std::fs::remove_file(&cpath);
    if let (0, Some(e)) = (code, &cf.commit_error) {
        // Juju's HookContext.Flush failed: the hook counts as failed, nothing is committed.
        code = 1;
        stderr.push_str(&format!("juju-sim: cannot apply changes: {e}\n"));
    }
    Ok(Outcome {
        code,
        after: cf.model,
        stdout,
        stderr,
        env,
    })
}

fn u_ports(model: &Model, unit: &str) -> Vec<String> {
    model
        .units
        .get(unit)
        .map(|u| u.ports.iter().cloned().collect())
        .unwrap_or_default()
}

/// Hook time limit: `JUJU_SIM_HOOK_TIMEOUT` seconds, default 600.
fn hook_timeout() -> std::time::Duration {
    let secs = std::env::var("JUJU_SIM_HOOK_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    std::time::Duration::from_secs(secs)
}

/// While a charm's dispatch runs, its pid is in `<model>/hook.pid` (removed when it ends), so a
/// test double outside the emulator can kill the running hook at a point of its choosing
/// (harness/connect-mock `--kill-after-writes`: SIGKILL right after a Connect write). Juju then
/// sees a failed hook, as it would after the agent's process died.
pub const HOOK_PID_FILE: &str = "hook.pid";

/// Run dispatch in its own process group; on timeout kill that group and report exit 124
/// (a hook failure) with a note on stderr. A hook killed by a signal fails with 128 + signal
/// and a note naming the signal.
fn run_with_timeout(
    mut cmd: Command,
    charm_dir: &Path,
    pid_file: &Path,
    limit: std::time::Duration,
) -> Result<(i32, String, String)> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::run(format!("cannot run {}/dispatch: {e}", charm_dir.display())))?;
    let _ = std::fs::write(pid_file, child.id().to_string());
    let mut out_pipe = child.stdout.take().expect("piped");
    let mut err_pipe = child.stderr.take().expect("piped");
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let start = std::time::Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| Error::io("dispatch", e))? {
            break Some(st);
        }
        if start.elapsed() > limit {
            timed_out = true;
            // Kill the hook's own process group (it was started by us, above).
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg("--")
                .arg(format!("-{}", child.id()))
                .status();
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let _ = std::fs::remove_file(pid_file);
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let mut stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    let code = match status {
        Some(st) => {
            use std::os::unix::process::ExitStatusExt;
            match (st.code(), st.signal()) {
                (Some(c), _) => c,
                (None, Some(sig)) => {
                    stderr.push_str(&format!("juju-sim: hook killed by signal {sig}\n"));
                    128 + sig
                }
                (None, None) => 128,
            }
        }
        None => 124,
    };
    if timed_out {
        stderr.push_str(&format!(
            "juju-sim: hook killed after {}s\n",
            limit.as_secs()
        ));
    }
    Ok((code, stdout, stderr))
}
