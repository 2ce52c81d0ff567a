#!/usr/bin/env bash
# The importer's speed and memory: rows/s for products, customers and events and the importer's
# peak RSS, on SQLite and on PostgreSQL (scripts/start-postgres.sh), for each events count asked
# (default 1,000,000 and 10,000,000). The shop is synthetic and deterministic (150,000 products,
# 100,000 customers, events over a year with Zipf-like product popularity), written once into
# target/bench-import/ (ignored). Each backend starts from an empty database; the release binary
# is built first. Prints one markdown table with the CPU.
#
#   scripts/bench-import.sh                 # 1M and 10M events
#   scripts/bench-import.sh 200000          # a quick run
#   BACKENDS=sqlite scripts/bench-import.sh # one backend
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000000 10000000)
backends="${BACKENDS:-sqlite postgres}"
work="$root/target/bench-import"
mkdir -p "$work"

cargo build --quiet --release --locked -p recsys-server
bin="$root/target/release/recsys-server"

# the shop, once per size (the generator is seeded: the same files every time)
generate() {
  python3 - "$work" "$1" <<'PY'
import random, sys, os
out, events = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
products, customers = 150_000, 100_000
if not os.path.exists(f"{out}/products.csv"):
    with open(f"{out}/products.csv", "w") as f:
        f.write("sku,name,description,price_cents,stock\n")
        for p in range(products):
            f.write(f"P{p},Product {p},A product of the benchmark shop number {p},{rng.randrange(100, 20000)},{rng.randrange(0, 100)}\n")
    with open(f"{out}/customers.csv", "w") as f:
        f.write("external_id,email\n")
        for c in range(customers):
            f.write(f"C{c},c{c}@bench.example\n")
path = f"{out}/events-{events}.csv"
if not os.path.exists(path):
    start = 1_700_000_000_000
    kinds = ["view"] * 16 + ["click"] * 6 + ["add_to_cart"] * 2 + ["purchase"]
    with open(path + ".part", "w") as f:
        f.write("customer,sku,kind,at\n")
        step = 365 * 86_400_000 // events
        for i in range(events):
            # Zipf-like popularity: a product's rank from a Pareto draw
            p = min(int(rng.paretovariate(1.1)) - 1, products - 1)
            c = min(int(rng.paretovariate(1.3)) * 7919 % customers, customers - 1) if i % 3 == 0 else rng.randrange(customers)
            f.write(f"C{c},P{(p * 104729) % products},{kinds[i % len(kinds)]},{start + i * step + (i % 997)}\n")
    os.rename(path + ".part", path)
PY
}

# run NAME ARGS...: the import's wall time and peak RSS, from GNU time
run() {
  local label="$1"; shift
  local log="$work/time.log"
  /usr/bin/time -f '%e %M' -o "$log" "$bin" import "$@" >/dev/null
  read -r secs kib <"$log"
  echo "$label $secs $kib"
}

rows() { echo $(($(wc -l <"$1") - 1)); }
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
simd="$(grep -qw avx512f /proc/cpuinfo && echo AVX-512 || echo 'no AVX-512')"
echo "| backend | events | step | rows | seconds | rows/s | importer peak RSS |"
echo "| --- | ---: | --- | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  generate "$n"
  for backend in $backends; do
    case "$backend" in
      sqlite)
        db="$work/shop.db"; rm -f "$db" "$db-wal" "$db-shm"
        url="sqlite://$db";;
      postgres)
        admin="$(scripts/start-postgres.sh 2>/dev/null)"
        name="bench_import_$$"
        bindir="$(scripts/start-postgres.sh install "$(scripts/start-postgres.sh current)")"
        "$bindir/psql" "$admin" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null 2>&1
        url="${admin/\/postgres\?/\/$name?}";;
    esac
    for step in products customers events; do
      case "$step" in
        products) file="$work/products.csv";;
        customers) file="$work/customers.csv";;
        events) file="$work/events-$n.csv";;
      esac
      read -r _ secs kib < <(run "$step" --database-url "$url" "--$step" "$file")
      r=$(rows "$file")
      printf '| %s | %s | %s | %s | %s | %.0f | %d MB |\n' "$backend" "$n" "$step" "$r" "$secs" \
        "$(python3 -c "print($r / max($secs, 0.01))")" $((kib / 1024))
    done
  done
done
echo
echo "CPU: $cpu ($simd), $(nproc) cores. Command: scripts/bench-import.sh ${sizes[*]}"
