#!/usr/bin/env bash
# The server benchmark behind docs/benchmarks.md's server table: wrk against the recommendations
# endpoint of recsys-server (signed in, with the full response: product summaries, impression
# queued; and anonymous), beside the seed-equivalent stack in the same run: FastAPI + uvicorn
# (one worker) + implicit ALS (64 factors) on the same MovieLens-100K data, an endpoint that
# returns a user's top-10 ids and scores (benches/server/fastapi_app.py).
#
#   scripts/bench-server.sh [SECONDS] [CONNECTIONS]     # default 15 s, 32 connections
#
# Each server is pinned to core 0 and wrk to core 1 (taskset); the signed-in runs pick one of 200
# users at random per request on both sides. Installs wrk (apt) and a venv of its own
# (benches/server/.venv: fastapi, uvicorn, implicit 0.7.3). Loopback only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-15}"
connections="${2:-32}"
ours_port=18941
theirs_port=18942
say() { echo "bench-server: $*" >&2; }

command -v wrk >/dev/null || { say "installing wrk (apt)"; apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
scripts/fetch-data.sh ml-100k >/dev/null
venv="$root/benches/server/.venv"
if [[ ! -x "$venv/bin/uvicorn" ]]; then
  say "creating $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "fastapi==0.163.*" "uvicorn==0.54.*" \
    implicit==0.7.3 numpy scipy threadpoolctl
fi
say "building recsys-server (release)"
cargo build --quiet --release --locked -p recsys-server
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {
  for _ in $(seq 240); do
    curl -sf "$1" >/dev/null && return 0
    sleep 0.5
  done
  say "$1 did not come up"
  exit 1
}

# ours: the demo shop imported into a fresh SQLite file by a first start, then served by a second
# start on it (as a shop runs: the memory of the one-off import is not the server's); the login
# limit raised for the 200 sign-ins below
start_ours() {
  RECSYS_LOG=json RECSYS_LOG_LEVEL=warn RECSYS_LOGIN_MAX_FAILURES=100000 RECSYS_LOGIN_ACCOUNT_MAX_FAILURES=100000 \
    taskset -c 0 target/release/recsys-server --demo --demo-data data/ml-100k \
    --database-url "sqlite://$work/shop.db" --bind "127.0.0.1:$ours_port" --web-dir "$work/none" \
    >>"$work/ours.log" 2>&1 &
  ours=$!
  pids+=("$ours")
  wait_for "http://127.0.0.1:$ours_port/health/ready"
}
start_ours
kill -TERM "$ours"
wait "$ours" || true
start_ours
for u in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$ours_port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"customer$u@demo.recsys.dev\",\"password\":\"demo-shopper\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
done >"$work/tokens.txt"

# theirs
(cd benches/server && RECSYS_ML100K="$root/data/ml-100k" OPENBLAS_NUM_THREADS=1 \
  taskset -c 0 "$venv/bin/uvicorn" fastapi_app:app --workers 1 --port "$theirs_port" \
  --log-level warning >"$work/theirs.log" 2>&1) &
theirs=$!
pids+=("$theirs")
wait_for "http://127.0.0.1:$theirs_port/recommendations/1"

cat >"$work/signed_in.lua" <<'LUA'
local tokens = {}
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
end
request = function()
  return wrk.format("GET", "/api/v1/products/recommendations?limit=10",
    { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
LUA
cat >"$work/users.lua" <<'LUA'
request = function()
  return wrk.format("GET", "/recommendations/" .. math.random(200))
end
LUA

rss() { grep VmRSS "/proc/$1/status" | awk '{print $2}'; }

run_wrk() { # NAME SERVER_PID URL [SCRIPT [SCRIPT ARGS...]]: the RSS is read near the end, under load
  local name="$1" pid="$2" url="$3" script=()
  shift 3
  if [[ $# -gt 0 ]]; then
    script=(-s "$1")
    shift
  fi
  taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" --latency "${script[@]}" "$url" ${1:+--} "$@" \
    >"$work/$name.wrk" &
  local load=$!
  sleep $((seconds > 3 ? seconds - 2 : 1))
  rss "$pid" >"$work/$name.rss"
  wait "$load"
}

server_pid() { # the uvicorn process listening on the port (its parent is the subshell)
  pgrep -f "uvicorn fastapi_app:app" | head -1
}

say "warming up"
taskset -c 1 wrk -t1 -c4 -d3s -s "$work/signed_in.lua" "http://127.0.0.1:$ours_port" -- "$work/tokens.txt" >/dev/null
taskset -c 1 wrk -t1 -c4 -d3s -s "$work/users.lua" "http://127.0.0.1:$theirs_port" >/dev/null
say "recsys-server, signed in"
run_wrk ours_signed_in "$ours" "http://127.0.0.1:$ours_port" "$work/signed_in.lua" "$work/tokens.txt"
say "recsys-server, anonymous"
run_wrk ours_anonymous "$ours" "http://127.0.0.1:$ours_port/api/v1/products/recommendations?limit=10"
say "FastAPI + implicit"
run_wrk theirs "$(server_pid)" "http://127.0.0.1:$theirs_port" "$work/users.lua"

python3 - "$work" "$seconds" "$connections" <<'PY'
import os, re, sys
work, seconds, connections = sys.argv[1:]

def parse(name):
    text = open(os.path.join(work, name + ".wrk")).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", text)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: (.*)", text)
    return rps, pct(50), pct(99), int(errors.group(1)) if errors else 0, socket.group(1) if socket else ""

rows = [
    ("recsys-server, signed in (product summaries, impression recorded)", "ours_signed_in"),
    ("recsys-server, anonymous (popular)", "ours_anonymous"),
    ("FastAPI + uvicorn (1 worker) + implicit ALS, top-10 ids and scores", "theirs"),
]
base = parse("theirs")[0]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"wrk -t1 -c{connections} -d{seconds}s, server on core 0, wrk on core 1; {cpu}\n")
print("| server | req/s | p50 ms | p99 ms | vs FastAPI | RSS under load MB | non-2xx |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for label, name in rows:
    rps, p50, p99, errors, socket = parse(name)
    rss = int(open(os.path.join(work, name + ".rss")).read().strip() or 0)
    print(f"| {label} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {rps / base:.1f}x | {rss / 1024:.0f} | {errors} |")
    if socket:
        print(f"|   socket errors: {socket} | | | | | | |")
PY
