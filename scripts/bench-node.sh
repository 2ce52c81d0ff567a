#!/usr/bin/env bash
# The Node binding's overhead against the Rust crate, in one run on this machine: ALS fit and a
# batch recommendation for every user of MovieLens-100K, through `recsys` for Node
# (benches/node/bench.mjs) and through recsys-core directly (benches/src/bin/binding_bench.rs).
# Prints the CPU and a Markdown table (docs/benchmarks.md's Node binding table comes from here).
#
#   scripts/bench-node.sh [REPS]     # default 5 repetitions, medians reported
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
reps="${1:-5}"
scripts/fetch-data.sh ml-100k >/dev/null
cargo build --quiet --locked --release -p recsys-benches --bin binding_bench
source scripts/lib/npm.sh
npm_ci_once bindings/node
(cd bindings/node && npm run --silent build)
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "CPU: $cpu ($(nproc) cores); Node $(node --version)"
node benches/node/bench.mjs data/ml-100k/ml-100k.inter target/release/binding_bench "$reps"
