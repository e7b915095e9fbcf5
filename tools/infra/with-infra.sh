#!/usr/bin/env bash
# with-infra.sh <command...>
#
# Starts the test services the command needs (tools/infra/infra.sh up), exports their
# CAIRN_TEST_* endpoints, runs the command, then stops the services that this invocation
# started (unless CAIRN_INFRA_KEEP=1), and exits with the command's exit code.
#
# Endpoints already in the environment win: with CAIRN_TEST_DATABASE_URL set no Postgres is
# started (same for CAIRN_TEST_KAFKA_BROKERS, CAIRN_TEST_S3_ENDPOINT and
# CAIRN_TEST_MLFLOW3_PYTHON + CAIRN_TEST_MLFLOW2_PYTHON + CAIRN_TEST_PROJECT_TOOLS), so testcontainers or any other
# servers can be used instead. CAIRN_INFRA_SERVICES="postgres kafka" limits what is started.
#
# Services already running (e.g. from `infra.sh up`) are reused and left running. When two
# with-infra.sh runs share services, the last one to finish stops them.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
INFRA="$SCRIPT_DIR/infra.sh"
STATE="${CAIRN_INFRA_STATE:-$REPO_ROOT/.cache/infra}"
SESSIONS="$STATE/sessions"

if (($# == 0)); then
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

wanted=(${CAIRN_INFRA_SERVICES:-postgres kafka minio python})
services=()
for s in "${wanted[@]}"; do
  case $s in
    postgres | pg) [[ -n ${CAIRN_TEST_DATABASE_URL:-} ]] || services+=(postgres) ;;
    kafka) [[ -n ${CAIRN_TEST_KAFKA_BROKERS:-} ]] || services+=(kafka) ;;
    minio | s3) [[ -n ${CAIRN_TEST_S3_ENDPOINT:-} ]] || services+=(minio) ;;
    python) [[ -n ${CAIRN_TEST_MLFLOW3_PYTHON:-} && -n ${CAIRN_TEST_MLFLOW2_PYTHON:-} && -n ${CAIRN_TEST_PROJECT_TOOLS:-} ]] || services+=(python) ;;
    *) echo "with-infra: unknown service '$s' in CAIRN_INFRA_SERVICES" >&2; exit 2 ;;
  esac
done

mkdir -p "$SESSIONS"
session_file="$SESSIONS/$$"
started_file="$SESSIONS/$$.started"
: >"$started_file"

# --- sessions: which with-infra.sh runs are alive, and who owns (will stop) which service ----
session_alive() { # pid
  local pid=$1
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'with-infra'
}

with_sessions_lock() {
  (
    exec 7>"$SESSIONS/.lock"
    flock 7
    "$@"
  )
}

register() { echo "$$" >"$session_file"; }

# On exit: hand our services to another live run if there is one, otherwise stop them.
release() {
  local to_stop=() svc owner other="" f pid
  rm -f "$session_file"
  for f in "$SESSIONS"/[0-9]*; do
    [[ -e $f && $f != *.started ]] || continue
    pid=${f##*/}
    if session_alive "$pid"; then other=$pid; else rm -f "$f" "$f.started"; fi
  done
  for svc in postgres kafka minio; do
    owner=$(cat "$SESSIONS/$svc.owner" 2>/dev/null || true)
    [[ $owner == "$$" ]] || continue
    if [[ -n $other ]]; then
      echo "$other" >"$SESSIONS/$svc.owner"
      echo "with-infra: leaving $svc running for the other run (pid $other) that uses it" >&2
    else
      rm -f "$SESSIONS/$svc.owner"
      to_stop+=("$svc")
    fi
  done
  rm -f "$started_file"
  if ((${#to_stop[@]} > 0)); then
    "$INFRA" down "${to_stop[@]}" || true
  fi
}

claim_started() {
  local svc
  while read -r svc; do
    [[ -n $svc && $svc != python ]] || continue
    echo "$$" >"$SESSIONS/$svc.owner"
  done <"$started_file"
}

cleanup_done=0
cleanup() {
  ((cleanup_done)) && return 0
  cleanup_done=1
  if [[ ${CAIRN_INFRA_KEEP:-0} == 1 ]]; then
    rm -f "$session_file" "$started_file"
    # nobody owns what we started any more: it stays up until `infra.sh down`
    local svc
    for svc in postgres kafka minio; do
      [[ "$(cat "$SESSIONS/$svc.owner" 2>/dev/null || true)" == "$$" ]] && rm -f "$SESSIONS/$svc.owner"
    done
    echo "with-infra: CAIRN_INFRA_KEEP=1, services left running (tools/infra/infra.sh down stops them)" >&2
    return 0
  fi
  with_sessions_lock release
}

with_sessions_lock register
trap cleanup EXIT

if ((${#services[@]} > 0)); then
  if ! CAIRN_INFRA_STARTED_FILE="$started_file" "$INFRA" up "${services[@]}"; then
    with_sessions_lock claim_started
    echo "with-infra: infra.sh up failed" >&2
    exit 1
  fi
  with_sessions_lock claim_started
  # export the endpoints, never overriding one that was given in the environment
  while IFS= read -r line; do
    [[ $line == export\ * ]] || continue
    name=${line#export }
    name=${name%%=*}
    if [[ -z ${!name:-} ]]; then eval "$line"; fi
  done < <("$INFRA" env "${services[@]}")
fi

# Run the command as a child (not exec) so the cleanup runs; forward termination signals.
got_signal=0
child=""
forward() {
  got_signal=1
  [[ -n $child ]] && kill -s "$1" "$child" 2>/dev/null || true
}
# (an asynchronous command of a non-interactive shell ignores SIGINT, so INT is sent on as TERM)
trap 'forward TERM' TERM INT
trap 'forward HUP' HUP

if { true <&0; } 2>/dev/null; then
  "$@" <&0 &
else
  "$@" </dev/null &
fi
child=$!
set +e
while :; do
  got_signal=0
  wait "$child"
  rc=$?
  ((got_signal)) || break
done
set -e
exit "$rc"
