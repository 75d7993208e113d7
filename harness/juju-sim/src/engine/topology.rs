//! Model-shape changes and the events Juju queues for them: add-unit (install → created →
//! leader-elected → config-changed → start → joined/changed), integrate, remove-relation,
//! remove-unit, leadership change.

use std::path::Path;

use crate::error::{Error, Result};
use crate::state::{app_of, Agent, Bag, EventKind, Model, RelUnit, Relation};

/// Default unit databag content Juju puts in every relation.
pub fn default_unit_bag(address: &str) -> Bag {
    let mut b = Bag::new();
    b.insert("egress-subnets".into(), format!("{address}/32"));
    b.insert("ingress-address".into(), address.into());
    b.insert("private-address".into(), address.into());
    b
}

/// Units (not dying) of the app on the other side of `rel` as seen from `app`.
fn remote_units(model: &Model, rel: &Relation, app: &str, except: &str) -> Vec<String> {
    let Some(remote) = rel.remote_app(app) else {
        return vec![];
    };
    model
        .units_of(remote)
        .into_iter()
        .filter(|u| u != except && !model.units[u].dying)
        .collect()
}

/// Add a unit of an existing app and queue its lifecycle: install, relation-created for existing
/// relations (peer first), leader-elected (when it becomes leader), config-changed, start, then
/// joined/changed in both directions.
pub fn add_unit(model: &mut Model, model_dir: &Path, app: &str) -> Result<String> {
    let (n, source) = {
        let a = model.app_mut(app)?;
        let n = a.next_unit;
        a.next_unit += 1;
        (n, a.charm_source.clone())
    };
    let name = format!("{app}/{n}");
    let charm_dir = model_dir
        .join("units")
        .join(format!("{app}-{n}"))
        .join("charm");
    if let Some(src) = &source {
        crate::charm::deploy(src, &charm_dir)?;
    }
    let address = model.new_address();
    model.units.insert(
        name.clone(),
        crate::state::Unit {
            name: name.clone(),
            app: app.into(),
            charm_dir,
            status: crate::state::Status::new("unknown", ""),
            agent: Agent::Idle,
            queue: Default::default(),
            rels: Default::default(),
            ports: Default::default(),
            address: address.clone(),
            dying: false,
            charm_state: Default::default(),
        },
    );
    model.enqueue(&name, EventKind::Install);
    let mut rels: Vec<(bool, u64)> = model
        .relations
        .values()
        .filter(|r| r.has_app(app) && !r.dying)
        .map(|r| (!r.is_peer(), r.id))
        .collect();
    rels.sort();
    for (_, rid) in &rels {
        model
            .relations
            .get_mut(rid)
            .expect("relation")
            .unit_data
            .insert(name.clone(), default_unit_bag(&address));
        model.unit_mut(&name)?.rels.insert(*rid, RelUnit::default());
        model.enqueue(&name, EventKind::RelationCreated { rel: *rid });
    }
    let becomes_leader = model.app(app)?.leader.is_none();
    if becomes_leader {
        model.app_mut(app)?.leader = Some(name.clone());
        model.enqueue(&name, EventKind::LeaderElected);
    }
    model.enqueue(&name, EventKind::ConfigChanged);
    model.enqueue(&name, EventKind::Start);
    for (_, rid) in rels {
        let rel = model.relations[&rid].clone();
        for other in remote_units(model, &rel, app, &name) {
            join_pair(model, rid, &name, &other);
        }
    }
    Ok(name)
}

/// Queue joined → changed for `a` about `b` and for `b` about `a`.
fn join_pair(model: &mut Model, rid: u64, a: &str, b: &str) {
    for (x, y) in [(a, b), (b, a)] {
        model.enqueue(
            x,
            EventKind::RelationJoined {
                rel: rid,
                unit: y.into(),
            },
        );
        model.enqueue(
            x,
            EventKind::RelationChanged {
                rel: rid,
                unit: Some(y.into()),
                app: app_of(y).into(),
            },
        );
    }
}

/// Create a relation and queue relation-created on every unit, then joined/changed pairs.
pub fn add_relation(
    model: &mut Model,
    endpoints: Vec<crate::state::Endpoint>,
    interface: &str,
) -> u64 {
    let rid = model.next_relation_id;
    model.next_relation_id += 1;
    let apps: Vec<String> = endpoints.iter().map(|e| e.app.clone()).collect();
    let mut rel = Relation {
        id: rid,
        endpoints,
        interface: interface.into(),
        app_data: Default::default(),
        unit_data: Default::default(),
        dying: false,
    };
    let mut units = vec![];
    for app in &apps {
        rel.app_data.insert(app.clone(), Bag::new());
        for u in model.units_of(app) {
            if !model.units[&u].dying {
                units.push(u);
            }
        }
    }
    for u in &units {
        rel.unit_data
            .insert(u.clone(), default_unit_bag(&model.units[u].address));
    }
    model.relations.insert(rid, rel.clone());
    for u in &units {
        if let Some(unit) = model.units.get_mut(u) {
            unit.rels.insert(rid, RelUnit::default());
        }
        model.enqueue(u, EventKind::RelationCreated { rel: rid });
    }
    if rel.is_peer() {
        for (i, a) in units.iter().enumerate() {
            for b in &units[i + 1..] {
                join_pair(model, rid, a, b);
            }
        }
    } else {
        let (left, right): (Vec<_>, Vec<_>) = units.iter().partition(|u| app_of(u) == apps[0]);
        for a in &left {
            for b in &right {
                join_pair(model, rid, a, b);
            }
        }
    }
    rid
}

/// Queue departed (for every member pair) and broken on every unit; the relation is deleted
/// once all units have run -broken.
pub fn remove_relation(model: &mut Model, rid: u64) -> Result<()> {
    let rel = model
        .relations
        .get_mut(&rid)
        .ok_or_else(|| Error::run(format!("relation {rid} not found")))?;
    rel.dying = true;
    let rel = rel.clone();
    let members: Vec<String> = model
        .units
        .values()
        .filter(|u| u.rels.contains_key(&rid))
        .map(|u| u.name.clone())
        .collect();
    for u in &members {
        let joined = model.units[u].rels[&rid].joined.clone();
        for x in joined {
            model.enqueue(
                u,
                EventKind::RelationDeparted {
                    rel: rid,
                    unit: x.clone(),
                    departing: x,
                },
            );
        }
        let remote = rel.remote_app(app_of(u)).unwrap_or_default().to_string();
        model.enqueue(
            u,
            EventKind::RelationBroken {
                rel: rid,
                app: remote,
            },
        );
    }
    Ok(())
}

/// Queue a unit's departure from all its relations, then stop and remove.
pub fn remove_unit(model: &mut Model, unit: &str) -> Result<()> {
    let rels: Vec<u64> = model.unit(unit)?.rels.keys().copied().collect();
    for rid in rels {
        let others: Vec<String> = model
            .units
            .values()
            .filter(|v| v.name != unit && v.rels.get(&rid).is_some_and(|r| r.joined.contains(unit)))
            .map(|v| v.name.clone())
            .collect();
        for v in others {
            model.enqueue(
                &v,
                EventKind::RelationDeparted {
                    rel: rid,
                    unit: unit.into(),
                    departing: unit.into(),
                },
            );
        }
        let joined = model.units[unit].rels[&rid].joined.clone();
        for x in joined {
            model.enqueue(
                unit,
                EventKind::RelationDeparted {
                    rel: rid,
                    unit: x,
                    departing: unit.into(),
                },
            );
        }
        let remote = model
            .relations
            .get(&rid)
            .and_then(|r| r.remote_app(app_of(unit)))
            .unwrap_or_default()
            .to_string();
        model.enqueue(
            unit,
            EventKind::RelationBroken {
                rel: rid,
                app: remote,
            },
        );
    }
    model.enqueue(unit, EventKind::Stop);
    model.enqueue(unit, EventKind::Remove);
    model.unit_mut(unit)?.dying = true;
    Ok(())
}

/// Make `unit` the leader and queue leader-elected on it.
pub fn elect(model: &mut Model, unit: &str) -> Result<()> {
    let app = model.unit(unit)?.app.clone();
    model.app_mut(&app)?.leader = Some(unit.into());
    model.enqueue(unit, EventKind::LeaderElected);
    Ok(())
}
