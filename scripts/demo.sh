#!/usr/bin/env bash
# The main job: fetch MovieLens-100K, train ALS and the popularity baseline, evaluate both and
# print recommendations. (The reference server replaces this once it exists.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/fetch-data.sh ml-100k
exec cargo run --quiet --release -p recsys-examples --bin movielens -- data/ml-100k
