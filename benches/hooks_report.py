#!/usr/bin/env python3
"""Tables for benches/hooks.sh: reads OUT/<backend>/<scenario>[-tools].jsonl (one hookstat line
per hook of our unit), joins Connect requests by time window (mock request log, or the real
worker's connect.log), prints markdown. Usage: hooks_report.py OUT CHARM"""
import json
import os
import re
import statistics
import sys
import time
from collections import Counter

OUT, CHARM = sys.argv[1], sys.argv[2]
# The hook each scenario is about.
WANT = {
    "steady": "hooks/update-status",
    "config": "hooks/config-changed",
    "relation": "hooks/connect-client-relation-",
}


def load(path):
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip()]


def requests(run):
    """[(epoch ns, METHOD, path)] from the mock log or Connect's request log."""
    out = []
    p = os.path.join(run, "requests.log")
    if os.path.exists(p):
        for l in open(p):
            ns, m, path = l.split(" ", 2)
            out.append((int(ns), m, path.strip()))
        return out
    p = os.path.join(run, "connect.log")
    if os.path.exists(p):
        rx = re.compile(r'^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\].*"(GET|PUT|POST|DELETE) (\S+) HTTP')
        for l in open(p, errors="replace"):
            m = rx.search(l)
            if m:
                t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
                out.append((int((t * 1000 + int(m.group(2))) * 1e6), m.group(3), m.group(4)))
    return out


def creates(reqs, r, slack):
    return any(m == "PUT" and p.endswith("/config") and "connector-plugins" not in p
               for _, m, p in in_window(reqs, r, slack))


def pick(rows, sc, hook, reqs, slack):
    # the scenarios measure the leader (mirrormaker/0); followers are in the scale table
    rows = [r for r in rows if r.get("unit", "mirrormaker/0") == "mirrormaker/0"]
    if sc != "relation":
        return [r for r in rows if r["hook"] == hook]
    # the connect-client hook that created the connectors (not the -departed that re-creates
    # them, see docs/benchmarks.md)
    return [r for r in rows if r["hook"].startswith(hook) and not r["hook"].endswith(("departed", "broken"))
            and creates(reqs, r, slack)]


def in_window(reqs, r, slack_ns=0):
    a, b = int(r["t0_ns"]) - slack_ns, int(r["t1_ns"]) + slack_ns
    return [q for q in reqs if a <= q[0] <= b]


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def fmt(x, d=1):
    return "–" if x != x else f"{x:.{d}f}"


def shape(reqs):
    c = Counter(m + " " + re.sub(r"/connectors/[^/?]+", "/connectors/{n}", p) for _, m, p in reqs)
    return ", ".join(f"{n}× {k}" for k, n in sorted(c.items())) or "none"


for backend in ("mock", "real"):
    run = os.path.join(OUT, backend)
    if not os.path.isdir(run):
        continue
    reqs = requests(run)
    # Connect's log has ms timestamps written after the response: widen the window a little.
    slack = 0 if backend == "mock" else 2_000_000
    print(open(os.path.join(run, "machine.md")).read())
    print("| scenario (hook) | runs | wall ms median | p10–p90 | min–max | user+sys ms median | max RSS KiB (wait4) median / max | Connect requests per hook (median) | request shape (last run) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sc, hook in WANT.items():
        rows = pick(load(os.path.join(run, sc + ".jsonl")), sc, hook, reqs, slack)
        if not rows:
            print(f"| {sc} (`{hook}`) | 0 | | | | | | | |")
            continue
        hook = sorted(set(r["hook"] for r in rows))[0]
        wall = [r["wall_ms"] for r in rows]
        cpu = [r["user_ms"] + r["sys_ms"] for r in rows]
        rss = [r["maxrss_kb"] for r in rows]
        nreq = [len(in_window(reqs, r, slack)) for r in rows]
        print(
            f"| {sc} (`{hook}`) | {len(rows)} | {fmt(med(wall))} | {fmt(pct(wall, .1))}–{fmt(pct(wall, .9))} "
            f"| {fmt(min(wall))}–{fmt(max(wall))} | {fmt(med(cpu))} | {med(rss):.0f} / {max(rss)} "
            f"| {med(nreq):.0f} | {shape(in_window(reqs, rows[-1], slack))} |"
        )
    print()
    print("Hook tools instrumented (HOOKSTAT_TOOLS=1; each call goes through a shim, so wall is higher):")
    print()
    print("| scenario | runs | hook-tool calls | calls by tool (last run) | time in tools ms median | charm's own on-CPU ms median (p10–p90) | exec → first tool call ms median (p10–p90) | charm's own peak RSS KiB (VmHWM) median / max | largest tool RSS KiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sc, hook in WANT.items():
        rows = pick(load(os.path.join(run, sc + "-tools.jsonl")), sc, hook, reqs, slack)
        if not rows:
            continue
        first = [r["first_tool_ms"] for r in rows if r.get("first_tool_ms") is not None]
        own = [r.get("charm_cpu_ms", float("nan")) for r in rows]
        hwm = [r["charm_hwm_kb"] for r in rows]
        names = ", ".join(f"{k} {v}" for k, v in rows[-1]["tool_names"].items())
        print(
            f"| {sc} (`{rows[0]['hook']}`) | {len(rows)} | {med([r['tools'] for r in rows]):.0f} | {names} "
            f"| {fmt(med([r['tool_ms'] for r in rows]))} | {fmt(med(own), 2)} ({fmt(pct(own, .1), 2)}–{fmt(pct(own, .9), 2)}) "
            f"| {fmt(med(first), 2)} ({fmt(pct(first, .1), 2)}–{fmt(pct(first, .9), 2)}) "
            f"| {med(hwm):.0f} / {max(hwm)} | {max(r['tool_maxrss_kb'] for r in rows)} |"
        )
    print()

    scale = load(os.path.join(run, "scale.jsonl"))
    if scale:
        per_unit = Counter(r["unit"] for r in scale)
        rel_set = sum(r.get("tool_names", {}).get("relation-set", 0) for r in scale)
        writes = [q for r in scale for q in in_window(reqs, r, slack) if q[1] != "GET"]
        print("One steady `update-status` tick, every unit of ours instrumented:")
        print()
        print("| unit | hook | hook-tool calls | calls by tool |")
        print("|---|---|---|---|")
        for r in sorted(scale, key=lambda r: r["unit"]):
            names = ", ".join(f"{k} {v}" for k, v in r["tool_names"].items())
            print(f"| {r['unit']} | `{r['hook']}` | {r['tools']} | {names} |")
        print()
        print(f"- hooks per unit: {dict(sorted(per_unit.items()))}; relation-set calls: {rel_set}; Connect writes: {len(writes)}")
        print()

print("### Sizes")
print()
print(f"- `.charm`: {os.path.getsize(CHARM)} bytes ({os.path.getsize(CHARM) / 2**20:.2f} MiB) — {os.path.basename(CHARM)}")
import zipfile

with zipfile.ZipFile(CHARM) as z:
    for i in z.infolist():
        if i.filename.startswith("bin/"):
            print(f"- `{i.filename}` in the zip: {i.file_size} bytes ({i.file_size / 2**20:.2f} MiB) uncompressed, {i.compress_size} compressed")
