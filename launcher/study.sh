#!/usr/bin/env bash
# ./trainwatch study FILE.json      start a study on the tuner and follow its leaderboard until it ends
#                                   (a study with a preflight prints each step once, with its numbers, as it completes)
# ./trainwatch study --follow ID    follow a running study
# ./trainwatch study --stop ID      stop a study
# ./trainwatch study --list         list the studies
# Env: TRAINWATCH_TUNER_URL (default http://127.0.0.1:8083), TRAINWATCH_API_TOKEN (bearer token for POST),
#      STUDY_INTERVAL (seconds between refreshes, default 2), STUDY_DECISIONS (decisions shown, default 10).
set -euo pipefail

URL="${TRAINWATCH_TUNER_URL:-http://127.0.0.1:8083}"
URL="${URL%/}"
INTERVAL="${STUDY_INTERVAL:-2}"
DECISIONS="${STUDY_DECISIONS:-10}"
AUTH=()
if [[ -n "${TRAINWATCH_API_TOKEN:-}" ]]; then
  AUTH=(-H "Authorization: Bearer ${TRAINWATCH_API_TOKEN}")
fi

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

die() {
  echo "study: $*" >&2
  exit 1
}

# POST a body; prints the response body, fails with the tuner's message on a non-2xx answer.
post() {
  local path="$1"; shift
  local out code body
  out="$(curl -sS "${AUTH[@]}" -w $'\n%{http_code}' -X POST "$@" "$URL$path")" \
    || die "cannot reach the tuner at $URL (is it running? set TRAINWATCH_TUNER_URL)"
  code="${out##*$'\n'}"
  body="${out%$'\n'*}"
  if [[ "$code" != 2* ]]; then
    die "the tuner answered $code: $body"
  fi
  printf '%s' "$body"
}

# Collects in PREFLIGHT_NEW each preflight step of the text that is over and was not reported yet, as
# "study: preflight 1/3 initial-loss PASSED: ..." (no subshell: PREFLIGHT_SHOWN must survive the call).
declare -A PREFLIGHT_SHOWN=()
PREFLIGHT_NEW=""
preflight_steps() {
  local line n
  PREFLIGHT_NEW=""
  while IFS= read -r line; do
    [[ "$line" =~ ^preflight\ ([0-9])/3\ [a-z-]+\ (PASSED|FAILED|SKIPPED): ]] || continue
    n="${BASH_REMATCH[1]}"
    [[ -n "${PREFLIGHT_SHOWN[$n]:-}" ]] && continue
    PREFLIGHT_SHOWN[$n]=1
    PREFLIGHT_NEW+="study: $line"$'\n'
  done <<< "$1"
}

follow() {
  local id="$1" tty=0 text status
  [[ -t 1 ]] && tty=1
  trap 'echo; echo "study: stopped following; the study goes on (stop it with: $0 --stop $id)"; exit 130' INT
  HEADERS="$(mktemp)"
  trap 'rm -f "$HEADERS"' EXIT
  while true; do
    if ! text="$(curl -sS -f -D "$HEADERS" "$URL/studies/$id/text?decisions=$DECISIONS")"; then
      echo "study: cannot read study $id from $URL; retrying" >&2
      sleep "$INTERVAL"
      continue
    fi
    status="$(tr -d '\r' < "$HEADERS" | sed -n 's/^[Xx]-[Ss]tudy-[Ss]tatus: *//p' | tail -n 1)"
    preflight_steps "$text"
    if (( tty )); then
      # The board below shows every preflight step with its numbers.
      printf '\033[H\033[2J'
    else
      printf '%s' "$PREFLIGHT_NEW"
      echo "----- $(date -u +%H:%M:%S)"
    fi
    printf '%s\n' "$text"
    case "$status" in
      completed|stopped)
        echo "study $id $status."
        return 0
        ;;
    esac
    sleep "$INTERVAL"
  done
}

[[ $# -ge 1 ]] || usage
case "$1" in
  -h|--help) usage ;;
  --list)
    curl -sS -f "$URL/studies" || die "cannot reach the tuner at $URL"
    echo
    ;;
  --follow)
    [[ $# -eq 2 ]] || usage
    follow "$2"
    ;;
  --stop)
    [[ $# -eq 2 ]] || usage
    post "/studies/$2/stop" >/dev/null
    echo "study $2 stopped."
    ;;
  *)
    file="$1"
    [[ -r "$file" ]] || die "cannot read $file"
    body="$(post /studies -H 'Content-Type: application/json' --data-binary @"$file")"
    id="$(printf '%s' "$body" | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')"
    [[ -n "$id" ]] || die "the tuner did not say the study's id: $body"
    echo "study $id started on $URL"
    follow "$id"
    ;;
esac
