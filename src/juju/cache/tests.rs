//! The unit cache spares only calls whose answer cannot have changed, and forgets what a
//! failed hook or a leadership change may have made stale.

use super::*;
use crate::juju::memory::{MemoryTools, Relation, State};
use crate::juju::StatusKind;

fn world() -> State {
    let mut s = State {
        app: "mm".into(),
        unit: "mm/0".into(),
        leader: true,
        ..Default::default()
    };
    s.relations.push(Relation {
        endpoint: "peer".into(),
        id: 1,
        remote_app: "mm".into(),
        ..Default::default()
    });
    s.relations.push(Relation {
        endpoint: "source".into(),
        id: 3,
        remote_app: "kafka-a".into(),
        ..Default::default()
    });
    s
}

/// One "hook": the calls the charm makes that the cache may spare.
fn hook(mem: &MemoryTools, dir: &Path, leader_elected: bool, status: &str) -> bool {
    let tools = CachedTools::new(mem, "peer", Some(dir), leader_elected);
    let leader = tools.is_leader().unwrap();
    tools.relation_ids("peer").unwrap();
    let src = tools.relation_ids("source").unwrap();
    tools.relation_remote_app(&src[0]).unwrap();
    let st = Status::new(StatusKind::Active, status);
    tools.status_set(&st, false).unwrap();
    if leader {
        tools.status_set(&st, true).unwrap();
    }
    tools.finish(true);
    leader
}

fn calls(mem: &MemoryTools) -> Vec<String> {
    std::mem::take(&mut mem.state_mut().calls)
}

// Proves the second identical hook makes only the calls whose answer may change (is-leader,
// relation-ids of a non-peer endpoint), and a changed status is set again.
#[test]
fn repeats_are_spared_changes_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let mem = MemoryTools::new(world());
    hook(&mem, dir.path(), false, "ok");
    assert_eq!(calls(&mem).len(), 6);
    hook(&mem, dir.path(), false, "ok");
    assert_eq!(calls(&mem), ["is-leader", "relation-ids source"]);
    hook(&mem, dir.path(), false, "changed");
    assert_eq!(
        calls(&mem),
        [
            "is-leader",
            "relation-ids source",
            "status-set --application=false active",
            "status-set --application=true active"
        ]
    );
}

// Proves the application status is set again after leadership was lost (another leader may
// have set it) and on leader-elected, and that a failed hook forgets everything.
#[test]
fn leadership_and_failure_forget() {
    let dir = tempfile::tempdir().unwrap();
    let mem = MemoryTools::new(world());
    hook(&mem, dir.path(), false, "ok");
    mem.state_mut().leader = false;
    hook(&mem, dir.path(), false, "ok");
    mem.state_mut().leader = true;
    calls(&mem);
    hook(&mem, dir.path(), false, "ok");
    assert!(calls(&mem).contains(&"status-set --application=true active".to_string()));
    hook(&mem, dir.path(), true, "ok");
    assert!(calls(&mem).contains(&"status-set --application=true active".to_string()));

    let tools = CachedTools::new(&mem, "peer", Some(dir.path()), false);
    tools.finish(false);
    assert!(!dir.path().join(CACHE_FILE).exists());
    hook(&mem, dir.path(), false, "ok");
    assert_eq!(calls(&mem).len(), 6);
}

// Proves a corrupt or oversized file counts as empty (every call made), never as an error.
#[test]
fn junk_file_counts_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(CACHE_FILE), b"{not json").unwrap();
    let mem = MemoryTools::new(world());
    hook(&mem, dir.path(), false, "ok");
    assert_eq!(calls(&mem).len(), 6);
}
