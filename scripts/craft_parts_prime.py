#!/usr/bin/env python3
"""Runs the parts of a charm project through craft-parts' lifecycle up to PRIME, the way
`charmcraft pack --destructive-mode` does, and prints the prime directory.

Run it with the Python of charmcraft's venv (`cargo xtask setup` makes build/charmcraft-venv),
from nowhere in particular:

    build/charmcraft-venv/bin/python scripts/craft_parts_prime.py PROJECT_DIR [--machine-rust]

What is charmcraft's own here: the parts are the ones `charmcraft expand-extensions` resolves
from PROJECT_DIR (charmcraft.yaml as charmcraft loads it), the plugins are registered by
charmcraft's `setup_parts()`, the LifecycleManager gets the arguments charmcraft 4.5's
LifecycleService gives it (application name, project name, source ignore patterns, work
directory = project directory as in destructive mode), and after PRIME charmcraft's
`create_dispatch` runs as in its post-prime hook. What charmcraft does on top and this script
leaves out: checking that the host is the build base, writing metadata.yaml/config.yaml/
actions.yaml/manifest.yaml into prime and zipping it (tests/pack.rs checks those in the .charm
`cargo xtask pack` writes).

--machine-rust: for a rust part with a pinned `rust-channel`, set `rust-channel: none` and
RUSTUP_TOOLCHAIN to the pinned channel instead, so the build uses that toolchain as already
installed on this machine rather than running `rustup update <channel>` and `rustup default
<channel>` (which download, and change the machine's default toolchain). The pinned toolchain
must be installed (`cargo xtask setup` installs it). Everything else runs as written.

Exit status 3 means a prerequisite is missing (python-apt, the pinned toolchain), before any
step ran; the message says which.
"""

import argparse
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

import yaml
from craft_parts import LifecycleManager, Step

from charmcraft import dispatch, parts as charmcraft_parts

# charmcraft 4.5: AppMetadata.source_ignore_patterns plus craft-application's ".craft".
SOURCE_IGNORE = [".craft", "*.charm", "charmcraft.yaml", ".venv", ".tox"]
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def expanded_project(project: pathlib.Path, venv_bin: pathlib.Path) -> dict:
    """charmcraft.yaml as charmcraft itself resolves it."""
    runtime = tempfile.mkdtemp(prefix="mmi-xdg-")
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
    out = subprocess.run(
        [str(venv_bin / "charmcraft"), "expand-extensions"],
        cwd=project,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return yaml.safe_load(out.stdout)


class MissingPrerequisite(Exception):
    pass


def toolchain_installed(channel: str) -> bool:
    out = subprocess.run(
        ["rustup", "toolchain", "list"], check=True, stdout=subprocess.PIPE, text=True
    )
    return any(line.startswith(f"{channel}-") for line in out.stdout.splitlines())


def use_machine_rust(parts: dict) -> None:
    for name, part in parts.items():
        if part.get("plugin") != "rust":
            continue
        channel = str(part.get("rust-channel") or "")
        if not channel or channel == "none":
            continue
        if not toolchain_installed(channel):
            raise MissingPrerequisite(
                f"Rust toolchain {channel} (pinned in charmcraft.yaml) is not installed: "
                "run `cargo xtask setup`"
            )
        print(
            f"craft_parts_prime: part {name}: rust-channel {channel} -> none, "
            f"RUSTUP_TOOLCHAIN={channel} (the machine's installed {channel} toolchain)",
            file=sys.stderr,
        )
        part["rust-channel"] = "none"
        os.environ["RUSTUP_TOOLCHAIN"] = channel


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("project", type=pathlib.Path)
    ap.add_argument("--machine-rust", action="store_true")
    args = ap.parse_args()
    project = args.project.resolve()

    try:
        import apt_pkg  # noqa: F401  craft-parts' apt backend on Debian/Ubuntu hosts
    except ImportError as err:
        print(f"craft_parts_prime: missing prerequisite: python-apt ({err}): "
              "run `cargo xtask setup`", file=sys.stderr)
        return 3

    venv_bin = pathlib.Path(sys.executable).parent
    # Override scriptlets call `craftctl`, which craft-parts installs next to this Python.
    os.environ["PATH"] = f"{venv_bin}:{os.environ.get('PATH', '')}"

    doc = expanded_project(project, venv_bin)
    parts = doc["parts"]
    if args.machine_rust:
        try:
            use_machine_rust(parts)
        except MissingPrerequisite as err:
            print(f"craft_parts_prime: missing prerequisite: {err}", file=sys.stderr)
            return 3

    charmcraft_parts.setup_parts()
    os.chdir(project)  # charmcraft runs from the project directory; `source: .` is relative
    lcm = LifecycleManager(
        {"parts": parts},
        application_name="charmcraft",
        project_name=doc["name"],
        arch=ARCH.get(platform.machine(), platform.machine()),
        cache_dir=tempfile.mkdtemp(prefix="craft-parts-cache-"),
        work_dir=project,
        ignore_local_sources=SOURCE_IGNORE,
        ignore_outdated=SOURCE_IGNORE,
        parallel_build_count=os.cpu_count() or 1,
        track_stage_packages=True,
    )
    actions = lcm.plan(Step.PRIME)
    with lcm.action_executor() as aex:
        for action in actions:
            print(f"craft_parts_prime: {action.step.name.lower()} {action.part_name}"
                  f" ({action.action_type.name.lower()})", file=sys.stderr)
            aex.execute(action, stdout=sys.stderr, stderr=sys.stderr)
    prime = lcm.project_info.prime_dir
    dispatch.create_dispatch(prime_dir=prime)  # charmcraft's post-prime hook
    print(prime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
