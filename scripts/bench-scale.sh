#!/usr/bin/env bash
# A real shop's size: a synthetic shop (benches/scale/generate_shop.py; full = 150,000 products,
# 1,500,000 customers, 10,000,000 events; small = a tenth) imported, trained, started and
# served, measured on each backend (benches/scale/run.py). Prints one table: import time and
# rows/s, database size, training time of every model kind, activation, start to ready, the
# server's RSS (idle, while training, serving), and wrk (server on core 0, wrk on core 1, 32
# connections) for recommendations with the list cache on and off, similar items, search, a
# product page and a filtered catalog page, each over many different customers, products,
# categories or queries.
#
#   scripts/bench-scale.sh [--size small|full] [--seconds S]   # default: small, 10 s per route
#   BACKENDS=sqlite scripts/bench-scale.sh --size full          # one backend
#   KEEP_WORK=1 BACKENDS=sqlite scripts/bench-scale.sh          # keep the SQLite shop (trained,
#                                                                # hybrid active) for profiling
#   SERVE_ONLY=/tmp/tmp.XXXX scripts/bench-scale.sh --size full   # the serving rows again on a kept
#                                                                # SQLite shop (no import, no training)
#   RECSYS_SERVER_BIN=/path/recsys-server scripts/bench-scale.sh # another build (a before/after)
#
# The shop is written once per size into target/bench-scale/<size>/ (ignored; deterministic).
# Results go to target/bench-scale/<size>-<backend>.json; `python3 benches/scale/run.py --table
# FILES...` prints earlier ones side by side. Installs wrk (apt). Loopback only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
size=small
seconds=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size="$2"; shift 2;;
    --seconds) seconds="$2"; shift 2;;
    *) echo "usage: scripts/bench-scale.sh [--size small|full|tiny] [--seconds S]" >&2; exit 2;;
  esac
done
backends="${BACKENDS:-sqlite postgres}"
say() { echo "bench-scale: $*" >&2; }

command -v wrk >/dev/null || { say "installing wrk (apt)"; apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
bin="${RECSYS_SERVER_BIN:-}"
if [[ -z "$bin" ]]; then
  say "building recsys-server (release)"
  cargo build --quiet --release --locked -p recsys-server
  bin="$root/target/release/recsys-server"
fi
data="$root/target/bench-scale/$size"
if [[ ! -f "$data/events.csv" ]]; then
  say "writing the $size shop into $data"
  python3 benches/scale/generate_shop.py --size "$size" "$data"
fi

results=()
if [[ -n "${SERVE_ONLY:-}" ]]; then
  [[ -f "$SERVE_ONLY/shop.db" ]] || { say "SERVE_ONLY=$SERVE_ONLY has no shop.db (KEEP_WORK=1 keeps one)"; exit 2; }
  out="$root/target/bench-scale/$size-sqlite-serving.json"
  python3 benches/scale/run.py --bin "$bin" --data "$data" --url "sqlite://$SERVE_ONLY/shop.db" \
    --label "$size, sqlite (serving)" --work "$SERVE_ONLY" --seconds "$seconds" --out "$out" \
    --serve-only >/dev/null
  python3 benches/scale/run.py --table "$out"
  exit 0
fi
for backend in $backends; do
  work="$(mktemp -d)"
  case "$backend" in
    sqlite)
      url="sqlite://$work/shop.db"
      psql=psql;;
    postgres)
      admin="$(scripts/start-postgres.sh 2>/dev/null)"
      bindir="$(scripts/start-postgres.sh install "$(scripts/start-postgres.sh current)")"
      psql="$bindir/psql"
      name="bench_scale_$$"
      "$psql" "$admin" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
      url="${admin/\/postgres\?/\/$name?}";;
    *) say "unknown backend $backend"; exit 2;;
  esac
  out="$root/target/bench-scale/$size-$backend.json"
  python3 benches/scale/run.py --bin "$bin" --data "$data" --url "$url" --label "$size, $backend" \
    --work "$work" --psql "$psql" --seconds "$seconds" --out "$out" >/dev/null
  results+=("$out")
  [[ "$backend" == postgres ]] && "$psql" "$admin" -qc "DROP DATABASE IF EXISTS $name"
  if [[ -n "${KEEP_WORK:-}" ]]; then
    say "kept $work ($url)"
  else
    rm -rf "$work"
  fi
done
python3 benches/scale/run.py --table "${results[@]}"
