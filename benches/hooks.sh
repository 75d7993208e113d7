#!/usr/bin/env bash
# Whole-hook benchmarks of the PACKED charm under the juju-sim emulator (docs/benchmarks.md).
#
#   benches/hooks.sh [--connect mock|real|both] [--runs N] [--tool-runs N] [--foreign N]
#                    [--relation-runs N] [--sources N] [--out DIR] [--charm FILE.charm]
#                    [--binary FILE] [--units N]
#
# --charm measures an existing .charm (e.g. one packed from an older commit) instead of packing;
# --binary replaces bin/mirrormaker-integrator in the deployed unit (to measure a candidate
# change without packing it).
#
# For each Connect backend it builds one model (kafka-a, kafka-b simulated; kafka-connect
# simulated with its REST endpoint = the mock or the real worker of harness/kafka-bed), brings
# it to the converged state, then measures our unit's dispatch in three scenarios, N runs each:
#   steady   — `juju-sim update-status` on the converged model
#   config   — `juju-sim config` changing sync-group-offsets-interval (one connector updated)
#   relation — remove-relation + integrate connect-client; the connect-client-relation-changed
#              that creates the connectors (make them ready) is the measured hook
# Every hook of our unit goes through `hookstat` (harness/connect-mock): wall time, user/sys
# CPU, wait4 max RSS; a second, shorter pass with HOOKSTAT_TOOLS=1 counts hook-tool calls,
# the charm's own peak RSS (VmHWM) and exec → first hook-tool call. The mock logs each HTTP
# request, so Connect requests per hook are exact there; against the real worker they are
# counted from Connect's own request log.
#
# --units N (default 3) deploys N units of our app; every unit's dispatch goes through hookstat,
# and a "scale" measurement runs ONE `juju-sim update-status` tick on the converged model and
# records every hook of our units it caused (hooks per unit, relation-set calls, hook-tool
# calls per hook) and the Connect writes in it — the follower storm, if any, shows here.
#
# Output: DIR/report.md (tables) and the raw JSON lines. Noisy machine: load average is
# recorded; read the median and the spread, not single runs.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONNECT=mock
RUNS=30
TOOL_RUNS=10
REL_RUNS=""
FOREIGN=0
SOURCES=1
OUT="$ROOT/target/bench-hooks"
CHARM=""
BINARY=""
UNITS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --connect) CONNECT="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --tool-runs) TOOL_RUNS="$2"; shift 2 ;;
    --relation-runs) REL_RUNS="$2"; shift 2 ;;
    --foreign) FOREIGN="$2"; shift 2 ;;
    --sources) SOURCES="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --units) UNITS="$2"; shift 2 ;;
    --binary) BINARY="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --charm) CHARM="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

if [ -z "$CHARM" ]; then
  echo "== building (release charm via cargo xtask pack; harness debug)" >&2
  mkdir -p "$OUT/charm"
  (cd "$ROOT" && cargo xtask pack --out "$OUT/charm" >&2)
  CHARM="$(ls "$OUT"/charm/*22.04*.charm)"
fi
(cd "$ROOT" && cargo build -q -p juju-sim -p kafka-bed -p connect-mock --bins)
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
SIM="$BIN/juju-sim"
HOOKSTAT="$BIN/hookstat"

machine() {
  echo "- date: $(date -u +%FT%TZ), commit $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet -- src || echo ' + uncommitted src changes')"
  echo "- cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; mem $(free -g | awk '/Mem/{print $2}') GiB; kernel $(uname -r)"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg); JVMs running: $(pgrep -c java || true)"
}

# sim VERB... on the current model
sim() { "$SIM" --model "$MODEL" "$@" >/dev/null; }

wait_active() {
  for _ in $(seq 1 120); do
    local st
    st="$("$SIM" --model "$MODEL" status --format json | python3 -c 'import json,sys; s=json.load(sys.stdin); a=s["applications"]["mirrormaker"]["application-status"]; print(a["current"], a.get("message",""))')"
    case "$st" in active*) return 0 ;; esac
    sleep 2
    sim update-status
  done
  echo "mirrormaker never became active: $st" >&2
  "$SIM" --model "$MODEL" debug-log | tail -20 >&2
  return 1
}

# Point our units' dispatch at hookstat (the deployed copies only; the .charm is untouched).
# A unit's hooks are recorded only while HOOKSTAT_OUT is set.
instrument() {
  local u d
  for u in "$MODEL"/units/mirrormaker-*; do
    d="$u/charm/dispatch"
    cat >"$d" <<EOF
#!/bin/sh
[ -n "\$HOOKSTAT_OUT" ] || exec ./bin/mirrormaker-integrator
JUJU_DISPATCH_PATH="\${JUJU_DISPATCH_PATH:-\$0}" exec "$HOOKSTAT" ./bin/mirrormaker-integrator
EOF
    chmod 0755 "$d"
    if [ -n "$BINARY" ]; then cp "$BINARY" "$u/charm/bin/mirrormaker-integrator"; fi
  done
}

# One update-status tick on the converged model with every unit instrumented: every hook of
# our units it causes, with tool names (scale.jsonl), and the Connect requests meanwhile.
scale_tick() {
  export HOOKSTAT_TOOLS=1 HOOKSTAT_OUT="$RUN/scale.jsonl"
  : >"$HOOKSTAT_OUT"
  sim update-status
  unset HOOKSTAT_OUT HOOKSTAT_TOOLS
}

# scenario NAME RUNS [tools]
scenario() {
  local name="$1" runs="$2" tools="${3:-}" file
  file="$RUN/$name${tools:+-tools}.jsonl"
  : >"$file"
  for i in $(seq 1 "$runs"); do
    if [ -n "$tools" ]; then export HOOKSTAT_TOOLS=1; else unset HOOKSTAT_TOOLS; fi
    export HOOKSTAT_OUT="$file"
    case "$name" in
      steady) sim update-status ;;
      config) sim config mirrormaker "sync-group-offsets-interval=$((5 + i % 2))" ;;
      relation)
        sim remove-relation mirrormaker:connect-client kafka-connect
        sim integrate mirrormaker:connect-client kafka-connect ;;
    esac
    unset HOOKSTAT_OUT HOOKSTAT_TOOLS
    # A relation cycle leaves the connectors starting; settle before the next one.
    [ "$name" = relation ] && wait_active
  done
  return 0
}

run_backend() {
  local backend="$1"
  RUN="$OUT/$backend"
  rm -rf "$RUN"; mkdir -p "$RUN"
  MODEL="$RUN/model"
  local backends="$RUN/backends"
  mkdir -p "$backends"
  if [ "$backend" = mock ]; then
    "$BIN/connect-mock" --foreign "$FOREIGN" --log "$RUN/requests.log" --port-file "$RUN/port" >/dev/null &
    MOCK_PID=$!
    for _ in $(seq 1 50); do [ -s "$RUN/port" ] && break; sleep 0.1; done
    printf '{"endpoints": "http://127.0.0.1:%s", "admin_user": "admin", "admin_password": "admin"}\n' \
      "$(cat "$RUN/port")" >"$backends/kafka-connect.json"
    sim deploy --sim kafka kafka-t
    for s in $(seq 1 "$SOURCES"); do sim deploy --sim kafka "kafka-s$s"; done
  else
    BED="$RUN/bed"
    "$BIN/kafka-bed" up --dir "$BED" >"$RUN/bed.out" 2>&1 &
    BED_PID=$!
    for _ in $(seq 1 300); do [ -s "$BED/bed.json" ] && break; sleep 2; done
    [ -s "$BED/bed.json" ] || { echo "bed did not start: $(tail "$RUN/bed.out")" >&2; exit 1; }
    "$BIN/kafka-bed" backend-files --dir "$BED" --out "$backends"
    sim deploy --sim kafka kafka-t --backend "$backends/kafka-b.json"
    sim deploy --sim kafka kafka-s1 --backend "$backends/kafka-a.json"
  fi
  sim deploy --sim kafka-connect kafka-connect --backend "$backends/kafka-connect.json"
  sim deploy "$CHARM" mirrormaker -n "$UNITS"
  instrument
  sim integrate mirrormaker:target kafka-t
  for s in $(seq 1 "$SOURCES"); do
    [ "$backend" = real ] && [ "$s" -gt 1 ] && break
    sim integrate mirrormaker:source "kafka-s$s"
  done
  sim integrate mirrormaker:connect-client kafka-connect
  wait_active
  { echo "### Connect = $backend (foreign connectors: $FOREIGN, sources: $SOURCES, units: $UNITS)"; machine; } >"$RUN/machine.md"
  # Settle (the first ticks after convergence may still record waiting conditions), then tick.
  sim update-status; sim update-status
  echo "== $backend: one steady tick with $UNITS units" >&2
  scale_tick
  for sc in steady config relation; do
    local n="$RUNS" nt="$TOOL_RUNS"
    if [ "$sc" = relation ] && [ -n "$REL_RUNS" ]; then n="$REL_RUNS"; nt=$(( REL_RUNS < TOOL_RUNS ? REL_RUNS : TOOL_RUNS )); fi
    [ "$n" -gt 0 ] || continue
    echo "== $backend: $sc x $n" >&2
    scenario "$sc" "$n"
    echo "== $backend: $sc x $nt (hook tools instrumented)" >&2
    scenario "$sc" "$nt" tools
  done
  echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN/machine.md"
  if [ "$backend" = mock ]; then
    kill "$MOCK_PID" 2>/dev/null || true
  else
    cp "$BED/connect/connect.log" "$RUN/connect.log" 2>/dev/null || true
    "$BIN/kafka-bed" down --dir "$BED" >/dev/null 2>&1 || kill "$BED_PID" 2>/dev/null || true
  fi
}

case "$CONNECT" in
  mock) run_backend mock ;;
  real) run_backend real ;;
  both) run_backend mock; run_backend real ;;
  *) echo "--connect mock|real|both" >&2; exit 2 ;;
esac

python3 "$ROOT/benches/hooks_report.py" "$OUT" "$CHARM" | tee "$OUT/report.md"
