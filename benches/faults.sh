#!/usr/bin/env bash
# Hook wall time and peak RSS with a faulty Kafka Connect (docs/reliability.md, faults of Kafka Connect).
#
#   benches/faults.sh --charm FILE.charm [--binary NAME=FILE]... [--runs N] [--out DIR]
#
# Builds one juju-sim model (kafka-a, kafka-b simulated, kafka-connect simulated in front of
# harness/connect-mock), converges it with the packed charm, then for each binary given
# (e.g. before=/tmp/old/mirrormaker-integrator after=target/release/mirrormaker-integrator)
# copies it into our unit and measures N `update-status` hooks through `hookstat` for each
# fault of Connect at the same address: down (nothing listens), blackhole (accepts, never
# answers), 401, 500-timeout, huge (a 1 GiB answer). Prints one table row per binary and
# fault: wall ms median (min–max), wait4 max RSS median, the status message.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS=3
OUT="$ROOT/target/bench-faults"
CHARM=""
BINARIES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --charm) CHARM="$2"; shift 2 ;;
    --binary) BINARIES+=("$2"); shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$CHARM" ] || { echo "--charm is required" >&2; exit 2; }
(cd "$ROOT" && cargo build -q -j1 -p juju-sim -p connect-mock --bins)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
rm -rf "$OUT"; mkdir -p "$OUT"
MODEL="$OUT/model"
sim() { "$BIN/juju-sim" --model "$MODEL" "$@" >/dev/null; }
start_mock() { "$BIN/connect-mock" --port "$PORT" "$@" >/dev/null 2>&1 & MOCK=$!; sleep 0.3; }
stop_mock() { [ -n "${MOCK:-}" ] && kill "$MOCK" 2>/dev/null; wait "$MOCK" 2>/dev/null || true; MOCK=""; }
trap stop_mock EXIT

"$BIN/connect-mock" --port-file "$OUT/port" >/dev/null 2>&1 & MOCK=$!
for _ in $(seq 1 50); do [ -s "$OUT/port" ] && break; sleep 0.1; done
PORT="$(cat "$OUT/port")"
printf '{"endpoints": "http://127.0.0.1:%s", "admin_user": "admin", "admin_password": "admin"}\n' "$PORT" >"$OUT/kafka-connect.json"
sim deploy --sim kafka kafka-b
sim deploy --sim kafka kafka-a
sim deploy --sim kafka-connect kafka-connect --backend "$OUT/kafka-connect.json"
sim deploy "$CHARM" mirrormaker
sim integrate mirrormaker:target kafka-b
sim integrate mirrormaker:source kafka-a
sim integrate mirrormaker:connect-client kafka-connect
for _ in $(seq 1 60); do sim update-status; "$BIN/juju-sim" --model "$MODEL" status --format json | grep -q '"current": "active"' && break; sleep 1; done
UNIT="$MODEL/units/mirrormaker-0/charm"
cat >"$UNIT/dispatch" <<EOS
#!/bin/sh
JUJU_DISPATCH_PATH="\${JUJU_DISPATCH_PATH:-\$0}" exec "$BIN/hookstat" ./bin/mirrormaker-integrator
EOS
chmod 0755 "$UNIT/dispatch"

echo "| binary | Connect | wall ms median (min–max) | max RSS MiB (median) | status |"
echo "|---|---|---|---|---|"
for spec in "${BINARIES[@]}"; do
  label="${spec%%=*}"; cp "${spec#*=}" "$UNIT/bin/mirrormaker-integrator"
  for fault in down blackhole 401 500-timeout huge; do
    stop_mock
    [ "$fault" = down ] || start_mock --fault "$fault"
    file="$OUT/$label-$fault.jsonl"; : >"$file"
    for _ in $(seq 1 "$RUNS"); do HOOKSTAT_OUT="$file" sim update-status; done
    st="$("$BIN/juju-sim" --model "$MODEL" status --format json | python3 -c 'import json,sys; u=json.load(sys.stdin)["applications"]["mirrormaker"]["units"]["mirrormaker/0"]["workload-status"]; print(u["current"]+": "+u.get("message",""))')"
    python3 - "$file" "$label" "$fault" "$st" <<'PY'
import json, statistics, sys
f, label, fault, st = sys.argv[1:]
rows = [json.loads(l) for l in open(f) if l.strip()]
rows = [r for r in rows if "update-status" in r.get("hook", "update-status")]
wall = [r["wall_ms"] for r in rows]; rss = [r["maxrss_kb"] / 1024 for r in rows]
print(f"| {label} | {fault} | {statistics.median(wall):.0f} ({min(wall):.0f}–{max(wall):.0f}) | {statistics.median(rss):.1f} | {len(st.split(': ',1)[-1])} chars: `{st}` |")
PY
  done
done
