#!/usr/bin/env bash
# ./trainwatch replay FILE.jsonl [--skip-invalid] [--topic T]
# Publishes recorded events (contract JSON, one per line) to training.events, keyed by runId, so the
# monitor diagnoses a past run or a run of another framework. Use '-' to read standard input.
# Env: KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092); KAFKA_* settings pass through (TLS/SASL).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP="$ROOT/monitor-service/target/quarkus-app"
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: trainwatch replay FILE.jsonl|- [--skip-invalid] [--topic TOPIC]" >&2
  exit 2
fi
if [ "$1" != "-" ] && [ ! -r "$1" ]; then
  echo "replay: cannot read $1" >&2
  exit 2
fi
if [ ! -d "$APP/lib/main" ]; then
  echo "replay: building monitor-service (first time only)..." >&2
  (cd "$ROOT" && mvn -B -q -pl monitor-service -am package -DskipTests) >&2
fi
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}"
exec java -cp "$APP/lib/boot/*:$APP/lib/main/*:$APP/app/*" io.trainwatch.monitor.replay.Replay "$@"
