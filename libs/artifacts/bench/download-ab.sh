#!/usr/bin/env bash
# Download A/B of two built trees (e.g. a `git archive` of the commit before a change, and this one):
# both servers up at once on the test MinIO, one 1 GiB artifact each, then curl downloads alternating,
# the order swapped every round, so that neither tree always goes first.
#   bash libs/artifacts/bench/download-ab.sh <before-tree> <after-tree> [rounds]
set -euo pipefail
before_tree="$(cd "$1" && pwd)"; after_tree="$(cd "$2" && pwd)"; rounds="${3:-10}"
eval "$(bash "$(dirname "$0")/../../../tools/infra/infra.sh" env)"
work=$(mktemp -d /tmp/s3-ab.XXXXXX); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
start() { # name dir port
  (cd "$2" && CAIRN_HOME="$work/$1" CAIRN_PORT="$3" CAIRN_HOST=127.0.0.1 CAIRN_LOG_LEVEL=warn \
    CAIRN_ARTIFACT_ROOT="s3://cairn-bench/ab-$1-$(basename "$work")" CAIRN_S3_ENDPOINT="$CAIRN_TEST_S3_ENDPOINT" \
    CAIRN_S3_ACCESS_KEY="$CAIRN_TEST_S3_ACCESS_KEY" CAIRN_S3_SECRET_KEY="$CAIRN_TEST_S3_SECRET_KEY" \
    exec node dist/apps/server/src/main.js >"$work/$1.log" 2>&1) &
  pids+=($!)
}
pa=$((25000 + RANDOM % 5000)); pb=$((pa + 1))
start before "$before_tree" $pa; start after "$after_tree" $pb
for p in $pa $pb; do for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$p/health" && break; sleep 0.2; done; done
head -c $((1024*1024*1024)) /dev/urandom > "$work/blob"
for p in $pa $pb; do curl -sf -X PUT -T "$work/blob" "http://127.0.0.1:$p/api/2.0/mlflow-artifacts/artifacts/ab/blob" -o /dev/null; done
rm "$work/blob"
for round in $(seq 1 "$rounds"); do
  for v in $( ((round % 2)) && echo before after || echo after before); do p=$pa; [[ $v == after ]] && p=$pb
    curl -s -o /dev/null -w "$round $v %{speed_download} B/s\n" "http://127.0.0.1:$p/api/2.0/mlflow-artifacts/artifacts/ab/blob"
  done
done
for p in $pa $pb; do curl -s -X DELETE "http://127.0.0.1:$p/api/2.0/mlflow-artifacts/artifacts/ab/blob" -o /dev/null || true; done
