//! The event engine: queues Juju's events on units for each model change (deploy, add-unit,
//! integrate, remove-*), runs queued events one at a time in model-wide order until nothing is
//! left (quiescence), and turns each committed hook's changes into follow-up events
//! (relation-changed on the other side, secret-changed on consumers, leader-settings-changed).
//! A unit whose hook failed keeps its event at the front of its queue until `resolve`.

use std::path::Path;

use crate::error::{Error, Result};
use crate::state::{app_of, Agent, EventKind, HookRecord, Model};
use crate::{logs, providers, runner};

mod topology;
pub use topology::{add_relation, add_unit, elect, remove_relation, remove_unit};

/// Upper bound on hooks run by one verb: beyond this the model is ping-ponging.
pub const MAX_HOOKS_PER_SETTLE: usize = 500;

/// Membership changes Juju makes visible before the hook runs.
fn pre_effects(model: &mut Model, unit: &str, kind: &EventKind) {
    let Some(u) = model.units.get_mut(unit) else {
        return;
    };
    match kind {
        EventKind::RelationJoined { rel, unit: x } => {
            u.rels.entry(*rel).or_default().joined.insert(x.clone());
        }
        EventKind::RelationDeparted { rel, unit: x, .. } => {
            if let Some(r) = u.rels.get_mut(rel) {
                r.joined.remove(x);
            }
        }
        EventKind::RelationBroken { rel, .. } => {
            if let Some(r) = u.rels.get_mut(rel) {
                r.joined.clear();
            }
        }
        _ => {}
    }
}

fn post_effects(model: &mut Model, unit: &str, kind: &EventKind) {
    if let EventKind::RelationBroken { rel, .. } = kind {
        if let Some(u) = model.units.get_mut(unit) {
            u.rels.remove(rel);
        }
    }
}

/// Queue follow-up events for what a committed hook changed (`actor` ran it).
pub fn cascade(before: &Model, after: &mut Model, actor: &str) {
    let mut evs: Vec<(String, EventKind)> = vec![];
    for (rid, r) in &after.relations {
        let old = before.relations.get(rid);
        for (u, bag) in &r.unit_data {
            if old.and_then(|o| o.unit_data.get(u)) == Some(bag) {
                continue;
            }
            for v in after.units.values() {
                if v.name != *u && v.rels.get(rid).is_some_and(|m| m.joined.contains(u)) {
                    evs.push((
                        v.name.clone(),
                        EventKind::RelationChanged {
                            rel: *rid,
                            unit: Some(u.clone()),
                            app: app_of(u).into(),
                        },
                    ));
                }
            }
        }
        for (app, bag) in &r.app_data {
            if old.and_then(|o| o.app_data.get(app)) == Some(bag) {
                continue;
            }
            for v in after.units.values() {
                let other_side = if r.is_peer() {
                    v.name != actor
                } else {
                    v.app != *app
                };
                if other_side && v.rels.contains_key(rid) {
                    evs.push((
                        v.name.clone(),
                        EventKind::RelationChanged {
                            rel: *rid,
                            unit: None,
                            app: app.clone(),
                        },
                    ));
                }
            }
        }
    }
    for (id, s) in &after.secrets {
        let old_latest = before.secrets.get(id).map(|o| o.latest());
        if old_latest.is_none() || old_latest == Some(s.latest()) {
            continue;
        }
        for (c, cons) in &s.consumers {
            if cons.revision < s.latest() && after.units.contains_key(c) {
                evs.push((c.clone(), EventKind::SecretChanged { id: id.clone() }));
            }
        }
    }
    for (name, app) in &after.apps {
        if before.apps.get(name).map(|a| &a.leader_settings) == Some(&app.leader_settings) {
            continue;
        }
        for u in after.units_of(name) {
            if !after.is_leader(&u) {
                evs.push((u, EventKind::LeaderSettingsChanged));
            }
        }
    }
    for (u, k) in evs {
        after.enqueue(&u, k);
    }
}

/// Run one event on one unit (charm via dispatch, or a simulated provider in-process).
fn run_event(model: &mut Model, dir: &Path, unit: &str, ev: crate::state::Event) -> Result<()> {
    pre_effects(model, unit, &ev.kind);
    let hook = runner::hook_name(model, unit, &ev.kind);
    let app = model.unit(unit)?.app.clone();
    if let Some(kind) = model.app(&app)?.sim {
        let before = model.clone();
        let mut after = model.clone();
        providers::handle(&mut after, dir, kind, unit, &ev.kind)?;
        post_effects(&mut after, unit, &ev.kind);
        cascade(&before, &mut after, unit);
        logs::append_hook(
            dir,
            &HookRecord {
                unit: unit.into(),
                hook,
                code: 0,
                env: Default::default(),
            },
        );
        *model = after;
        return Ok(());
    }
    let before = model.clone();
    let out = runner::dispatch(model, dir, unit, &ev.kind)?;
    for line in out.stdout.lines() {
        logs::append(dir, unit, "DEBUG", &format!("{hook}: {line}"));
    }
    for line in out.stderr.lines() {
        logs::append(dir, unit, "WARNING", &format!("{hook}: {line}"));
    }
    let record = HookRecord {
        unit: unit.into(),
        hook: if let EventKind::Action { .. } = ev.kind {
            format!("action:{hook}")
        } else {
            hook.clone()
        },
        code: out.code,
        env: out.env.clone(),
    };
    if let EventKind::Action { id } = ev.kind {
        // Actions never put the unit in error; their results are kept either way.
        let mut run = out.after.actions.get(&id).cloned().unwrap_or_default();
        run.done = true;
        run.code = out.code;
        run.stdout = out.stdout.clone();
        run.stderr = out.stderr.clone();
        if out.code == 0 {
            let mut after = out.after;
            cascade(&before, &mut after, unit);
            *model = after;
        } else {
            keep_immediate_writes(model, &out.after, unit);
        }
        model.actions.insert(id, run);
        logs::append_hook(dir, &record);
        return Ok(());
    }
    if out.code == 0 {
        let mut after = out.after;
        post_effects(&mut after, unit, &ev.kind);
        cascade(&before, &mut after, unit);
        *model = after;
    } else {
        keep_immediate_writes(model, &out.after, unit);
        let u = model.unit_mut(unit)?;
        u.agent = Agent::Error { hook: hook.clone() };
        u.queue.push_front(ev);
        logs::append(
            dir,
            unit,
            "ERROR",
            &format!("juju.worker.uniter.operation hook \"{hook}\" (via hook dispatching script: dispatch) failed: exit status {}", out.code),
        );
    }
    logs::append_hook(dir, &record);
    Ok(())
}

/// Writes Juju makes through the API at once instead of buffering them for the hook's commit
/// (`HookContext.SetUnitStatus`/`SetApplicationStatus`, `SetUnitWorkloadVersion`): they stay
/// when the hook fails.
fn keep_immediate_writes(model: &mut Model, after: &Model, unit: &str) {
    let app = app_of(unit).to_string();
    if let (Some(u), Some(a)) = (model.units.get_mut(unit), after.units.get(unit)) {
        u.status = a.status.clone();
    }
    if let (Some(m), Some(a)) = (model.apps.get_mut(&app), after.apps.get(&app)) {
        m.status = a.status.clone();
        m.version = a.version.clone();
    }
}

/// `juju exec`-like: run a command in a hook context on a unit; writes commit on exit 0 and
/// their follow-up events run before this returns. Returns (code, stdout, stderr).
pub fn exec(
    model: &mut Model,
    dir: &Path,
    unit: &str,
    argv: &[String],
) -> Result<(i32, String, String)> {
    if model.unit(unit)?.agent != Agent::Idle {
        return Err(Error::run(format!(
            "unit \"{unit}\" is in error; resolve it first"
        )));
    }
    if model.app(&model.unit(unit)?.app)?.sim.is_some() {
        return Err(Error::run(format!(
            "unit \"{unit}\" is simulated; it has no charm to exec in"
        )));
    }
    let before = model.clone();
    let out = runner::exec(model, dir, unit, argv)?;
    if out.code == 0 {
        let mut after = out.after;
        cascade(&before, &mut after, unit);
        *model = after;
    } else {
        keep_immediate_writes(model, &out.after, unit);
    }
    Ok((out.code, out.stdout, out.stderr))
}

/// Delete units that finished dying and relations every unit has left.
fn collect_garbage(model: &mut Model) {
    let dead: Vec<String> = model
        .units
        .values()
        .filter(|u| u.dying && u.queue.is_empty() && u.agent == Agent::Idle)
        .map(|u| u.name.clone())
        .collect();
    for u in dead {
        model.units.remove(&u);
        for r in model.relations.values_mut() {
            r.unit_data.remove(&u);
        }
        for s in model.secrets.values_mut() {
            s.consumers.remove(&u);
        }
        let app = app_of(&u).to_string();
        if model.apps.get(&app).and_then(|a| a.leader.as_deref()) == Some(u.as_str()) {
            let next = model
                .units_of(&app)
                .into_iter()
                .find(|x| !model.units[x].dying);
            if let Some(a) = model.apps.get_mut(&app) {
                a.leader = next.clone();
            }
            if let Some(n) = next {
                model.enqueue(&n, EventKind::LeaderElected);
            }
        }
    }
    let gone: Vec<u64> = model
        .relations
        .values()
        .filter(|r| r.dying && !model.units.values().any(|u| u.rels.contains_key(&r.id)))
        .map(|r| r.id)
        .collect();
    for rid in gone {
        model.relations.remove(&rid);
        for a in model.apps.values_mut() {
            a.provider.remove(&rid);
        }
        for s in model.secrets.values_mut() {
            s.grants.retain(|g| g.relation != rid);
        }
    }
}

/// Run queued events until every queue is empty or blocked by a hook error.
pub fn settle(model: &mut Model, dir: &Path) -> Result<()> {
    let mut count = 0usize;
    loop {
        collect_garbage(model);
        let next = model
            .units
            .values()
            .filter(|u| u.agent == Agent::Idle && !u.queue.is_empty())
            .min_by_key(|u| u.queue[0].seq)
            .map(|u| u.name.clone());
        let Some(unit) = next else { break };
        count += 1;
        if count > MAX_HOOKS_PER_SETTLE {
            model.save(dir)?;
            let pending: Vec<String> = model
                .units
                .values()
                .filter_map(|u| {
                    u.queue.front().map(|e| {
                        format!("{}: {}", u.name, runner::hook_name(model, &u.name, &e.kind))
                    })
                })
                .collect();
            return Err(Error::run(format!(
                "model did not settle after {MAX_HOOKS_PER_SETTLE} hooks (charms ping-ponging relation data?); still pending: {}",
                pending.join(", ")
            )));
        }
        let ev = model.unit_mut(&unit)?.queue.pop_front().expect("non-empty");
        run_event(model, dir, &unit, ev)?;
        model.save(dir)?;
    }
    model.save(dir)
}
