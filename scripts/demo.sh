#!/usr/bin/env bash
# The local demo: the mission's commands against real Kafka and Kafka Connect.
#
# Starts two real Kafka 4.2 clusters (kafka-a active, kafka-b passive) and a real Kafka Connect
# 3.9 worker (harness/kafka-bed), then plays the operator's `juju` commands on the Juju emulator
# (harness/juju-sim) with the packed charm, produces records on kafka-a and reads them on kafka-b.
# Run through `cargo xtask demo`, which installs what is missing and packs the charm first.
# Leaves everything under build/demo; stops the JVMs on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
demo="$root/build/demo"
rm -rf "$demo" && mkdir -p "$demo"
charm="$root/mirrormaker-integrator_ubuntu@22.04-amd64.charm"
[ -f "$charm" ] || cargo xtask pack >/dev/null

cargo build --quiet -p juju-sim -p kafka-bed --bins
bin="${CARGO_TARGET_DIR:-$root/target}/debug"
bed() { "$bin/kafka-bed" "$@"; }
juju() { echo "\$ juju $*" >&2; "$bin/juju-sim" --model "$demo/model" "$@"; }

echo "== starting Kafka (kafka-a, kafka-b) and Kafka Connect; logs in $demo/bed"
bed up --dir "$demo/bed" > "$demo/bed-up.json" 2> "$demo/bed-up.log" &
bed_pid=$!
trap 'bed down --dir "$demo/bed" >/dev/null 2>&1 || kill $bed_pid 2>/dev/null || true' EXIT
until grep -q '"ready"' "$demo/bed-up.json" 2>/dev/null; do
  kill -0 $bed_pid 2>/dev/null || { echo "the bed did not start:"; tail -20 "$demo/bed-up.log"; exit 1; }
  sleep 1
done
cat "$demo/bed-up.json"
bed backend-files --dir "$demo/bed" --out "$demo/backends" >/dev/null
bed kafka --dir "$demo/bed" --cluster kafka-a create-topic --topic orders.demo --partitions 3 >/dev/null
bed kafka --dir "$demo/bed" --cluster kafka-a create-topic --topic payments --partitions 1 >/dev/null

echo "== the provider applications (simulated charms, real users on the real clusters)"
juju deploy --sim kafka kafka-a --backend "$demo/backends/kafka-a.json"
juju deploy --sim kafka kafka-b --backend "$demo/backends/kafka-b.json"
juju deploy --sim kafka-connect kafka-connect --backend "$demo/backends/kafka-connect.json"
# Kafka Connect serves https; the CA that signed its certificate comes from a TLS provider.
juju deploy --sim self-signed-certificates self-signed-certificates --backend "$demo/backends/ca-provider.json"

echo "== the mission"
juju deploy "$charm" mirrormaker
# `topics` defaults to '.*' (MirrorMaker's own default): set the filter before the relations
# are complete, or every existing topic is replicated in the meantime (remote topics that
# MirrorMaker created stay on the target when the filter narrows later).
juju config mirrormaker 'topics=orders\..*' refresh-topics-interval=10
juju integrate mirrormaker:source kafka-a
juju integrate mirrormaker:target kafka-b
juju integrate mirrormaker:connect-client kafka-connect
juju integrate mirrormaker:receive-ca-cert self-signed-certificates:send-ca-cert

echo "== producing 1000 records on kafka-a (orders.demo) and 10 on payments (not replicated)"
python3 - "$demo/records.jsonl" 1000 <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"key": f"order-{i}".encode().hex(), "value": f"{{\"amount\": {i}}}".encode().hex(),
                            "headers": [["source", b"demo".hex()]]}) + "\n")
PY
bed kafka --dir "$demo/bed" --cluster kafka-a produce --topic orders.demo --input "$demo/records.jsonl" | tail -c 200; echo
head -10 "$demo/records.jsonl" > "$demo/payments.jsonl"
bed kafka --dir "$demo/bed" --cluster kafka-a produce --topic payments --input "$demo/payments.jsonl" >/dev/null

echo "== waiting for the charm to report active (juju update-status ticks)"
for _ in $(seq 1 90); do
  juju update-status 2>/dev/null
  status=$("$bin/juju-sim" --model "$demo/model" status --format json | python3 -c 'import json,sys; s=json.load(sys.stdin)["applications"]["mirrormaker"]["application-status"]; print(s["current"]+": "+s["message"])')
  echo "   mirrormaker: $status"
  case "$status" in active:*) break ;; esac
  sleep 2
done
juju status
juju run mirrormaker/0 status

echo "== reading kafka-a.orders.demo on kafka-b"
bed kafka --dir "$demo/bed" --cluster kafka-b consume --topic kafka-a.orders.demo --count 1000 --timeout-ms 120000 > "$demo/consumed.jsonl"
echo "   $(grep -c '"key"' "$demo/consumed.jsonl") records arrived on kafka-b"
echo "   topics on kafka-b: $(bed kafka --dir "$demo/bed" --cluster kafka-b list-topics)"
echo "== done; the model is in $demo/model (juju-sim --model $demo/model status), stopping the bed"
