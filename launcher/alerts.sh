#!/usr/bin/env bash
# ./trainwatch alerts [--since ISO-8601|epoch-ms]
# Follows the monitor's alerts in the terminal, one line each: time, status, detector, run, step,
# severity, evidence; and the tuner's suggestions to runs that declared control suggest (read by the
# monitor from tuner.commands), one line each: time, SUGGEST, set-learning-rate|stop, run, the rate,
# the alert and the reason, never applied. With --since, first prints the alerts kept since then.
# Ctrl-C to stop.
# Env: TRAINWATCH_MONITOR_URL (default http://127.0.0.1:8082).
set -uo pipefail
URL="${TRAINWATCH_MONITOR_URL:-http://127.0.0.1:8082}"
SINCE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --since) SINCE="${2:-}"; shift 2 ;;
    -h|--help) echo "usage: trainwatch alerts [--since ISO-8601|epoch-ms]"; exit 0 ;;
    *) echo "alerts: unknown argument $1" >&2; exit 2 ;;
  esac
done
if ! curl -fsS "$URL/q/health/live" > /dev/null 2>&1; then
  echo "alerts: the monitor is not reachable at $URL (start it with ./trainwatch up)" >&2
  exit 1
fi
if [ -n "$SINCE" ]; then
  # The JSON list, one alert per line, without jq: split on the alert boundaries.
  curl -fsS "$URL/alerts?since=$SINCE" | sed -e 's/},{"schemaVersion"/}\n{"schemaVersion"/g' -e 's/^\[//' -e 's/\]$//'
  echo
fi
echo "following alerts and suggestions from $URL (Ctrl-C to stop)" >&2
# Server-sent events: print the data of each event, one alert or suggestion per line.
curl -fsSN -H 'Accept: text/event-stream' "$URL/alerts/stream" | while IFS= read -r line; do
  case "$line" in
    data:*) printf '%s\n' "${line#data:}" ;;
  esac
done
