//! `hookstat`: measures one hook. A unit's `dispatch` is rewritten (by benches/hooks.sh, in the
//! deployed copy only) to `exec hookstat ./bin/mirrormaker-integrator`.
//!
//! * `HOOKSTAT_OUT` unset: plain `exec` of the program (no measurement).
//! * `HOOKSTAT_OUT=F`: spawn the program, `wait4` it, append one JSON line to F: hook, unit,
//!   exit code, wall/user/sys ms, `maxrss_kb` (wait4: the charm or any hook tool it reaped,
//!   whichever was larger), start/end epoch ns.
//! * plus `HOOKSTAT_TOOLS=1`: hook tools are reached through shims (symlinks to this binary in
//!   `F.shims/`, first on PATH). Each shim samples the charm's `VmHWM` from
//!   `/proc/<parent>/status` (the charm's own peak RSS so far, tools excluded), runs the real
//!   tool, and logs its name, start and duration. The JSON line then adds `tools` (count),
//!   `tool_ms` (time inside tools), `first_tool_ms` (exec → first tool call: cold start),
//!   `charm_hwm_kb` (largest sample), `charm_cpu_ms` (the charm's own on-CPU time up to its
//!   last tool call, from `/proc/<parent>/schedstat`; tools excluded), `tool_names` and `timeline` ([tool, start ms, ms]). Shims cost ~1 ms per call, so use
//!   plain mode for wall time.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// wait4 on one child: (exit code, rusage).
fn wait4(pid: u32) -> (i32, libc::rusage) {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut ru) };
        if r >= 0 {
            break;
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return (-1, ru);
        }
    }
    let st = std::process::ExitStatus::from_raw(status);
    (st.code().unwrap_or(128 + st.signal().unwrap_or(0)), ru)
}

fn ms(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3
}

fn vm_hwm_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// On-CPU time of a process so far, ms (`/proc/<pid>/schedstat`, ns resolution).
fn cpu_ms(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e6)
}

fn shim(tool: &str, args: Vec<OsString>) -> ! {
    let real_path = std::env::var("HOOKSTAT_REAL_PATH").unwrap_or_default();
    let real = std::env::split_paths(&real_path)
        .map(|d| d.join(tool))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(tool));
    let parent = std::os::unix::process::parent_id();
    let hwm = vm_hwm_kb(parent);
    let cpu = cpu_ms(parent);
    let start_ns = now_ns();
    let t = Instant::now();
    let child = Command::new(&real)
        .arg0(tool)
        .args(args)
        .env("PATH", &real_path)
        .spawn();
    let (code, ru) = match child {
        Ok(c) => wait4(c.id()),
        Err(e) => {
            eprintln!("hookstat: cannot run {}: {e}", real.display());
            std::process::exit(127)
        }
    };
    let dur = t.elapsed().as_secs_f64() * 1e3;
    if let Ok(log) = std::env::var("HOOKSTAT_TOOLLOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(
                f,
                "{tool} {start_ns} {dur:.3} {} {hwm} {cpu:.3}",
                ru.ru_maxrss
            );
        }
    }
    std::process::exit(code)
}

fn ensure_shims(dir: &Path, tools_dir: &Path) {
    let exe = std::env::current_exe().expect("current_exe");
    let _ = std::fs::create_dir_all(dir);
    if let Ok(rd) = std::fs::read_dir(tools_dir) {
        for e in rd.flatten() {
            let link = dir.join(e.file_name());
            if std::fs::symlink_metadata(&link).is_err() {
                let _ = std::os::unix::fs::symlink(&exe, &link);
            }
        }
    }
}

fn main() {
    let mut argv = std::env::args_os();
    let argv0 = argv.next().unwrap_or_default();
    let name = Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest: Vec<OsString> = argv.collect();
    if name != "hookstat" {
        shim(&name, rest);
    }
    let Some((prog, args)) = rest.split_first() else {
        eprintln!("usage: hookstat PROGRAM [ARGS...]");
        std::process::exit(2)
    };
    let Some(out) = std::env::var_os("HOOKSTAT_OUT") else {
        let e = Command::new(prog).args(args).exec();
        eprintln!("hookstat: cannot exec {}: {e}", Path::new(prog).display());
        std::process::exit(127)
    };
    let out = PathBuf::from(out);
    let mut cmd = Command::new(prog);
    cmd.args(args);
    let tools = std::env::var_os("HOOKSTAT_TOOLS").is_some();
    let toollog = PathBuf::from(format!("{}.tools.{}", out.display(), std::process::id()));
    if tools {
        let path = std::env::var("PATH").unwrap_or_default();
        let first = std::env::split_paths(&path).next().unwrap_or_default();
        let shims = PathBuf::from(format!("{}.shims", out.display()));
        ensure_shims(&shims, &first);
        let mut dirs = vec![shims];
        dirs.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(dirs).expect("PATH"))
            .env("HOOKSTAT_REAL_PATH", &path)
            .env("HOOKSTAT_TOOLLOG", &toollog);
    }
    let t0_ns = now_ns();
    let t = Instant::now();
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hookstat: cannot run {}: {e}", Path::new(prog).display());
            std::process::exit(127)
        }
    };
    let (code, ru) = wait4(child.id());
    let wall = t.elapsed().as_secs_f64() * 1e3;
    let t1_ns = now_ns();
    let mut rec = serde_json::json!({
        "hook": std::env::var("JUJU_DISPATCH_PATH").unwrap_or_default(),
        "unit": std::env::var("JUJU_UNIT_NAME").unwrap_or_default(),
        "exit": code,
        "wall_ms": wall,
        "user_ms": ms(ru.ru_utime),
        "sys_ms": ms(ru.ru_stime),
        "maxrss_kb": ru.ru_maxrss,
        "t0_ns": t0_ns.to_string(),
        "t1_ns": t1_ns.to_string(),
    });
    if tools {
        let text = std::fs::read_to_string(&toollog).unwrap_or_default();
        let _ = std::fs::remove_file(&toollog);
        let (mut n, mut tool_ms, mut first, mut hwm, mut tool_rss) = (0u64, 0f64, None, 0u64, 0u64);
        let mut cpu = 0f64;
        let mut names: BTreeMap<String, u64> = BTreeMap::new();
        let mut timeline = Vec::new();
        for l in text.lines() {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 6 {
                continue;
            }
            n += 1;
            *names.entry(f[0].to_string()).or_default() += 1;
            tool_ms += f[2].parse::<f64>().unwrap_or(0.0);
            let start: u128 = f[1].parse().unwrap_or(0);
            let at = start.saturating_sub(t0_ns) as f64 / 1e6;
            timeline.push(serde_json::json!([
                f[0],
                (at * 100.0).round() / 100.0,
                f[2]
            ]));
            if first.is_none() {
                first = Some(start.saturating_sub(t0_ns) as f64 / 1e6);
            }
            tool_rss = tool_rss.max(f[3].parse().unwrap_or(0));
            hwm = hwm.max(f[4].parse().unwrap_or(0));
            cpu = cpu.max(f[5].parse().unwrap_or(0.0));
        }
        rec["tools"] = n.into();
        rec["tool_ms"] = tool_ms.into();
        rec["first_tool_ms"] = first.into();
        rec["charm_hwm_kb"] = hwm.into();
        rec["charm_cpu_ms"] = cpu.into();
        rec["tool_maxrss_kb"] = tool_rss.into();
        rec["tool_names"] = serde_json::json!(names);
        rec["timeline"] = serde_json::json!(timeline);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&out)
    {
        let _ = writeln!(f, "{rec}");
    }
    std::process::exit(code)
}
