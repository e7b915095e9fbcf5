#!/usr/bin/env bash
# The tools the chart tests need, built once from the Go module proxy and cached like tools/infra's
# (under ~/.cache/cairn-infra; CAIRN_INFRA_CACHE overrides). Prints the path of the one asked for.
#
#   k8s-tools.sh helm           helm, `go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION`
#   k8s-tools.sh k8s-validate   tools/deploy/k8s-validate (its go.mod pins k8s.io/api,
#                               apimachinery and pod-security-admission), rebuilt when its source changes
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# Bumping it changes the cache key, so it is built again.
HELM_VERSION=v3.21.4
CACHE="${CAIRN_INFRA_CACHE:-$HOME/.cache/cairn-infra}"

log() { printf '%s\n' "$*" >&2; }

go_env() {
  env GOMODCACHE="${CAIRN_INFRA_GOMODCACHE:-$CACHE/go/mod}" \
    GOCACHE="${CAIRN_INFRA_GOCACHE:-$CACHE/go/build}" \
    GOFLAGS="-modcacherw -buildvcs=false" \
    CGO_ENABLED=0 "$@"
}

# Builds into "$dest.tmp" and renames, under a lock: concurrent callers build once, and a cut-short
# build never leaves a half-written binary at $dest.
build_once() { # dest log cmd...
  local dest=$1 logf=$2
  shift 2
  [[ -x $dest ]] && return 0
  mkdir -p "$CACHE/locks" "$(dirname "$dest")"
  (
    exec 8>"$CACHE/locks/$(basename "$(dirname "$dest")").lock"
    flock 8
    [[ -x $dest ]] && exit 0
    command -v go >/dev/null || { log "k8s-tools: go not found (needed once to build $(basename "$dest"))"; exit 1; }
    log "k8s-tools: building $(basename "$dest") (cold: a few minutes; log: $logf)"
    rm -rf "$dest.tmp"
    if ! "$@" >"$logf" 2>&1 </dev/null; then
      log "k8s-tools: building $(basename "$dest") failed"
      tail -n 40 "$logf" >&2 || true
      exit 1
    fi
    mv "$dest.tmp" "$dest"
  )
}

case "${1:-}" in
  helm)
    home="$CACHE/helm-$HELM_VERSION"
    # go install names the binary after the package: into a GOBIN of its own, then renamed.
    build_once "$home/helm" "$home.build.log" go_env bash -c 'rm -rf "$1.gobin" && GOBIN="$1.gobin" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$2" && mv "$1.gobin/helm" "$1.tmp" && rm -rf "$1.gobin"' _ "$home/helm" "$HELM_VERSION"
    echo "$home/helm"
    ;;
  k8s-validate)
    src="$SCRIPT_DIR/k8s-validate"
    key=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-12)
    home="$CACHE/k8s-validate-$key"
    build_once "$home/k8s-validate" "$home.build.log" go_env bash -c 'cd "$1" && go build -trimpath -o "$2.tmp" .' _ "$src" "$home/k8s-validate"
    echo "$home/k8s-validate"
    ;;
  *)
    log "usage: $0 helm|k8s-validate"
    exit 2
    ;;
esac
