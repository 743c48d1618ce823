#!/usr/bin/env bash
# Starts/stops the real services custsync needs for development and tests,
# without Docker:
#   - a private PostgreSQL 15 cluster (wal_level=logical) on 127.0.0.1:55432
#   - a single-node Apache Kafka 3.9.1 broker (KRaft) on 127.0.0.1:19092
#
# Usage: scripts/services.sh up|down|restart|status|env [pg|kafka|all]
#        scripts/services.sh connect-fetch
#
# connect-fetch fetches Kafka Connect and the Debezium connectors (Postgres
# source, JDBC sink) with Maven into a cache (scripts/connect/pom.xml), for the
# tests that run them; it starts nothing. Tests start a Connect worker of their
# own on a port of their own and stop it (test/helpers/connect.ts).
#
# Everything lives under $CUSTSYNC_VAR_DIR (default <repo>/.var). Every command
# is idempotent: `up` on running services and `down` on stopped ones are no-ops.
#
# Knobs (environment):
#   CUSTSYNC_VAR_DIR                 state dir            (default <repo>/.var)
#   CUSTSYNC_PG_PORT                 Postgres port        (default 55432)
#   CUSTSYNC_KAFKA_PORT              Kafka client port    (default 19092)
#   CUSTSYNC_KAFKA_CONTROLLER_PORT   KRaft controller     (default 19093)
#   CUSTSYNC_START_TIMEOUT           readiness wait, s    (default 60)
#   CUSTSYNC_CONNECT_DIR             Connect/Debezium jar cache (default <repo>/.var/connect;
#                                    shared by every var dir: it holds no state)
#   PG_BIN                           PostgreSQL binaries  (default /usr/lib/postgresql/15/bin,
#                                                          else `pg_config --bindir`)
#
# Exit codes: 0 ok; 1 failure (or `status`: something requested is not running);
# 2 missing prerequisite (java, mvn, PostgreSQL binaries); 3 kcat missing;
# 64 usage error.
set -euo pipefail

readonly KAFKA_VERSION=3.9.1
readonly KAFKA_JAR="kafka_2.13-${KAFKA_VERSION}.jar"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# Canonical absolute path (symlinks resolved) without creating anything yet:
# process command lines and working directories are matched against it.
VAR="$(realpath -m -- "${CUSTSYNC_VAR_DIR:-$REPO/.var}")"

PG_PORT="${CUSTSYNC_PG_PORT:-55432}"
KAFKA_PORT="${CUSTSYNC_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${CUSTSYNC_KAFKA_CONTROLLER_PORT:-19093}"
START_TIMEOUT="${CUSTSYNC_START_TIMEOUT:-60}"
if [[ -z "${PG_BIN:-}" ]]; then
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    PG_BIN=/usr/lib/postgresql/15/bin
  elif command -v pg_config >/dev/null 2>&1; then
    PG_BIN="$(pg_config --bindir)"
  else
    PG_BIN=/usr/lib/postgresql/15/bin
  fi
fi

# Libpq variables from the caller's environment must not redirect our
# commands to another server (e.g. the system cluster on 5432).
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGDATA PGSERVICE PGSERVICEFILE \
      PGOPTIONS PGPASSWORD PGPASSFILE PGSSLMODE PGTARGETSESSIONATTRS 2>/dev/null || true

PG_LINK="$VAR/pg"            # what users see; may be a symlink, see pg_layout
PG_DIR=""                    # real directory, set by pg_layout
PG_DATA="" PG_SOCK="" PG_LOG=""
KAFKA_DIR="$VAR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/kafka.log"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DIR/cluster.id"
KAFKA_LIBS_MARKER="$KAFKA_LIBS/.custsync-fetched"
KAFKA_POM="$REPO/scripts/kafka/pom.xml"
CONNECT_DIR="$(realpath -m -- "${CUSTSYNC_CONNECT_DIR:-$REPO/.var/connect}")"
CONNECT_POM="$REPO/scripts/connect/pom.xml"
KAFKA_LOG4J="$REPO/scripts/kafka/log4j.properties"

IS_ROOT=0
[[ "$(id -u)" -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------- helpers ----
say() { printf 'custsync services: %s\n' "$*"; }
err() { printf 'custsync services: ERROR: %s\n' "$*" >&2; }

# Path relative to the repo when it is inside it (for short log lines).
rel() {
  case "$1" in
    "$REPO"/*) printf '%s' "${1#"$REPO"/}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# Prints the last lines of a log file to stderr, framed.
show_log_tail() {
  local file="$1" n="${2:-20}"
  if [[ -r "$file" ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
    tail -n "$n" "$file" >&2 || true
    printf -- '----- end of %s -----\n' "$file" >&2
  else
    printf 'custsync services: (log file %s does not exist)\n' "$file" >&2
  fi
}

# True when the process exists and is not a zombie (a killed process stays a
# zombie until init reaps it; it holds no port, lock or socket any more).
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Describes who listens on a port (best effort, for error messages).
port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(\(.*\))$/\1/p' | head -n 1
  fi
}

# For status lines: mentions a port that is busy although our service is down.
port_note() {
  if port_open "$1"; then
    printf ', but 127.0.0.1:%s is in use by another process (%s)' "$1" "$(port_owner "$1")"
  fi
}

# Command line of a pid, arguments separated by newlines.
cmdline_of() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null || true; }

# Runs a command as the user that owns the Postgres cluster: the `postgres`
# system user when we are root (initdb/postgres refuse to run as root), the
# current user otherwise. Runs from / so that an unreadable cwd does not matter,
# and never lets the lock fd leak into long-lived children.
as_pg() {
  if [[ $IS_ROOT -eq 1 ]]; then
    (cd / && runuser -u postgres -- "$@" 9>&-)
  else
    (cd / && "$@" 9>&-)
  fi
}

# Serialises concurrent invocations (tests may call us in parallel).
take_lock() {
  exec 9>"$VAR/.services.lock"
  if ! flock -w 600 9; then
    err "timed out waiting for another scripts/services.sh run (lock $VAR/.services.lock)"
    exit 1
  fi
}

# ----------------------------------------------------------- prerequisites ---
need_pg_bins() {
  local b
  for b in initdb pg_ctl postgres psql pg_isready; do
    if [[ ! -x "$PG_BIN/$b" ]]; then
      err "PostgreSQL binary $PG_BIN/$b is missing: install the Debian package postgresql-15 (or postgresql), or set PG_BIN"
      exit 2
    fi
  done
  if [[ $IS_ROOT -eq 1 ]] && ! getent passwd postgres >/dev/null; then
    err "running as root but there is no 'postgres' system user to run the cluster as (install the Debian package postgresql-15, or run as a normal user)"
    exit 2
  fi
}

need_java() {
  if ! command -v java >/dev/null 2>&1; then
    err "java is missing: install the Debian package openjdk-17-jre-headless"
    exit 2
  fi
}

need_mvn() {
  if ! command -v mvn >/dev/null 2>&1; then
    err "mvn is missing (needed once to fetch Kafka $KAFKA_VERSION): install the Debian package maven"
    exit 2
  fi
}

need_kcat() {
  command -v kcat >/dev/null 2>&1 && return 0
  if [[ $IS_ROOT -eq 1 ]]; then
    say "kcat not found, installing the Debian package kcat"
    local log="$VAR/apt-kcat.log"
    if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
             install -y -qq --no-install-recommends kcat; } >"$log" 2>&1; then
      show_log_tail "$log"
      err "kcat missing and 'apt-get install kcat' failed (see $log)"
      exit 3
    fi
    command -v kcat >/dev/null 2>&1 || { err "kcat still missing after apt-get install kcat"; exit 3; }
    return 0
  fi
  err "kcat missing: sudo apt-get install kcat"
  exit 3
}

# --------------------------------------------------------------- postgres ----

# Decides where the cluster lives. Normally $VAR/pg. When root, the `postgres`
# user must be able to reach that directory; if an ancestor of $VAR is not
# traversable by it (e.g. a checkout under /root), or the unix socket path
# would exceed the 107-byte limit, the cluster lives in /tmp/custsync-pg-<hash>
# and $VAR/pg is a symlink to it.
pg_layout() {
  local hash alt
  hash="$(printf '%s' "$VAR" | sha256sum | cut -c1-12)"
  alt="/tmp/custsync-pg-$hash"
  if [[ -L "$PG_LINK" ]]; then
    PG_DIR="$(readlink -f "$PG_LINK")"
  elif [[ -d "$PG_LINK" ]]; then
    PG_DIR="$PG_LINK"
  else
    local relocate=0 sock_path="$PG_LINK/run/.s.PGSQL.$PG_PORT"
    ((${#sock_path} > 100)) && relocate=1
    if [[ $IS_ROOT -eq 1 && $relocate -eq 0 ]] &&
       ! (cd / && runuser -u postgres -- test -x "$VAR") 2>/dev/null; then
      relocate=1
    fi
    if [[ $relocate -eq 1 ]]; then
      # A fresh $VAR means a fresh cluster: drop leftovers of an old one
      # (unless, oddly, a postmaster still runs from there).
      if [[ -e "$alt" ]] && ! pid_alive "$(head -n 1 "$alt/data/postmaster.pid" 2>/dev/null || true)"; then
        rm -rf "$alt"
      fi
      mkdir -p "$alt"
      chmod 700 "$alt"
      ln -sfn "$alt" "$PG_LINK"
      PG_DIR="$alt"
      say "postgres dir relocated to $alt (symlinked from $(rel "$PG_LINK")): the postgres user cannot reach $VAR or the socket path is too long"
    else
      mkdir -p "$PG_LINK"
      PG_DIR="$PG_LINK"
    fi
  fi
  PG_DATA="$PG_DIR/data"
  PG_SOCK="$PG_DIR/run"
  PG_LOG="$PG_DIR/postgres.log"
}

pg_fix_owner() {
  [[ $IS_ROOT -eq 1 ]] || return 0
  if [[ "$(stat -c %U "$PG_DIR")" != postgres ]] ||
     { [[ -e "$PG_DATA" ]] && [[ "$(stat -c %U "$PG_DATA")" != postgres ]]; }; then
    chown -R postgres:postgres "$PG_DIR"
  fi
  if ! (cd / && runuser -u postgres -- test -w "$PG_DIR") 2>/dev/null; then
    err "the postgres user cannot write to $PG_DIR (check the permissions of its parent directories)"
    exit 1
  fi
}

# Postmaster pid from postmaster.pid, if that process is alive.
pg_pid() {
  local pid
  pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid"; then
    printf '%s' "$pid"
  fi
}

# True when the postmaster named in postmaster.pid is alive and really is ours
# (its working directory is our data dir; guards against a reused pid).
pg_running() {
  local pid
  pid="$(pg_pid)"
  [[ -n "$pid" ]] || return 1
  local cwd
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  [[ "$cwd" == "$PG_DATA" ]]
}

# Processes whose working directory is our data dir (every postgres process
# chdirs there): finds backends orphaned by a killed postmaster, and our
# postmaster even after $VAR was deleted under it.
pg_dir_pids() {
  local p cwd
  for p in /proc/[0-9]*; do
    cwd="$(readlink "$p/cwd" 2>/dev/null || true)"
    if [[ "$cwd" == "$PG_DATA" || "$cwd" == "$PG_DATA (deleted)" ]]; then
      printf '%s\n' "${p#/proc/}"
    fi
  done
}

# Waits for leftover processes of our cluster to exit; SIGKILLs them after $1 s.
pg_reap_leftovers() {
  local wait_s="${1:-10}" i pids
  for ((i = 0; i < wait_s * 4; i++)); do
    pids="$(pg_dir_pids)"
    [[ -z "$pids" ]] && return 0
    sleep 0.25
  done
  pids="$(pg_dir_pids)"
  if [[ -n "$pids" ]]; then
    say "postgres: killing leftover processes $(tr "\n" " " <<<"$pids")"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  fi
}

pg_write_config() {
  # Our settings live in custsync.conf, included from postgresql.conf; it is
  # rewritten on every start so that knob changes take effect.
  local conf="$PG_DATA/custsync.conf"
  cat >"$conf" <<EOF
# Written by scripts/services.sh on every start; edits are overwritten.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
shared_buffers = 256MB
wal_level = logical
max_wal_senders = 20
max_replication_slots = 20
wal_keep_size = 0
max_slot_wal_keep_size = -1
synchronous_commit = on
EOF
  if ! grep -q "^include_if_exists = 'custsync.conf'" "$PG_DATA/postgresql.conf"; then
    printf "\n# custsync dev/test settings (scripts/services.sh)\ninclude_if_exists = 'custsync.conf'\n" \
      >>"$PG_DATA/postgresql.conf"
  fi
  cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# Written by scripts/services.sh: local dev/test cluster, loopback only.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
host    all          all   127.0.0.1/32   trust
local   replication  all                  trust
host    replication  all   127.0.0.1/32   trust
EOF
  if [[ $IS_ROOT -eq 1 ]]; then chown postgres:postgres "$conf" "$PG_DATA/pg_hba.conf"; fi
}

pg_psql() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"
}

pg_init() {
  if [[ -f "$PG_DATA/PG_VERSION" ]]; then
    local have want
    have="$(cat "$PG_DATA/PG_VERSION")"
    want="$("$PG_BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
    if [[ "$have" != "$want" ]]; then
      err "$PG_DATA holds a PostgreSQL $have cluster but $PG_BIN is PostgreSQL $want: set PG_BIN or delete $(rel "$PG_LINK")"
      exit 1
    fi
    return 0
  fi
  # A data dir without PG_VERSION is an interrupted initdb: start over.
  [[ -e "$PG_DATA" ]] && rm -rf "$PG_DATA"
  say "postgres: initdb $(rel "$PG_LINK")/data"
  local log="$PG_DIR/initdb.log"
  if [[ $IS_ROOT -eq 1 ]]; then : >"$log"; chown postgres:postgres "$log"; fi
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C \
        >"$log" 2>&1; then
    show_log_tail "$log"
    err "initdb failed (see $log)"
    exit 1
  fi
}

pg_up() {
  need_pg_bins
  pg_layout
  pg_fix_owner
  local pid
  if pg_running; then
    pid="$(pg_pid)"
    say "postgres already running on 127.0.0.1:$PG_PORT (pid ${pid:-?}, log $(rel "$PG_LINK")/postgres.log)"
  else
    if port_open "$PG_PORT"; then
      err "port 127.0.0.1:$PG_PORT is already in use by another process ($(port_owner "$PG_PORT")); set CUSTSYNC_PG_PORT or stop it"
      exit 1
    fi
    pg_init
    # After a crash (kill -9 of the postmaster) its children exit by themselves
    # within moments; they must be gone before a new postmaster can start.
    pg_reap_leftovers 10
    # No process of ours is left, so postmaster.pid and the socket lock file
    # are stale (a crash). Postgres refuses to start while the pid they name
    # exists, which includes a not-yet-reaped zombie or a reused pid.
    if [[ -f "$PG_DATA/postmaster.pid" ]]; then
      say "postgres: removing stale postmaster.pid (previous run did not shut down cleanly)"
      rm -f "$PG_DATA/postmaster.pid"
    fi
    rm -f "$PG_SOCK"/.s.PGSQL.*
    mkdir -p "$PG_SOCK"
    if [[ $IS_ROOT -eq 1 ]]; then chown postgres:postgres "$PG_SOCK" "$PG_DIR"; fi
    chmod 700 "$PG_SOCK"
    pg_write_config
    if [[ $IS_ROOT -eq 1 && ! -e "$PG_LOG" ]]; then : >"$PG_LOG"; chown postgres:postgres "$PG_LOG"; fi
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -s \
          -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1" \
          start -w -t "$START_TIMEOUT" </dev/null >/dev/null 2>&1; then
      show_log_tail "$PG_LOG"
      err "postgres failed to start (pg_ctl start, timeout ${START_TIMEOUT}s): read $PG_LOG"
      as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -s stop -m immediate -w -t 10 >/dev/null 2>&1 || true
      exit 1
    fi
    pid="$(pg_pid)"
    say "postgres started on 127.0.0.1:$PG_PORT (pid ${pid:-?}, log $(rel "$PG_LINK")/postgres.log)"
  fi
  pg_wait_ready
  if [[ -z "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='custsync'")" ]]; then
    pg_psql -d postgres -c "CREATE DATABASE custsync" >/dev/null
    say "postgres: created database custsync"
  fi
}

pg_wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres &&
       pg_psql -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$PG_LOG"
      err "postgres on 127.0.0.1:$PG_PORT does not answer SELECT 1 after ${START_TIMEOUT}s: read $PG_LOG"
      exit 1
    fi
    sleep 0.5
  done
}

pg_down() {
  need_pg_bins
  if [[ ! -e "$PG_LINK" ]]; then
    # $VAR was deleted: a postmaster may still run from the deleted data dir.
    PG_DATA="$PG_LINK/data"
    local pids post
    pids="$(pg_dir_pids)"
    if [[ -n "$pids" ]]; then
      # The postmaster is the one whose parent is not one of them.
      local p ppid
      post=""
      for p in $pids; do
        ppid="$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)"
        if ! grep -qxF -- "$ppid" <<<"$pids"; then post="$p"; break; fi
      done
      post="${post:-$(head -n 1 <<<"$pids")}"
      say "postgres: $(rel "$PG_LINK") is gone but its postmaster (pid $post) still runs: stopping it"
      kill -INT "$post" 2>/dev/null || true
      pg_reap_leftovers 30
      say "postgres stopped (was pid $post)"
      return 0
    fi
    say "postgres already stopped"
    return 0
  fi
  pg_layout
  local pid
  pid="$(pg_pid)"
  if pg_running; then
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -s stop -m fast -w -t 60 </dev/null >/dev/null 2>&1; then
      say "postgres: fast shutdown did not finish, using immediate shutdown"
      as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -s stop -m immediate -w -t 30 </dev/null >/dev/null 2>&1 || true
    fi
    pg_reap_leftovers 10
    say "postgres stopped (was pid ${pid:-?})"
  else
    if [[ -n "$(pg_dir_pids)" ]]; then
      say "postgres: cleaning up leftover processes of a crashed cluster"
      pg_reap_leftovers 5
    fi
    say "postgres already stopped"
  fi
}

pg_status() {
  pg_layout_quiet
  local pid
  if [[ -n "$PG_DATA" ]] && pg_running; then
    pid="$(pg_pid)"
    local ready=1
    if [[ -x "$PG_BIN/pg_isready" ]]; then
      "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres || ready=0
    else
      port_open "$PG_PORT" || ready=0
    fi
    if [[ $ready -eq 1 ]]; then
      say "postgres running on 127.0.0.1:$PG_PORT (pid ${pid:-?}, data $(rel "$PG_LINK")/data, socket dir $(rel "$PG_LINK")/run, log $(rel "$PG_LINK")/postgres.log)"
      return 0
    fi
    say "postgres process running (pid ${pid:-?}) but not accepting connections on 127.0.0.1:$PG_PORT (log $(rel "$PG_LINK")/postgres.log)"
    return 1
  fi
  say "postgres stopped (data $(rel "$PG_LINK")/data, log $(rel "$PG_LINK")/postgres.log)$(port_note "$PG_PORT")"
  return 1
}

# Like pg_layout, but never creates anything (for status).
pg_layout_quiet() {
  if [[ -e "$PG_LINK" ]]; then
    PG_DIR="$(readlink -f "$PG_LINK")"
    PG_DATA="$PG_DIR/data" PG_SOCK="$PG_DIR/run" PG_LOG="$PG_DIR/postgres.log"
  else
    PG_DIR="" PG_DATA="" PG_SOCK="" PG_LOG=""
  fi
}

# ------------------------------------------------------------------ kafka ----

# Pids of broker JVMs running our server.properties (exact argv match).
kafka_pids() {
  local p args
  for p in /proc/[0-9]*; do
    [[ -r "$p/cmdline" ]] || continue
    args="$(cmdline_of "${p#/proc/}")"
    if grep -qxF 'kafka.Kafka' <<<"$args" && grep -qxF "$KAFKA_PROPS" <<<"$args"; then
      printf '%s\n' "${p#/proc/}"
    fi
  done
}

# The broker pid: from kafka.pid when it is still our broker, else found by
# command line (then kafka.pid is rewritten).
kafka_pid() {
  local pid
  pid="$(cat "$KAFKA_PIDFILE" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" &&
     grep -qxF "$KAFKA_PROPS" <<<"$(cmdline_of "$pid")"; then
    printf '%s' "$pid"
    return 0
  fi
  pid="$(kafka_pids | head -n 1)"
  if [[ -n "$pid" ]]; then
    [[ -d "$KAFKA_DIR" ]] && printf '%s\n' "$pid" >"$KAFKA_PIDFILE"
    printf '%s' "$pid"
  fi
}

kafka_fetch() {
  local want
  want="$KAFKA_VERSION $(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  if [[ -f "$KAFKA_LIBS/$KAFKA_JAR" && -f "$KAFKA_LIBS_MARKER" ]] &&
     [[ "$(cat "$KAFKA_LIBS_MARKER")" == "$want" ]]; then
    return 0
  fi
  need_mvn
  say "kafka: fetching Kafka $KAFKA_VERSION and its dependencies with maven into $(rel "$KAFKA_LIBS")"
  local tmp="$KAFKA_LIBS.tmp" log="$KAFKA_DIR/mvn.log"
  rm -rf "$tmp"
  if ! mvn -B -q -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$tmp" \
        </dev/null >"$log" 2>&1; then
    show_log_tail "$log" 30
    err "maven could not fetch Kafka $KAFKA_VERSION (see $log)"
    exit 1
  fi
  if [[ ! -f "$tmp/$KAFKA_JAR" ]]; then
    err "maven finished but $KAFKA_JAR is not in $tmp (see $log)"
    exit 1
  fi
  printf '%s\n' "$want" >"$tmp/.custsync-fetched"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
}

kafka_java() {
  java -cp "$KAFKA_LIBS/*" "$@"
}

kafka_write_config() {
  cat >"$KAFKA_PROPS" <<EOF
# Written by scripts/services.sh on every start; edits are overwritten.
# Single-node KRaft broker+controller for custsync development and tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
message.max.bytes=5242880
replica.fetch.max.bytes=5242880
# After a crash (kill -9) the restarted broker cannot register until the
# controller expires the dead incarnation's session (default 9 s, which makes a
# restart take ~15 s). Both run in this one JVM, so a short session is safe.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
EOF
}

kafka_format() {
  [[ -f "$KAFKA_DATA/meta.properties" ]] && return 0
  local cid log="$KAFKA_DIR/format.log"
  if [[ -s "$KAFKA_CLUSTER_ID_FILE" ]]; then
    cid="$(cat "$KAFKA_CLUSTER_ID_FILE")"
  else
    cid="$(kafka_java kafka.tools.StorageTool random-uuid 2>"$log" | tail -n 1)"
    if [[ ! "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]]; then
      show_log_tail "$log"
      err "kafka: could not generate a cluster id (see $log)"
      exit 1
    fi
    printf '%s\n' "$cid" >"$KAFKA_CLUSTER_ID_FILE"
  fi
  say "kafka: formatting KRaft storage $(rel "$KAFKA_DATA") (cluster id $cid)"
  if ! kafka_java -Dlog4j.configuration="file:$KAFKA_LOG4J" kafka.tools.StorageTool format \
        -t "$cid" -c "$KAFKA_PROPS" </dev/null >"$log" 2>&1; then
    show_log_tail "$log"
    err "kafka: storage format failed (see $log)"
    exit 1
  fi
}

kafka_up() {
  need_java
  need_kcat
  mkdir -p "$KAFKA_DIR"
  local pid
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]]; then
    say "kafka already running on 127.0.0.1:$KAFKA_PORT (pid $pid, log $(rel "$KAFKA_LOG"))"
    kafka_wait_ready "$pid"
    return 0
  fi
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      err "port 127.0.0.1:$p is already in use by another process ($(port_owner "$p")); set CUSTSYNC_KAFKA_PORT / CUSTSYNC_KAFKA_CONTROLLER_PORT or stop it"
      exit 1
    fi
  done
  kafka_fetch
  mkdir -p "$KAFKA_DATA" "$KAFKA_DIR/logs"
  kafka_write_config
  kafka_format
  [[ -f "$KAFKA_LOG" ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
  # setsid: own session, so the broker outlives the shell that started it and
  # ignores its terminal's signals. All fds point at files (a caller that
  # captures our output must not wait for the broker), and fd 9 (our lock) is
  # closed.
  setsid java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_LOG4J" \
    -Dkafka.logs.dir="$KAFKA_DIR/logs" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" \
    </dev/null >"$KAFKA_LOG" 2>&1 9>&- &
  pid=$!
  disown "$pid" 2>/dev/null || true
  # setsid execs java directly (we are not a process-group leader); if it had
  # to fork, find the JVM by its command line.
  if ! grep -qxF 'kafka.Kafka' <<<"$(cmdline_of "$pid")"; then
    sleep 0.5
    pid="$(kafka_pids | head -n 1)"
  fi
  printf '%s\n' "$pid" >"$KAFKA_PIDFILE"
  kafka_wait_ready "$pid"
  say "kafka started on 127.0.0.1:$KAFKA_PORT (pid $pid, log $(rel "$KAFKA_LOG"))"
}

# True when the broker answers a metadata request and lists itself.
kafka_answers() {
  kcat -b "127.0.0.1:$KAFKA_PORT" -L -m 2 2>/dev/null | grep -q "broker 1 at 127.0.0.1:$KAFKA_PORT"
}

kafka_wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      show_log_tail "$KAFKA_LOG"
      err "kafka exited during startup: read $KAFKA_LOG"
      rm -f "$KAFKA_PIDFILE"
      exit 1
    fi
    if port_open "$KAFKA_PORT" && kafka_answers; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$KAFKA_LOG"
      err "kafka did not answer a metadata request on 127.0.0.1:$KAFKA_PORT within ${START_TIMEOUT}s: read $KAFKA_LOG (stopping it)"
      kafka_stop_pids "$pid" >/dev/null
      exit 1
    fi
    sleep 0.5
  done
}

# SIGTERM, wait up to 30 s for a clean shutdown, then SIGKILL.
kafka_stop_pids() {
  local pids="$*" i alive
  [[ -z "${pids// /}" ]] && return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 120; i++)); do
    alive=""
    for p in $pids; do pid_alive "$p" && alive+=" $p"; done
    [[ -z "$alive" ]] && return 0
    sleep 0.25
  done
  say "kafka: no clean shutdown after 30s, sending SIGKILL to$alive"
  # shellcheck disable=SC2086
  kill -KILL $alive 2>/dev/null || true
  sleep 0.5
}

kafka_down() {
  local pid others
  pid="$(kafka_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$KAFKA_PIDFILE"
    say "kafka already stopped"
    return 0
  fi
  kafka_stop_pids "$pid"
  # Anything else still running our server.properties goes too.
  others="$(kafka_pids | tr '\n' ' ')"
  if [[ -n "${others// /}" ]]; then
    say "kafka: stopping leftover broker processes $others"
    kafka_stop_pids "$others"
  fi
  if [[ -n "$(kafka_pids)" ]]; then
    err "kafka processes still running: $(kafka_pids | tr '\n' ' ')"
    exit 1
  fi
  rm -f "$KAFKA_PIDFILE"
  say "kafka stopped (was pid $pid)"
}

kafka_status() {
  local pid
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]]; then
    if port_open "$KAFKA_PORT"; then
      say "kafka running on 127.0.0.1:$KAFKA_PORT, controller 127.0.0.1:$KAFKA_CONTROLLER_PORT (pid $pid, data $(rel "$KAFKA_DATA"), log $(rel "$KAFKA_LOG"))"
      return 0
    fi
    say "kafka process running (pid $pid) but not accepting connections on 127.0.0.1:$KAFKA_PORT (log $(rel "$KAFKA_LOG"))"
    return 1
  fi
  say "kafka stopped (data $(rel "$KAFKA_DATA"), log $(rel "$KAFKA_LOG"))$(port_note "$KAFKA_PORT")"
  return 1
}

# ---------------------------------------------------------------- connect ----

# Fetches one profile of scripts/connect/pom.xml into $CONNECT_DIR/$2 unless
# the marker says that exact pom and profile are already there.
connect_fetch_part() {
  local profile="$1" dest="$CONNECT_DIR/$2" want
  want="$profile $(sha256sum "$CONNECT_POM" | cut -d' ' -f1)"
  if [[ -f "$dest/.custsync-fetched" && "$(cat "$dest/.custsync-fetched")" == "$want" ]]; then
    return 0
  fi
  need_mvn
  say "connect: fetching $profile with maven into $(rel "$dest")"
  local tmp="$dest.tmp" log="$CONNECT_DIR/mvn-$profile.log"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$dest")"
  if ! mvn -B -q -f "$CONNECT_POM" -P "$profile" dependency:copy-dependencies -DoutputDirectory="$tmp" \
        </dev/null >"$log" 2>&1; then
    show_log_tail "$log" 30
    err "maven could not fetch $profile (see $log)"
    exit 1
  fi
  printf '%s\n' "$want" >"$tmp/.custsync-fetched"
  rm -rf "$dest"
  mv "$tmp" "$dest"
}

# Kafka Connect's classpath in libs/, one isolated plugin directory per connector in plugins/.
connect_fetch() {
  need_java
  mkdir -p "$CONNECT_DIR"
  exec 8>"$CONNECT_DIR/.fetch.lock"
  if ! flock -w 600 8; then
    err "timed out waiting for another connect-fetch (lock $CONNECT_DIR/.fetch.lock)"
    exit 1
  fi
  connect_fetch_part runtime libs
  connect_fetch_part debezium-postgres plugins/debezium-connector-postgres
  connect_fetch_part debezium-jdbc plugins/debezium-connector-jdbc
  exec 8>&-
  printf 'CUSTSYNC_CONNECT_LIBS=%s\nCUSTSYNC_CONNECT_PLUGINS=%s\n' "$CONNECT_DIR/libs" "$CONNECT_DIR/plugins"
}

# ------------------------------------------------------------------- main ----
usage() {
  cat >&2 <<EOF
usage: scripts/services.sh up|down|restart|status|env [pg|kafka|all]
       scripts/services.sh connect-fetch
  up       start the services (no-op for those already running) and wait until ready
  down     stop the services (no-op for those already stopped)
  restart  stop then start
  status   show what runs where; exit 0 if all requested services run, else 1
  env      print export lines for DATABASE_URL and KAFKA_BROKERS
  connect-fetch  fetch Kafka Connect and the Debezium connectors (cached), print where they are
EOF
}

main() {
  local cmd="${1:-}" what="${2:-all}"
  if [[ $# -gt 2 || -z "$cmd" ]]; then usage; exit 64; fi
  if [[ "$cmd" == connect-fetch ]]; then
    [[ $# -eq 1 ]] || { usage; exit 64; }
    connect_fetch
    return 0
  fi
  local do_pg=0 do_kafka=0
  case "$what" in
    pg | postgres) do_pg=1 ;;
    kafka) do_kafka=1 ;;
    all) do_pg=1 do_kafka=1 ;;
    *) usage; exit 64 ;;
  esac
  case "$cmd" in
    up)
      mkdir -p "$VAR"
      take_lock
      # Check every prerequisite before starting anything.
      if [[ $do_pg -eq 1 ]]; then need_pg_bins; fi
      if [[ $do_kafka -eq 1 ]]; then need_java; need_kcat; fi
      if [[ $do_pg -eq 1 ]]; then pg_up; fi
      if [[ $do_kafka -eq 1 ]]; then kafka_up; fi
      ;;
    down)
      if [[ -d "$VAR" ]]; then take_lock; fi
      if [[ $do_kafka -eq 1 ]]; then kafka_down; fi
      if [[ $do_pg -eq 1 ]]; then pg_down; fi
      ;;
    restart)
      mkdir -p "$VAR"
      take_lock
      if [[ $do_pg -eq 1 ]]; then need_pg_bins; fi
      if [[ $do_kafka -eq 1 ]]; then need_java; need_kcat; fi
      if [[ $do_kafka -eq 1 ]]; then kafka_down; fi
      if [[ $do_pg -eq 1 ]]; then pg_down; pg_up; fi
      if [[ $do_kafka -eq 1 ]]; then kafka_up; fi
      ;;
    status)
      local rc=0
      if [[ $do_pg -eq 1 ]]; then pg_status || rc=1; fi
      if [[ $do_kafka -eq 1 ]]; then kafka_status || rc=1; fi
      exit "$rc"
      ;;
    env)
      if [[ $do_pg -eq 1 ]]; then
        printf 'export DATABASE_URL=postgres://postgres@127.0.0.1:%s/custsync\n' "$PG_PORT"
      fi
      if [[ $do_kafka -eq 1 ]]; then
        printf 'export KAFKA_BROKERS=127.0.0.1:%s\n' "$KAFKA_PORT"
      fi
      ;;
    -h | --help | help) usage ;;
    *) usage; exit 64 ;;
  esac
}

main "$@"
