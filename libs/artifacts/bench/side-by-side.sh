#!/usr/bin/env bash
# Issue 4's benchmark in one run: starts Cairn (`apps/server`, artifact root on the test MinIO) and
# `mlflow server --serve-artifacts` (filesystem destination), then runs artifacts-bench.mjs against
# both and straight against MinIO. Needs the test infra up (`npm run infra -- up`) and
#   BENCH_MLFLOW=<venv>/bin/mlflow   (a venv with mlflow)
# Optional: BENCH_LARGE_MB (1024), BENCH_SMALL_PER_CLIENT (50), BENCH_DOWNLOADER (curl|node).
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
: "${BENCH_MLFLOW:?set BENCH_MLFLOW to the mlflow executable of a venv}"
eval "$(bash tools/infra/infra.sh env)"
node tools/build.mjs --if-stale

work="$(mktemp -d /tmp/cairn-artifacts-bench.XXXXXX)"
# Each run stores its objects under its own prefix and removes them at the end: left behind, a few
# GB per run fill MinIO's drive until it refuses writes.
prefix="run-$(basename "$work" | cut -d. -f2)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  BENCH_PREFIX="$prefix" node -e '
    const { Client } = require("minio");
    const url = new URL(process.env.CAIRN_TEST_S3_ENDPOINT);
    const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: process.env.CAIRN_TEST_S3_ACCESS_KEY, secretKey: process.env.CAIRN_TEST_S3_SECRET_KEY, pathStyle: true });
    (async () => {
      const names = [];
      for await (const item of client.listObjectsV2("cairn-bench", process.env.BENCH_PREFIX + "/", true)) if (item.name) names.push(item.name);
      for (let i = 0; i < names.length; i += 1000) await client.removeObjects("cairn-bench", names.slice(i, i + 1000));
    })().catch((error) => console.error("bench cleanup:", error.message));
  ' || true
}
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2
  return 1
}

cairn_port=$((20000 + RANDOM % 5000))
mlflow_port=$((cairn_port + 1))
CAIRN_HOME="$work/cairn" CAIRN_PORT="$cairn_port" CAIRN_HOST=127.0.0.1 CAIRN_LOG_LEVEL=warn \
  CAIRN_ARTIFACT_ROOT="s3://cairn-bench/$prefix" CAIRN_S3_ENDPOINT="$CAIRN_TEST_S3_ENDPOINT" \
  CAIRN_S3_ACCESS_KEY="$CAIRN_TEST_S3_ACCESS_KEY" CAIRN_S3_SECRET_KEY="$CAIRN_TEST_S3_SECRET_KEY" \
  node dist/apps/server/src/main.js >"$work/cairn.log" 2>&1 &
pids+=($!)
"$BENCH_MLFLOW" server --host 127.0.0.1 --port "$mlflow_port" --backend-store-uri "sqlite:///$work/mlflow.db" \
  --serve-artifacts --artifacts-destination "$work/mlflow-artifacts" >"$work/mlflow.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$cairn_port/health" || { tail -20 "$work/cairn.log" >&2; exit 1; }
wait_for "http://127.0.0.1:$mlflow_port/health" || { tail -20 "$work/mlflow.log" >&2; exit 1; }

echo "# $(date -u +%FT%TZ), load $(cut -d' ' -f1 /proc/loadavg), $($BENCH_MLFLOW --version)"
CAIRN_URL="http://127.0.0.1:$cairn_port" MLFLOW_URL="http://127.0.0.1:$mlflow_port" \
  BENCH_S3_ENDPOINT="$CAIRN_TEST_S3_ENDPOINT" BENCH_S3_ACCESS_KEY="$CAIRN_TEST_S3_ACCESS_KEY" \
  BENCH_S3_SECRET_KEY="$CAIRN_TEST_S3_SECRET_KEY" node libs/artifacts/bench/artifacts-bench.mjs
echo "# Cairn server RSS after the run: $(( $(ps -o rss= -p "${pids[0]}") / 1024 )) MiB"
