#!/usr/bin/env bash
# The server benchmark behind docs/benchmarks.md's server table: wrk against the recommendations
# endpoint of recsys-server (signed in, with the full response: product summaries, impression
# queued; and anonymous), beside the seed-equivalent stack in the same run: FastAPI + uvicorn
# (one worker) + implicit ALS (64 factors) on the same MovieLens-100K data, an endpoint that
# returns a user's top-10 ids and scores (benches/server/fastapi_app.py).
#
#   scripts/bench-server.sh [SECONDS] [CONNECTIONS]     # default 15 s, 32 connections
#   RECSYS_SERVER_BIN=/path/to/recsys-server scripts/bench-server.sh   # another build (before/after)
#
# Each server is pinned to core 0 and wrk to core 1 (taskset). Rows:
#   - one customer asked over and over, at log level warn and at info (the default), three
#     restarts each in turn: what a request costs around the list, and what the default
#     logging adds to it;
#   - each request the next of the 943 demo customers (both sides), with the list cache on
#     (after a warm pass: every list kept), off (every list computed), and on while 1 request in
#     100 is a checkout (a cart line and an order, so stock changes all the time; its non-2xx
#     are cart lines refused for a product sold out and the orders of the carts left empty by
#     them), with the cache's hit rate read from /metrics;
#   - anonymous (popular).
# Installs wrk (apt) and a venv of its own (benches/server/.venv: fastapi, uvicorn, implicit
# 0.7.3). Loopback only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-15}"
connections="${2:-32}"
ours_port=18941
theirs_port=18942
secret="bench-server-secret-of-at-least-32-bytes"
say() { echo "bench-server: $*" >&2; }

command -v wrk >/dev/null || { say "installing wrk (apt)"; apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
scripts/fetch-data.sh ml-100k >/dev/null
venv="$root/benches/server/.venv"
if [[ ! -x "$venv/bin/uvicorn" ]]; then
  say "creating $venv"
  source "$root/scripts/lib/python.sh"
  venv_install "$venv" fastapi uvicorn implicit numpy scipy threadpoolctl
fi
bin="${RECSYS_SERVER_BIN:-}"
if [[ -z "$bin" ]]; then
  say "building recsys-server (release)"
  cargo build --quiet --release --locked -p recsys-server
  bin="$root/target/release/recsys-server"
fi
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

# ours: the demo shop imported into a fresh SQLite file by a first start, then served by a start
# per row on it (as a shop runs: the memory of the one-off import is not the server's), with the
# settings of the row: `start_ours [VAR=VALUE ...]`
start_ours() {
  env RECSYS_LOG=json RECSYS_LOG_LEVEL=warn RECSYS_JWT_SECRET="$secret" "$@" \
    taskset -c 0 "$bin" --demo --demo-data data/ml-100k \
    --database-url "sqlite://$work/shop.db" --bind "127.0.0.1:$ours_port" --web-dir "$work/none" \
    >>"$work/ours.log" 2>&1 &
  ours=$!
  pids+=("$ours")
  wait_for "http://127.0.0.1:$ours_port/health/ready"
}
stop_ours() {
  kill -TERM "$ours"
  wait "$ours" || true
}
start_ours
stop_ours
# the customers' access tokens, minted with the server's secret (943 sign-ins would measure
# argon2, not recommendations), in the order of their MovieLens ids
python3 - "$work/shop.db" "$secret" >"$work/tokens.txt" <<'PY'
import base64, hashlib, hmac, json, re, sqlite3, sys, time, uuid
db, secret = sys.argv[1:]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
rows = sqlite3.connect(db).execute(
    "SELECT id, email FROM users WHERE email LIKE 'customer%@demo.recsys.dev'").fetchall()
rows.sort(key=lambda r: int(re.match(r"customer(\d+)@", r[1]).group(1)))
now = int(time.time())
for user_id, _ in rows:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64(json.dumps({"sub": str(user_id), "role": "user", "iat": now, "exp": now + 3 * 3600,
                             "jti": str(uuid.uuid4())}).encode())
    sig = hmac.new(secret.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest()
    print(f"{head}.{claims}.{b64(sig)}")
PY
customers=$(wc -l <"$work/tokens.txt")
say "$customers customers"

# theirs
(cd benches/server && RECSYS_ML100K="$root/data/ml-100k" OPENBLAS_NUM_THREADS=1 \
  taskset -c 0 "$venv/bin/uvicorn" fastapi_app:app --workers 1 --port "$theirs_port" \
  --log-level warning >"$work/theirs.log" 2>&1) &
theirs=$!
pids+=("$theirs")
wait_for "http://127.0.0.1:$theirs_port/recommendations/1"

# one customer over and over; each request the next customer (per wrk thread, so in order);
# the same with a checkout (a cart line, then the order) in every 100 requests
cat >"$work/signed_in.lua" <<'LUA'
local tokens = {}
local next_customer = 0
local mode = "rotating"
local sent = 0
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  mode = args[2] or mode
end
request = function()
  sent = sent + 1
  if mode == "one" then
    return wrk.format("GET", "/api/v1/products/recommendations?limit=10",
      { ["Authorization"] = "Bearer " .. tokens[1] })
  end
  local auth = { ["Authorization"] = "Bearer " .. tokens[next_customer + 1],
                 ["Content-Type"] = "application/json" }
  if mode == "checkouts" and sent % 100 == 0 then
    return wrk.format("PUT", "/api/v1/cart/items/" .. math.random(1682), auth, '{"quantity":1}')
  end
  if mode == "checkouts" and sent % 100 == 1 and sent > 1 then
    return wrk.format("POST", "/api/v1/orders", auth, "{}")
  end
  next_customer = (next_customer + 1) % #tokens
  return wrk.format("GET", "/api/v1/products/recommendations?limit=10", auth)
end
LUA
cat >"$work/users.lua" <<'LUA'
local next_user = 0
request = function()
  next_user = next_user % 943 + 1
  return wrk.format("GET", "/recommendations/" .. next_user)
end
LUA

rss() { grep VmRSS "/proc/$1/status" | awk '{print $2}'; }

# the list cache's hits and lookups so far (its counters on /metrics)
cache_counts() {
  curl -sf "http://127.0.0.1:$ours_port/metrics" | awk '
    /^recsys_list_cache_total\{/ { total += $NF; if ($0 ~ /result="hit"/) hits += $NF }
    END { printf "%d %d\n", hits, total }'
}

run_wrk() { # NAME SERVER_PID URL [SCRIPT [SCRIPT ARGS...]]: the RSS is read near the end, under load
  local name="$1" pid="$2" url="$3" script=()
  shift 3
  if [[ $# -gt 0 ]]; then
    script=(-s "$1")
    shift
  fi
  [[ "$url" == *":$ours_port"* ]] && cache_counts >"$work/$name.cache0"
  taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" --latency "${script[@]}" "$url" ${1:+--} "$@" \
    >"$work/$name.wrk" &
  local load=$!
  sleep $((seconds > 3 ? seconds - 2 : 1))
  rss "$pid" >"$work/$name.rss"
  wait "$load"
  [[ "$url" == *":$ours_port"* ]] && cache_counts >"$work/$name.cache1"
  return 0
}

server_pid() { # the uvicorn process listening on the port (its parent is the subshell)
  pgrep -f "uvicorn fastapi_app:app" | head -1
}

ours_url="http://127.0.0.1:$ours_port"
warm() { # one pass over every customer, so each list is kept
  taskset -c 1 wrk -t1 -c4 -d3s -s "$work/signed_in.lua" "$ours_url" -- "$work/tokens.txt" rotating >/dev/null
}
say "FastAPI + implicit, each request the next user"
taskset -c 1 wrk -t1 -c4 -d3s -s "$work/users.lua" "http://127.0.0.1:$theirs_port" >/dev/null
run_wrk theirs "$(server_pid)" "http://127.0.0.1:$theirs_port" "$work/users.lua"
kill "$(server_pid)" "$theirs" 2>/dev/null || true

# the log level's cost: warn and info (the default) in turn, three times each (a restart alone
# moves a run by a few per cent; the table shows the median of each)
for round in 1 2 3; do
  for level in warn info; do
    say "recsys-server, one customer, log level $level ($round)"
    start_ours RECSYS_LOG_LEVEL=$level
    warm
    run_wrk "ours_one_${level}_$round" "$ours" "$ours_url" "$work/signed_in.lua" "$work/tokens.txt" one
    stop_ours
  done
done
say "recsys-server, each request the next customer, list cache on"
start_ours
warm
run_wrk ours_rotating "$ours" "$ours_url" "$work/signed_in.lua" "$work/tokens.txt" rotating
say "recsys-server, each request the next customer, 1 in 100 a checkout"
run_wrk ours_checkouts "$ours" "$ours_url" "$work/signed_in.lua" "$work/tokens.txt" checkouts
say "recsys-server, anonymous"
run_wrk ours_anonymous "$ours" "$ours_url/api/v1/products/recommendations?limit=10"
stop_ours
say "recsys-server, each request the next customer, list cache off"
start_ours RECSYS_LIST_CACHE_ENTRIES=0
warm
run_wrk ours_rotating_off "$ours" "$ours_url" "$work/signed_in.lua" "$work/tokens.txt" rotating
stop_ours

python3 - "$work" "$seconds" "$connections" "$customers" <<'PY'
import os, re, sys
work, seconds, connections, customers = sys.argv[1:]

def parse(name):
    text = open(os.path.join(work, name + ".wrk")).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", text)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: (.*)", text)
    rss = int(open(os.path.join(work, name + ".rss")).read().strip() or 0)
    hit_rate = None
    if os.path.exists(os.path.join(work, name + ".cache1")):
        h0, t0 = map(int, open(os.path.join(work, name + ".cache0")).read().split())
        h1, t1 = map(int, open(os.path.join(work, name + ".cache1")).read().split())
        hit_rate = (h1 - h0) / (t1 - t0) if t1 > t0 else None
    return dict(rps=rps, p50=pct(50), p99=pct(99), errors=int(errors.group(1)) if errors else 0,
                socket=socket.group(1) if socket else "", rss=rss, hit_rate=hit_rate)

def median(names):
    runs = sorted((parse(n) for n in names), key=lambda r: r["rps"])
    out = dict(runs[len(runs) // 2])
    out["errors"] = sum(r["errors"] for r in runs)
    out["runs"] = [parse(n)["rps"] for n in names]
    return out

theirs = parse("theirs")
rows = [
    ("recsys-server, one customer over and over, log level warn (median of 3 runs)",
     median([f"ours_one_warn_{i}" for i in (1, 2, 3)])),
    ("recsys-server, one customer over and over, log level info: the default (median of 3 runs)",
     median([f"ours_one_info_{i}" for i in (1, 2, 3)])),
    (f"recsys-server, each request the next of {customers} customers, list cache on (warm)",
     parse("ours_rotating")),
    (f"recsys-server, each request the next of {customers} customers, 1 in 100 a checkout",
     parse("ours_checkouts")),
    (f"recsys-server, each request the next of {customers} customers, list cache off",
     parse("ours_rotating_off")),
    ("recsys-server, anonymous (popular)", parse("ours_anonymous")),
    ("FastAPI + uvicorn (1 worker) + implicit ALS, each request the next user, top-10 ids",
     theirs),
]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
print(f"wrk -t1 -c{connections} -d{seconds}s, server on core 0, wrk on core 1; {cpu} ({simd})\n")
print("| server | req/s | p50 ms | p99 ms | vs FastAPI | list cache hits | RSS under load MB | non-2xx |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for label, r in rows:
    hits = "" if r["hit_rate"] is None else f"{100 * r['hit_rate']:.1f}%"
    print(f"| {label} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
          f"{r['rps'] / theirs['rps']:.1f}x | {hits} | {r['rss'] / 1024:.0f} | {r['errors']} |")
    if r["socket"]:
        print(f"|   socket errors: {r['socket']} | | | | | | | |")
warn, info = rows[0][1], rows[1][1]
spread = lambda r: 100 * (max(r["runs"]) - min(r["runs"])) / max(r["runs"])
print(f"\nlog level info: {100 * (1 - info['rps'] / warn['rps']):.1f}% fewer req/s than warn (medians; "
      f"runs in turn: warn {', '.join(f'{x:,.0f}' for x in warn['runs'])}, spread {spread(warn):.1f}%; "
      f"info {', '.join(f'{x:,.0f}' for x in info['runs'])}, spread {spread(info):.1f}%)")
PY
