//! Charm files: reading metadata.yaml / config.yaml / actions.yaml, unpacking a `.charm` zip
//! (keeping the unix modes stored in `external_attr`) or copying a charm directory into a unit's
//! charm dir, typing `config` values and applying/validating action parameters as Juju does.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EndpointMeta {
    pub interface: String,
    pub limit: Option<u64>,
}

/// One option of config.yaml.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigOption {
    #[serde(rename = "type")]
    pub kind: String,
    pub default: Option<Value>,
}

/// One action of actions.yaml (its `params` JSON schema, simplified).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ActionMeta {
    pub params: BTreeMap<String, Value>,
    pub required: Vec<String>,
    pub additional_properties: bool,
}

/// What the emulator needs from a charm's metadata.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CharmMeta {
    pub name: String,
    pub requires: BTreeMap<String, EndpointMeta>,
    pub provides: BTreeMap<String, EndpointMeta>,
    pub peers: BTreeMap<String, EndpointMeta>,
    pub config: BTreeMap<String, ConfigOption>,
    pub actions: BTreeMap<String, ActionMeta>,
    /// `storage:` name → type (`filesystem`/`block`); storage itself is not modelled.
    #[serde(default)]
    pub storage: BTreeMap<String, String>,
    /// `payloads:` class → type.
    #[serde(default)]
    pub payloads: BTreeMap<String, String>,
    /// `resources:` names.
    #[serde(default)]
    pub resources: BTreeSet<String>,
    /// `extra-bindings:` names (network-get accepts them like endpoints).
    #[serde(default)]
    pub extra_bindings: BTreeSet<String>,
}

impl CharmMeta {
    /// Role (`requires`/`provides`/`peers`) and metadata of an endpoint.
    pub fn endpoint(&self, name: &str) -> Option<(&'static str, &EndpointMeta)> {
        if let Some(m) = self.requires.get(name) {
            return Some(("requires", m));
        }
        if let Some(m) = self.provides.get(name) {
            return Some(("provides", m));
        }
        self.peers.get(name).map(|m| ("peers", m))
    }
}

fn yaml_file(dir: &Path, name: &str) -> Result<Option<Value>> {
    let p = dir.join(name);
    if !p.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    let v: Value = serde_yaml_ng::from_str(&text).map_err(|e| Error::parse(name, e))?;
    Ok(Some(v))
}

fn endpoints(v: Option<&Value>) -> BTreeMap<String, EndpointMeta> {
    let mut out = BTreeMap::new();
    if let Some(Value::Object(m)) = v {
        for (k, e) in m {
            let interface = match e {
                Value::String(s) => s.clone(),
                _ => e
                    .get("interface")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            };
            let limit = e.get("limit").and_then(Value::as_u64);
            out.insert(k.clone(), EndpointMeta { interface, limit });
        }
    }
    out
}

/// Keys of a metadata map.
fn names(v: Option<&Value>) -> BTreeSet<String> {
    match v {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// Keys of a metadata map with each entry's `type`.
fn typed_names(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, e)| {
                let t = e.get("type").and_then(Value::as_str).unwrap_or_default();
                (k.clone(), t.to_string())
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Read the metadata of an unpacked charm directory.
pub fn read_meta(dir: &Path) -> Result<CharmMeta> {
    let md = yaml_file(dir, "metadata.yaml")?
        .ok_or_else(|| Error::run(format!("{} has no metadata.yaml", dir.display())))?;
    let mut meta = CharmMeta {
        name: md
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        requires: endpoints(md.get("requires")),
        provides: endpoints(md.get("provides")),
        peers: endpoints(md.get("peers")),
        storage: typed_names(md.get("storage")),
        payloads: typed_names(md.get("payloads")),
        resources: names(md.get("resources")),
        extra_bindings: names(md.get("extra-bindings")),
        ..Default::default()
    };
    if let Some(cfg) = yaml_file(dir, "config.yaml")? {
        if let Some(Value::Object(opts)) = cfg.get("options") {
            for (k, o) in opts {
                let kind = o
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("string")
                    .to_string();
                let default = o.get("default").filter(|d| !d.is_null()).cloned();
                meta.config
                    .insert(k.clone(), ConfigOption { kind, default });
            }
        }
    }
    if let Some(Value::Object(acts)) = yaml_file(dir, "actions.yaml")? {
        for (name, a) in acts {
            let params = match a.get("params") {
                Some(Value::Object(p)) => p.clone().into_iter().collect(),
                _ => BTreeMap::new(),
            };
            let required = a
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            // Juju's default for actions is additionalProperties: false.
            let additional_properties = a
                .get("additionalProperties")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            meta.actions.insert(
                name.clone(),
                ActionMeta {
                    params,
                    required,
                    additional_properties,
                },
            );
        }
    }
    Ok(meta)
}

/// Where the deployer keeps the manifest of the charm deployed in a unit's charm dir: next to
/// it, outside the charm dir (Juju keeps it in the agent's data dir, not the charm dir).
fn manifest_path(charm_dir: &Path) -> std::path::PathBuf {
    charm_dir
        .parent()
        .unwrap_or(charm_dir)
        .join("charm-manifest.json")
}

/// The charm's archive members as Juju's manifest deployer records them: every file path
/// (relative, `/`-separated) plus every directory that contains one.
pub fn members(source: &Path) -> Result<BTreeSet<String>> {
    let mut files = vec![];
    if source.is_dir() {
        walk(source, Path::new(""), &mut files)?;
    } else {
        let f = std::fs::File::open(source).map_err(|e| Error::io(source, e))?;
        let zip =
            zip::ZipArchive::new(f).map_err(|e| Error::parse(source.display().to_string(), e))?;
        files.extend(
            zip.file_names()
                .map(|n| n.trim_end_matches('/').to_string()),
        );
    }
    let mut out = BTreeSet::new();
    for f in files {
        let mut p = Path::new(&f);
        while !p.as_os_str().is_empty() {
            out.insert(p.to_string_lossy().into_owned());
            p = p.parent().unwrap_or(Path::new(""));
        }
    }
    Ok(out)
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<String>) -> Result<()> {
    let dir = root.join(rel);
    for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
        let entry = entry.map_err(|e| Error::io(&dir, e))?;
        let r = rel.join(entry.file_name());
        if entry.path().is_dir() {
            walk(root, &r, out)?;
        } else {
            out.push(r.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// First deployment of a charm into a unit's charm dir; records its manifest.
pub fn deploy(source: &Path, charm_dir: &Path) -> Result<()> {
    install(source, charm_dir)?;
    write_manifest(charm_dir, &members(source)?)
}

/// `juju refresh` as Juju's manifest deployer does it: delete every path the previously
/// deployed charm shipped that the new charm does not, then write the new charm over the charm
/// dir. Files the charm created itself (ops' `.unit-state.db`, anything under a directory the
/// new charm still ships) stay.
pub fn upgrade(source: &Path, charm_dir: &Path) -> Result<()> {
    let new = members(source)?;
    let old: BTreeSet<String> = std::fs::read_to_string(manifest_path(charm_dir))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    for gone in old.difference(&new) {
        let p = charm_dir.join(gone);
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
    install(source, charm_dir)?;
    write_manifest(charm_dir, &new)
}

fn write_manifest(charm_dir: &Path, members: &BTreeSet<String>) -> Result<()> {
    let p = manifest_path(charm_dir);
    let text = serde_json::to_string_pretty(members).map_err(|e| Error::parse("manifest", e))?;
    std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
}

/// Put the charm (directory or .charm zip) into `dest`, keeping file modes.
pub fn install(source: &Path, dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    if source.is_dir() {
        copy_dir(source, dest)
    } else {
        unzip(source, dest)
    }
}

fn copy_dir(src: &Path, dest: &Path) -> Result<()> {
    for entry in std::fs::read_dir(src).map_err(|e| Error::io(src, e))? {
        let entry = entry.map_err(|e| Error::io(src, e))?;
        let from = entry.path();
        let to = dest.join(entry.file_name());
        if from.is_dir() {
            std::fs::create_dir_all(&to).map_err(|e| Error::io(&to, e))?;
            copy_dir(&from, &to)?;
        } else {
            // fs::copy keeps the permission bits; remove first so a read-only file of an
            // older charm is replaced on refresh.
            let _ = std::fs::remove_file(&to);
            std::fs::copy(&from, &to).map_err(|e| Error::io(&from, e))?;
        }
    }
    Ok(())
}

fn unzip(src: &Path, dest: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let f = std::fs::File::open(src).map_err(|e| Error::io(src, e))?;
    let mut zip =
        zip::ZipArchive::new(f).map_err(|e| Error::parse(src.display().to_string(), e))?;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| Error::parse(src.display().to_string(), e))?;
        let Some(rel) = entry.enclosed_name() else {
            return Err(Error::run(format!(
                "unsafe path in {}: {}",
                src.display(),
                entry.name()
            )));
        };
        let out = dest.join(rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
            continue;
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let mut buf = Vec::new();
        entry
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(&out, e))?;
        // Replace, not write through: a refresh may meet a read-only file of the old charm.
        let _ = std::fs::remove_file(&out);
        std::fs::write(&out, &buf).map_err(|e| Error::io(&out, e))?;
        // unix_mode() reads `external_attr >> 16` for zips made on unix.
        let mode = entry.unix_mode().unwrap_or(0o644) & 0o7777;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(&out, e))?;
    }
    Ok(())
}

/// Type a `k=v` config value by the option's declared type (as `juju config` does).
pub fn typed_config(opt: &ConfigOption, key: &str, raw: &str) -> Result<Value> {
    let bad = || {
        Error::run(format!(
            "option \"{key}\" expected {}, got {raw:?}",
            opt.kind
        ))
    };
    Ok(match opt.kind.as_str() {
        "int" => Value::from(raw.trim().parse::<i64>().map_err(|_| bad())?),
        "float" => Value::from(raw.trim().parse::<f64>().map_err(|_| bad())?),
        "boolean" => Value::Bool(match raw.trim() {
            "true" | "True" | "yes" | "on" | "1" => true,
            "false" | "False" | "no" | "off" | "0" => false,
            _ => return Err(bad()),
        }),
        _ => Value::String(raw.to_string()),
    })
}

fn type_ok(schema: &Value, v: &Value) -> bool {
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        Some("array") => v.is_array(),
        Some("object") => v.is_object(),
        _ => true,
    }
}

/// Apply the params schema's defaults and validate, as Juju does before queueing an action.
/// `raw` values come from `k=v` args and are parsed as YAML scalars like `juju run` does.
pub fn action_params(meta: &CharmMeta, action: &str, raw: &[(String, String)]) -> Result<Value> {
    let am = meta
        .actions
        .get(action)
        .ok_or_else(|| Error::run(format!("action \"{action}\" not defined on this unit")))?;
    let mut params = serde_json::Map::new();
    for (k, v) in raw {
        let parsed: Value = serde_yaml_ng::from_str(v).unwrap_or_else(|_| Value::String(v.clone()));
        let parsed = if parsed.is_null() && !v.is_empty() {
            Value::String(v.clone())
        } else if parsed.is_null() {
            Value::String(String::new())
        } else {
            parsed
        };
        // A string-typed param keeps the raw text even if it looks like a number.
        let parsed = match am
            .params
            .get(k)
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
        {
            Some("string") => Value::String(v.clone()),
            _ => parsed,
        };
        params.insert(k.clone(), parsed);
    }
    for (k, schema) in &am.params {
        if !params.contains_key(k) {
            if let Some(d) = schema.get("default") {
                params.insert(k.clone(), d.clone());
            }
        }
    }
    for k in params.keys() {
        if !am.params.contains_key(k) && !am.additional_properties {
            return Err(Error::run(format!(
                "validation failed: (root) : additional property \"{k}\" is not allowed, in {action}"
            )));
        }
    }
    for r in &am.required {
        if !params.contains_key(r) {
            return Err(Error::run(format!(
                "validation failed: (root) : \"{r}\" property is missing and required, given {}",
                Value::Object(params.clone())
            )));
        }
    }
    for (k, v) in &params {
        if let Some(schema) = am.params.get(k) {
            if !type_ok(schema, v) {
                let want = schema.get("type").and_then(Value::as_str).unwrap_or("?");
                return Err(Error::run(format!(
                    "validation failed: (root).{k} : must be of type {want}, given {v}"
                )));
            }
        }
    }
    Ok(Value::Object(params))
}
