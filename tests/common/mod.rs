//! Shared helpers for the black-box tests: the packed charm, unpacked as Juju would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The packed charm for ubuntu@22.04: `$MMI_CHARM` if set, else packed once per test binary
/// with `cargo xtask pack` so the tests always see the current code.
pub fn packed_charm() -> PathBuf {
    static CHARM: OnceLock<PathBuf> = OnceLock::new();
    CHARM
        .get_or_init(|| {
            if let Some(p) = std::env::var_os("MMI_CHARM") {
                return PathBuf::from(p);
            }
            let out = Command::new(env!("CARGO"))
                .args(["xtask", "pack"])
                .current_dir(repo_root())
                .output()
                .expect("run cargo xtask pack");
            assert!(
                out.status.success(),
                "cargo xtask pack failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            repo_root().join("mirrormaker-integrator_ubuntu@22.04-amd64.charm")
        })
        .clone()
}

/// Unpacks a .charm into `dir` keeping the Unix modes stored in the zip, as Juju does.
pub fn unpack(charm: &Path, dir: &Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let file = std::fs::File::open(charm).expect("open charm");
    let mut zip = zip::ZipArchive::new(file).expect("charm is a zip");
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("zip entry");
        let name = entry.name().to_string();
        let mode = entry.unix_mode().expect("entry has a unix mode");
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut out = std::fs::File::create(&path).unwrap();
        std::io::copy(&mut entry, &mut out).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o7777)).unwrap();
        entries.push((name, mode));
    }
    entries.sort();
    entries
}

/// charmcraft from `$CHARMCRAFT`, or the venv `cargo xtask charmcraft` creates.
pub fn charmcraft() -> PathBuf {
    if let Some(p) = std::env::var_os("CHARMCRAFT") {
        return PathBuf::from(p);
    }
    let p = repo_root().join("build/charmcraft-venv/bin/charmcraft");
    assert!(
        p.exists(),
        "charmcraft is not installed: run `cargo xtask charmcraft` (or set $CHARMCRAFT)"
    );
    p
}
/// ELF program header type of a loadable segment.
pub const PT_LOAD: u32 = 1;
/// ELF program header type naming the program interpreter (the dynamic loader).
pub const PT_INTERP: u32 = 3;

/// The `p_type` of every program header of a 64-bit little-endian ELF file, read from the
/// header's `e_phoff`, `e_phentsize` and `e_phnum`; an error for anything else, or when a
/// header lies outside the file.
pub fn elf_program_header_types(bin: &[u8]) -> Result<Vec<u32>, String> {
    let bytes = |at: usize, n: usize| {
        bin.get(at..at + n)
            .ok_or_else(|| format!("truncated ELF: {n} bytes at {at:#x}"))
    };
    if bytes(0, 4)? != b"\x7fELF" {
        return Err("not ELF".into());
    }
    if bin[4] != 2 || bin[5] != 1 {
        return Err(format!(
            "not a 64-bit little-endian ELF (class {}, data {})",
            bin[4], bin[5]
        ));
    }
    let u16_at = |at| Ok::<_, String>(u16::from_le_bytes(bytes(at, 2)?.try_into().unwrap()));
    let phoff = u64::from_le_bytes(bytes(0x20, 8)?.try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36)? as usize, u16_at(0x38)? as usize);
    if phentsize < 56 {
        return Err(format!("e_phentsize {phentsize} is too small for ELF64"));
    }
    (0..phnum)
        .map(|i| {
            let at = phoff + i * phentsize;
            Ok(u32::from_le_bytes(bytes(at, 4)?.try_into().unwrap()))
        })
        .collect()
}

/// A statically linked x86-64 executable: ELF64 for x86-64 (`e_machine` 62) whose program
/// headers, really found (there is a PT_LOAD), hold no PT_INTERP — no dynamic loader to find
/// on the host.
pub fn assert_static_x86_64(bin: &[u8], what: &str) {
    let types = elf_program_header_types(bin).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        u16::from_le_bytes([bin[0x12], bin[0x13]]),
        62,
        "{what} is not x86-64"
    );
    assert!(
        types.contains(&PT_LOAD),
        "{what}: no PT_LOAD among the program headers {types:?}"
    );
    assert!(
        !types.contains(&PT_INTERP),
        "{what} has a PT_INTERP program header: it is dynamically linked"
    );
}

pub mod e2e;
pub mod mock;
