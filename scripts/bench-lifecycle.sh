#!/usr/bin/env bash
# The model-lifecycle figures in docs/server.md: on the MovieLens-100K demo shop, how long a
# training run of each model kind takes (fit + hold-out evaluation + final fit, as the run
# records it), how long an activation takes (load + checksum + swap, the API call), and how long
# a second replica on the same database takes to serve the newly activated version.
#
#   scripts/bench-lifecycle.sh
#
# Uses the release build, a fresh SQLite demo database in a temporary folder, and two server
# processes on it (the second one serving only: RECSYS_TRAIN_WORKER=false). Loopback only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { echo "bench-lifecycle: $*" >&2; }
scripts/fetch-data.sh ml-100k >/dev/null
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
port_a=18951
port_b=18952
serve() { # PORT EXTRA-ENV...
  local port="$1"; shift
  env RECSYS_LOG_LEVEL=warn "$@" target/release/recsys-server --demo --demo-data data/ml-100k \
    --database-url "sqlite://$work/shop.db" --bind "127.0.0.1:$port" --web-dir "$work/none" \
    >>"$work/server-$port.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return 0
    sleep 0.2
  done
  say "the server on $port did not come up"; cat "$work/server-$port.log" >&2; exit 1
}
serve "$port_a"
serve "$port_b" RECSYS_TRAIN_WORKER=false
a="http://127.0.0.1:$port_a"
b="http://127.0.0.1:$port_b"
token=$(curl -sf "$a/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"admin@demo.recsys.dev","password":"demo-admin-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "CPU: $cpu ($(nproc) cores); demo shop: MovieLens-100K"
echo
echo "| model | training run (s) | NDCG@10 (newest 20%) | active version's NDCG@10 |"
echo "|---|---:|---:|---:|"
for model in popular content als hybrid; do
  run=$(curl -sf "${auth[@]}" "$a/api/v1/admin/ml/train" -d "{\"model\":\"$model\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for _ in $(seq 1200); do
    status=$(curl -sf "${auth[@]}" "$a/api/v1/admin/ml/runs/$run" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [[ "$status" == queued || "$status" == running ]] || break
    sleep 0.25
  done
  [[ "$status" == succeeded ]] || { say "run $run of $model: $status: $(curl -sf "${auth[@]}" "$a/api/v1/admin/ml/runs/$run")"; exit 1; }
  curl -sf "${auth[@]}" "$a/api/v1/admin/ml/runs/$run" >"$work/run.json"
  version_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model_version_id"])' "$work/run.json")
  curl -sf "${auth[@]}" "$a/api/v1/admin/ml/models" | python3 -c '
import json, sys
vid = int(sys.argv[1]); model = sys.argv[2]
for slot in json.load(sys.stdin):
    for v in slot["versions"]:
        if v["id"] == vid:
            m = v["metrics"]
            act = m.get("active", {}).get("ndcg_at_10")
            secs, ndcg = m["train_seconds"], m["ndcg_at_10"]
            shown = "(none active)" if act is None else f"{act:.4f}"
            print(f"| {model} | {secs:.2f} | {ndcg:.4f} | {shown} |")
' "$version_id" "$model"
done
echo
# activation of the new hybrid version on A, timed; then B's first answer with it
newest=$(curl -sf "${auth[@]}" "$a/api/v1/admin/ml/models" | python3 -c '
import json, sys
for slot in json.load(sys.stdin):
    if slot["name"] == "hybrid": print(slot["versions"][0]["version"])')
python3 - "$a" "$b" "$token" "$newest" <<'PY'
import json, sys, time, urllib.request
a, b, token, version = sys.argv[1:5]
def call(url, method="GET"):
    req = urllib.request.Request(url, method=method, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
t0 = time.perf_counter()
call(f"{a}/api/v1/admin/ml/models/hybrid/versions/{version}/activate", "POST")
t1 = time.perf_counter()
while call(f"{b}/api/v1/products/recommendations?limit=10")["model_version"] != f"hybrid@v{version}":
    time.sleep(0.01)
t2 = time.perf_counter()
print(f"activation of hybrid@v{version} (load, checksum, swap; the API call): {1000*(t1-t0):.0f} ms")
print(f"second replica serving it after the activation returned: {1000*(t2-t1):.0f} ms (model poll 1 s)")
PY
