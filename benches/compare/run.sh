#!/usr/bin/env bash
# Side-by-side comparison of recsys with the reference libraries, in one run on this machine.
#
#   benches/compare/run.sh                      # every dataset
#   benches/compare/run.sh --datasets ml100k    # a subset (synthetic, synthetic10x, ml100k)
#
# Creates its own venv (benches/compare/.venv) with implicit 0.7.3, builds the recsys runner in
# release mode, fetches MovieLens-100K, and prints a markdown table of both libraries' figures
# and their ratios. Results are also written to benches/compare/results/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  implicit==0.7.3 threadpoolctl numpy scipy

(cd "$root" && cargo build --quiet --release -p recsys-benches --bin als_compare)
"$root/scripts/fetch-data.sh" ml-100k

# Older OpenBLAS builds are pinned to a slow kernel through these on some processors; the
# reference library deserves its fast one for a fair comparison.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
exec "$venv/bin/python" "$here/compare_als.py" \
  --recsys-bin "$root/target/release/als_compare" \
  --ml100k "$root/data/ml-100k/ml-100k.inter" \
  --out "$here/results" "$@"
