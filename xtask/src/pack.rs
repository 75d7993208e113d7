//! Packs `mirrormaker-integrator_<platform>.charm` exactly as charmcraft 4.5 lays it out
//! (docs/spec/juju.md §1–§2): a deflated zip of `dispatch` and `bin/mirrormaker-integrator`
//! (mode 0755), `metadata.yaml`, `config.yaml`, `actions.yaml` and `manifest.yaml` (0644), no
//! directory entries, Unix modes in the entries' external attributes. One .charm per platform
//! of charmcraft.yaml, each with its own base in manifest.yaml.

use crate::{root, sh};
use std::io::Write;
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;

const BINARY: &str = "mirrormaker-integrator";
const TARGET: &str = "x86_64-unknown-linux-musl";
/// The charmcraft release whose .charm layout and manifest this packer reproduces.
const CHARMCRAFT_VERSION: &str = "4.5.0";

pub fn run(args: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut out_dir = root();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out_dir = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            other => return Err(format!("pack: unknown argument {other:?}")),
        }
    }
    sh("rustup", &["target", "add", TARGET])?;
    sh(
        "cargo",
        &[
            "build",
            "--release",
            "--target",
            TARGET,
            "--package",
            BINARY,
            "--bin",
            BINARY,
        ],
    )?;
    let binary = target_dir().join(TARGET).join("release").join(BINARY);
    let platforms = platforms(&root().join("charmcraft.yaml"))?;
    let name = charm_name(&root().join("metadata.yaml"))?;
    let mut written = Vec::new();
    for platform in platforms {
        let (base, arch) = split_platform(&platform)?;
        let path = out_dir.join(format!("{name}_{}.charm", platform.replace(':', "-")));
        write_charm(&path, &binary, &base, &arch)?;
        written.push(path);
    }
    Ok(written)
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the workspace) or `target`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// The platform keys of charmcraft.yaml, e.g. `ubuntu@22.04:amd64`.
fn platforms(charmcraft_yaml: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(charmcraft_yaml)
        .map_err(|e| format!("{}: {e}", charmcraft_yaml.display()))?;
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("charmcraft.yaml: {e}"))?;
    let map = doc
        .get("platforms")
        .and_then(|p| p.as_mapping())
        .ok_or("charmcraft.yaml has no platforms mapping")?;
    map.keys()
        .map(|k| {
            k.as_str()
                .map(str::to_string)
                .ok_or_else(|| "platform keys must be strings".to_string())
        })
        .collect()
}

fn charm_name(metadata_yaml: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(metadata_yaml)
        .map_err(|e| format!("{}: {e}", metadata_yaml.display()))?;
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("metadata.yaml: {e}"))?;
    doc.get("name")
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .ok_or_else(|| "metadata.yaml has no name".to_string())
}

/// `ubuntu@22.04:amd64` → (`ubuntu@22.04`, `amd64`).
fn split_platform(platform: &str) -> Result<(String, String), String> {
    platform
        .split_once(':')
        .filter(|(base, _)| base.contains('@'))
        .map(|(b, a)| (b.to_string(), a.to_string()))
        .ok_or_else(|| format!("platform {platform:?} is not of the form <os>@<channel>:<arch>"))
}

/// manifest.yaml with charmcraft's keys; `bases` always in the long form, channel a string.
pub fn manifest(base: &str, arch: &str, started_at: &str) -> String {
    let (os, channel) = base.split_once('@').unwrap_or((base, ""));
    format!(
        "charmcraft-version: {CHARMCRAFT_VERSION}\n\
         charmcraft-started-at: '{started_at}'\n\
         bases:\n\
         - name: {os}\n  channel: '{channel}'\n  architectures:\n  - {arch}\n\
         analysis:\n  attributes:\n  - name: language\n    result: unknown\n  - name: framework\n    result: unknown\n"
    )
}

fn write_charm(path: &Path, binary: &Path, base: &str, arch: &str) -> Result<(), String> {
    let root = root();
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    // (path in the charm, content, mode); sorted by path for a stable archive.
    let entries: Vec<(&str, Vec<u8>, u32)> = vec![
        ("actions.yaml", read(&root.join("actions.yaml"))?, 0o644),
        ("bin/mirrormaker-integrator", read(binary)?, 0o755),
        ("config.yaml", read(&root.join("config.yaml"))?, 0o644),
        ("dispatch", read(&root.join("dispatch"))?, 0o755),
        (
            "manifest.yaml",
            manifest(base, arch, &now_iso8601()).into_bytes(),
            0o644,
        ),
        ("metadata.yaml", read(&root.join("metadata.yaml"))?, 0o644),
    ];
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    for (name, content, mode) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode);
        zip.start_file(name, options)
            .map_err(|e| format!("zip {name}: {e}"))?;
        zip.write_all(&content)
            .map_err(|e| format!("zip {name}: {e}"))?;
    }
    zip.finish().map_err(|e| format!("zip: {e}"))?;
    Ok(())
}

/// UTC now as `YYYY-MM-DDTHH:MM:SS+00:00`, or `SOURCE_DATE_EPOCH` for reproducible builds.
fn now_iso8601() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
