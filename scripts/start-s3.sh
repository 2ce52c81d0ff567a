#!/usr/bin/env bash
# A real S3 API server for the tests of the image store: moto's server mode (PyPI; Debian has no
# MinIO), in a venv of its own, listening on loopback. Idempotent: installs it if missing, starts
# it if it is not answering, and prints its URL (the only thing it writes to stdout).
#
#   scripts/start-s3.sh          # install / start; prints http://127.0.0.1:PORT
#   scripts/start-s3.sh stop     # stops it
#
# The server takes any credentials; the image store reads them from the standard AWS_* variables
# (scripts/test.sh sets AWS_ENDPOINT_URL to this URL, AWS_ALLOW_HTTP=true and test keys).
#
# Settings (environment):
#   RECSYS_S3_HOME   where the venv, the log and the pid live (default /var/tmp/recsys-s3)
#   RECSYS_S3_PORT   TCP port on 127.0.0.1 (default 54330)
set -euo pipefail

home="${RECSYS_S3_HOME:-/var/tmp/recsys-s3}"
port="${RECSYS_S3_PORT:-54330}"
url="http://127.0.0.1:$port"
source "$(dirname "${BASH_SOURCE[0]}")/lib/python.sh"
moto_version="$(pinned moto)"
moto_version="${moto_version#*==}"

answering() {
  python3 -c "import urllib.request as u; u.urlopen('$url/', timeout=2)" 2>/dev/null
}

if [[ "${1:-}" == "stop" ]]; then
  if [[ -f "$home/pid" ]]; then
    kill "$(cat "$home/pid")" 2>/dev/null || true
    rm -f "$home/pid"
  fi
  exit 0
fi

if answering; then
  echo "$url"
  exit 0
fi

mkdir -p "$home"
if [[ ! -x "$home/venv/bin/moto_server" ]] ||
  ! "$home/venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null; then
  echo "start-s3: installing moto[server]==$moto_version into $home/venv" >&2
  venv_install "$home/venv" "moto[server]" >&2
fi

# its own session, so it outlives the script and a test run's process group
setsid "$home/venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$home/server.log" 2>&1 < /dev/null &
echo $! >"$home/pid"
for _ in $(seq 1 100); do
  if answering; then
    echo "start-s3: moto $moto_version answering at $url" >&2
    echo "$url"
    exit 0
  fi
  sleep 0.2
done
echo "start-s3: moto did not answer at $url within 20 s; its log:" >&2
tail -20 "$home/server.log" >&2
exit 1
