#!/usr/bin/env bash
# Fetch the Apache Kafka jars the kafka-bed runs (brokers + Connect/MM2) from
# Maven Central into harness/kafka-bed/lib/{broker,connect}/. Idempotent: a
# set whose lib/<set>/.version stamp matches versions.env is skipped.
# Usage: harness/kafka-bed/fetch.sh [--force]
# Extra Maven arguments may be given in KAFKA_BED_MVN_ARGS (e.g. -Dmaven.repo.local=...).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
force=0
[[ "${1:-}" == "--force" ]] && force=1

fetch_set() {
  local set="$1" pom="$2" stamp="$3"; shift 3
  local dir="$here/lib/$set"
  if [[ $force == 0 && -f "$dir/.version" && "$(cat "$dir/.version")" == "$stamp" ]]; then
    echo "kafka-bed fetch: lib/$set up to date ($stamp)"
    return 0
  fi
  echo "kafka-bed fetch: resolving lib/$set ($stamp) from Maven Central ..."
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  # shellcheck disable=SC2086 # KAFKA_BED_MVN_ARGS is a word list on purpose
  mvn -B -q ${KAFKA_BED_MVN_ARGS:-} -f "$here/maven/$pom" "$@" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dir.tmp"
  echo "$stamp" > "$dir.tmp/.version"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  echo "kafka-bed fetch: lib/$set has $(ls "$dir" | grep -c '\.jar$') jars"
}

fetch_set broker broker-pom.xml "kafka=$KAFKA_BROKER_VERSION log4j2=$LOG4J2_VERSION slf4j=$SLF4J2_VERSION" \
  -Dkafka.version="$KAFKA_BROKER_VERSION" -Dlog4j2.version="$LOG4J2_VERSION" -Dslf4j.version="$SLF4J2_VERSION"
fetch_set connect connect-pom.xml "kafka=$KAFKA_CONNECT_VERSION slf4j=$SLF4J_VERSION" \
  -Dkafka.version="$KAFKA_CONNECT_VERSION" -Dslf4j.version="$SLF4J_VERSION"

# The Prometheus JMX exporter java agent (one jar, no dependencies), for BedOptions::jmx_exporter.
jmx_dir="$here/lib/jmx"
jmx_stamp="jmx_exporter=$JMX_EXPORTER_VERSION"
if [[ $force == 0 && -f "$jmx_dir/.version" && "$(cat "$jmx_dir/.version")" == "$jmx_stamp" ]]; then
  echo "kafka-bed fetch: lib/jmx up to date ($jmx_stamp)"
else
  echo "kafka-bed fetch: resolving lib/jmx ($jmx_stamp) from Maven Central ..."
  rm -rf "$jmx_dir.tmp"
  mkdir -p "$jmx_dir.tmp"
  # shellcheck disable=SC2086 # KAFKA_BED_MVN_ARGS is a word list on purpose
  mvn -B -q ${KAFKA_BED_MVN_ARGS:-} org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION" \
    -DoutputDirectory="$jmx_dir.tmp" -Dmdep.stripVersion=true
  echo "$jmx_stamp" > "$jmx_dir.tmp/.version"
  rm -rf "$jmx_dir"
  mv "$jmx_dir.tmp" "$jmx_dir"
  echo "kafka-bed fetch: lib/jmx has $(ls "$jmx_dir")"
fi
