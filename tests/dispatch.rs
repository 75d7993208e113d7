//! The packed charm run through its own `./dispatch`, as Juju runs it, with stand-in hook tools
//! (shell scripts that record their argv) on PATH. The full Juju emulator is harness/juju-sim.

mod common;

use common::{packed_charm, unpack};
use std::path::Path;
use std::process::Command;

const FAKE_TOOL: &str = r#"#!/bin/sh
name=$(basename "$0")
{ printf '%s' "$name"; for a in "$@"; do printf '\t%s' "$a"; done; printf '\n'; } >> "$CALLS"
case "$name" in
  relation-ids) if [ "$1" = source ]; then echo "$FAKE_SOURCE_IDS"; else echo '[]'; fi ;;
  is-leader) echo "$FAKE_LEADER" ;;
  config-get) echo '{}' ;;
  relation-get) echo '{}' ;;
esac
"#;

const TOOLS: [&str; 8] = [
    "juju-log",
    "status-set",
    "relation-ids",
    "is-leader",
    "action-fail",
    "config-get",
    "relation-get",
    "relation-list",
];

/// Runs dispatch for `hook` in a freshly unpacked charm; returns (exit code, recorded calls).
fn dispatch(env: &[(&str, &str)]) -> (i32, Vec<Vec<String>>) {
    let dir = tempfile::tempdir().unwrap();
    let charm_dir = dir.path().join("charm");
    unpack(&packed_charm(), &charm_dir);
    let tools = dir.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    for t in TOOLS {
        write_exec(&tools.join(t), FAKE_TOOL);
    }
    let calls = dir.path().join("calls");
    std::fs::write(&calls, "").unwrap();
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap());
    let status = Command::new("./dispatch")
        .current_dir(&charm_dir)
        .env_clear()
        .env("PATH", path)
        .env("CALLS", &calls)
        .env("FAKE_SOURCE_IDS", "[]")
        .env("FAKE_LEADER", "true")
        .env("JUJU_UNIT_NAME", "mirrormaker/0")
        .env("JUJU_MODEL_NAME", "dev")
        .env("JUJU_MODEL_UUID", "5b2e4a3c-1d2e-4f60-8a9b-0c1d2e3f4a5b")
        .env("JUJU_VERSION", "3.6.4")
        .env("JUJU_CHARM_DIR", &charm_dir)
        .envs(env.iter().copied())
        .output()
        .expect("run dispatch");
    eprintln!(
        "dispatch stderr:\n{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let status = status.status;
    let calls = std::fs::read_to_string(calls)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    (status.code().unwrap_or(-1), calls)
}

fn write_exec(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn has(calls: &[Vec<String>], expected: &[&str]) -> bool {
    calls.iter().any(|c| c == expected)
}

// Proves dispatch reaches the binary, the hook is parsed from JUJU_DISPATCH_PATH, the event is
// logged through juju-log (at DEBUG, which Juju switches on with JUJU_DEBUG), and unit and app
// status name the missing relations.
#[test]
fn config_changed_logs_and_sets_status() {
    let (code, calls) = dispatch(&[
        ("JUJU_DISPATCH_PATH", "hooks/config-changed"),
        ("JUJU_HOOK_NAME", "config-changed"),
        ("JUJU_DEBUG", "1"),
    ]);
    assert_eq!(code, 0, "{calls:?}");
    assert!(
        has(
            &calls,
            &[
                "juju-log",
                "--log-level",
                "DEBUG",
                "--",
                "running config-changed unit=mirrormaker/0"
            ]
        ),
        "{calls:?}"
    );
    let msg = "missing relation(s): source, target, connect-client (juju integrate)";
    assert!(
        has(
            &calls,
            &["status-set", "--application=False", "blocked", "--", msg]
        ),
        "{calls:?}"
    );
    assert!(
        has(
            &calls,
            &["status-set", "--application=True", "blocked", "--", msg]
        ),
        "{calls:?}"
    );
    assert!(
        has(&calls, &["relation-ids", "connect-client", "--format=json"]),
        "{calls:?}"
    );
}

// Proves a relation hook is parsed (hook name with the endpoint) and that relation-ids output
// is read: the existing `source` relation is no longer reported missing. A non-leader does
// not set application status.
#[test]
fn relation_hook_on_a_follower() {
    let (code, calls) = dispatch(&[
        ("JUJU_DISPATCH_PATH", "hooks/source-relation-changed"),
        ("JUJU_RELATION", "source"),
        ("JUJU_RELATION_ID", "source:3"),
        ("JUJU_REMOTE_APP", "kafka-a"),
        ("JUJU_REMOTE_UNIT", "kafka-a/0"),
        ("FAKE_SOURCE_IDS", "[\"source:3\"]"),
        ("FAKE_LEADER", "false"),
        ("JUJU_DEBUG", "1"),
    ]);
    assert_eq!(code, 0, "{calls:?}");
    assert!(
        has(
            &calls,
            &[
                "juju-log",
                "--log-level",
                "DEBUG",
                "--",
                "running source-relation-changed unit=mirrormaker/0"
            ]
        ),
        "{calls:?}"
    );
    // The follower reads the source relation's remote databag but writes nothing.
    assert!(
        has(
            &calls,
            &[
                "relation-get",
                "--format=json",
                "-r",
                "source:3",
                "--app",
                "-",
                "kafka-a"
            ]
        ),
        "{calls:?}"
    );
    assert!(!calls.iter().any(|c| c[0] == "relation-set"), "{calls:?}");
    let msg = "missing relation(s): target, connect-client (juju integrate)";
    assert!(
        has(
            &calls,
            &["status-set", "--application=False", "blocked", "--", msg]
        ),
        "{calls:?}"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c.get(1).map(String::as_str) == Some("--application=True")),
        "{calls:?}"
    );
}

// Proves a run outside Juju (no JUJU_DISPATCH_PATH) fails with exit 2 and calls no hook tool.
#[test]
fn outside_juju_exits_2() {
    let (code, calls) = dispatch(&[("JUJU_UNIT_NAME", "mirrormaker/0")]);
    assert_eq!(code, 2);
    assert!(calls.is_empty(), "{calls:?}");
}
