#!/usr/bin/env bash
# ./trainwatch train --scenario NAME [--steps N] [--seed S] [--control auto|suggest|off] [--set key=value ...]
# ./trainwatch train --config FILE.json [--control auto|suggest|off]
# Submits a training run to the trainer (POST /runs), prints its run id on the first line, then a live
# progress line (step, loss, accuracy, learning rate) until the run finishes, then its final status.
# Exit code: 0 when the run completed, was stopped or diverged (a scenario may diverge on purpose),
# 1 when it failed or the trainer refused it, 2 for a usage or connection error.
# --control: how the tuner may steer the run (auto: it applies learning-rate decays and stops, the default;
# suggest: it only suggests them, shown by ./trainwatch alerts; off: no command).
# Env: TRAINWATCH_TRAINER_URL (default http://127.0.0.1:8081), TRAINWATCH_API_TOKEN (bearer token, optional).
set -uo pipefail
URL="${TRAINWATCH_TRAINER_URL:-http://127.0.0.1:8081}"
SCENARIO=""
STEPS=""
SEED=""
CONFIG=""
EXTRA=""
CONTROL=""
usage() { echo "usage: trainwatch train --scenario NAME [--steps N] [--seed S] [--control auto|suggest|off] [--set key=number|string ...] | --config FILE.json [--control auto|suggest|off]"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) SCENARIO="${2:-}"; shift 2 ;;
    --steps) STEPS="${2:-}"; shift 2 ;;
    --seed) SEED="${2:-}"; shift 2 ;;
    --config) CONFIG="${2:-}"; shift 2 ;;
    --control) CONTROL="${2:-}"; shift 2 ;;
    --set)
      kv="${2:-}"; k="${kv%%=*}"; v="${kv#*=}"
      if [[ "$v" =~ ^-?[0-9.eE+-]+$ ]]; then EXTRA="$EXTRA, \"$k\": $v"; else EXTRA="$EXTRA, \"$k\": \"$v\""; fi
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "train: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$CONTROL" in
  ''|auto|suggest|off) ;;
  *) echo "train: --control must be auto, suggest or off, was '$CONTROL'" >&2; exit 2 ;;
esac
[ -n "$CONTROL" ] && EXTRA="$EXTRA, \"control\": {\"mode\": \"$CONTROL\"}"
if [ -n "$CONFIG" ]; then
  [ -r "$CONFIG" ] || { echo "train: cannot read $CONFIG" >&2; exit 2; }
  BODY="$(cat "$CONFIG")"
  if [ -n "$CONTROL" ]; then
    # The file's closing brace gets the control field (a file that has one already is refused by the trainer).
    BODY="$(printf '%s' "$BODY" | sed -e ':a' -e '$!{N;ba' -e '}' -e 's/}[[:space:]]*$//')"
    BODY="$BODY, \"control\": {\"mode\": \"$CONTROL\"}}"
  fi
elif [ -n "$SCENARIO" ]; then
  case "$STEPS" in ''|*[!0-9]*) [ -z "$STEPS" ] || { echo "train: --steps needs a whole number" >&2; exit 2; } ;; esac
  BODY="{\"scenario\": \"$SCENARIO\""
  [ -n "$STEPS" ] && BODY="$BODY, \"steps\": $STEPS"
  [ -n "$SEED" ] && BODY="$BODY, \"seed\": $SEED"
  BODY="$BODY$EXTRA}"
else
  usage >&2; exit 2
fi
AUTH=()
[ -n "${TRAINWATCH_API_TOKEN:-}" ] && AUTH=(-H "Authorization: Bearer $TRAINWATCH_API_TOKEN")

RESPONSE="$(curl -sS -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' "${AUTH[@]}" \
  --data-binary "$BODY" "$URL/runs" 2>&1)" || { echo "train: the trainer is not reachable at $URL (start it with ./trainwatch up)" >&2; exit 2; }
CODE="${RESPONSE##*$'\n'}"
JSON="${RESPONSE%$'\n'*}"
if [ "$CODE" != "202" ] && [ "$CODE" != "201" ]; then
  echo "train: the trainer refused the run (HTTP $CODE): $JSON" >&2
  exit 1
fi
RUN_ID="$(printf '%s' "$JSON" | sed -n 's/.*"runId"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
[ -n "$RUN_ID" ] || { echo "train: no run id in the answer: $JSON" >&2; exit 1; }
echo "$RUN_ID"

# Progress: one plain-text line from GET /runs/{id}/progress, redrawn in place on a terminal,
# printed when it changes (at most every 2 s) otherwise.
TTY=0; [ -t 1 ] && TTY=1
LAST=""; LAST_PRINT=0; LINE=""
while :; do
  LINE="$(curl -fsS "$URL/runs/$RUN_ID/progress" 2>/dev/null | head -n 1)"
  if [ -z "$LINE" ]; then
    sleep 1; continue
  fi
  STATUS="$(printf '%s' "$LINE" | sed -n 's/^status=\([^ ]*\).*/\1/p')"
  SHOW="$(printf '%s' "$LINE" | sed -e 's/^status=[^ ]* //' -e 's/ reason=.*//')"
  case "$STATUS" in
    completed|stopped|diverged|failed) break ;;
  esac
  NOW="$(date +%s)"
  if [ "$TTY" = 1 ]; then
    printf '\r\033[K%s' "$SHOW"
  elif [ "$SHOW" != "$LAST" ] && [ $((NOW - LAST_PRINT)) -ge 2 ]; then
    echo "$SHOW"; LAST="$SHOW"; LAST_PRINT="$NOW"
  fi
  sleep 0.5
done
[ "$TTY" = 1 ] && printf '\r\033[K'
echo "$SHOW"
REASON="$(printf '%s' "$LINE" | sed -n 's/.* reason="\(.*\)"$/\1/p')"
echo "run $RUN_ID $STATUS${REASON:+: $REASON}"
[ "$STATUS" = "failed" ] && exit 1
exit 0
