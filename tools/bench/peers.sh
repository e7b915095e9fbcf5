#!/usr/bin/env bash
# The benchmarks' peers, in their own virtualenvs (pinned; issue 24):
#   FastTrackML 0.6.0 (a Go rewrite of the MLflow tracking server: the `fml` binary in its wheel)
#   mlflow-go-backend 0.2.0 over mlflow 2.22.5 (MLflow's Python server with Go handlers for the
#     tracking and registry store; `mlflow-go server`)
# and the `mlflow server` reference with psycopg2 (mlflow 3.18.0 is the infra's mlflow3 lock; this
# venv adds psycopg2-binary so it can use Postgres).
#
#   bash tools/bench/peers.sh          # builds what is missing, prints the env lines for the benches
#   eval "$(bash tools/bench/peers.sh)"  # exports BENCH_MLFLOW, BENCH_FASTTRACKML, BENCH_MLFLOW_GO
#
# Venvs live in $CAIRN_BENCH_HOME (default ~/.cache/cairn-bench). Python 3.11, linux x86_64.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
HOME_DIR=${CAIRN_BENCH_HOME:-$HOME/.cache/cairn-bench}
PYTHON=${PYTHON:-python3.11}
mkdir -p "$HOME_DIR"

FASTTRACKML_VERSION=0.6.0
MLFLOW_GO_VERSION=0.2.0
MLFLOW_FOR_GO_VERSION=2.22.5
PSYCOPG2_VERSION=2.9.10
# mlflow 2.22 imports FallbackAsyncAdaptedQueuePool, which SQLAlchemy 2.1 removed.
SQLALCHEMY_FOR_GO_VERSION=2.0.40

log() { echo "peers.sh: $*" >&2; }

venv() { # dir pip-args...
  local dir=$1
  shift
  if [[ -f $dir/.complete && $(cat "$dir/.complete") == "$*" ]]; then return 0; fi
  rm -rf "$dir"
  log "building $dir ($*)"
  "$PYTHON" -m venv "$dir" >&2
  "$dir/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "$@" >&2
  echo "$*" >"$dir/.complete"
}

# FastTrackML: the wheel carries the Go binary `fml`; nothing else is needed.
venv "$HOME_DIR/fasttrackml" "fasttrackml==$FASTTRACKML_VERSION"

# mlflow-go-backend: its Linux wheel names its shared library libmlflow-go.dylib while the loader
# asks for .so; and its CLI refers to mlflow.server before importing it (fixed by the wrapper below).
GO=$HOME_DIR/mlflow-go
venv "$GO" "mlflow==$MLFLOW_FOR_GO_VERSION" "mlflow-go-backend==$MLFLOW_GO_VERSION" "psycopg2-binary==$PSYCOPG2_VERSION" "SQLAlchemy==$SQLALCHEMY_FOR_GO_VERSION"
pkg=$("$GO/bin/python" -c 'import mlflow_go_backend, os; print(os.path.dirname(mlflow_go_backend.__file__))' 2>/dev/null ||
  "$GO/bin/python" -c 'import mlflow_go, os; print(os.path.dirname(mlflow_go.__file__))')
for lib in "$pkg"/lib/*.dylib "$pkg"/*.dylib; do
  [[ -e $lib ]] || continue
  ln -sf "$(basename "$lib")" "${lib%.dylib}.so"
done
cat >"$GO/bin/mlflow-go-bench" <<PY
#!$GO/bin/python
# mlflow-go's CLI, with mlflow.server imported first (the CLI uses it before importing it).
import sys
import mlflow.server  # noqa: F401
from mlflow_go_backend.cli import cli
sys.exit(cli())
PY
chmod +x "$GO/bin/mlflow-go-bench"

# mlflow server with psycopg2: the infra's mlflow3 lock plus the driver.
ML=$HOME_DIR/mlflow3
venv "$ML" --no-deps -r "$ROOT/tools/infra/python/mlflow3.txt" "psycopg2-binary==$PSYCOPG2_VERSION"

echo "export BENCH_MLFLOW=$ML/bin/mlflow"
echo "export BENCH_FASTTRACKML=$HOME_DIR/fasttrackml/bin/fml"
echo "export BENCH_MLFLOW_GO=$GO/bin/mlflow-go-bench"
