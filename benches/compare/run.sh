#!/usr/bin/env bash
# Side-by-side comparisons of recsys with the reference libraries, each in one run here.
#
#   benches/compare/run.sh                               # everything
#   benches/compare/run.sh als [--datasets ml100k]       # ALS vs implicit 0.7.3
#   benches/compare/run.sh content                       # TF-IDF, cosine neighbours, K-Means vs scikit-learn 1.9
#   benches/compare/run.sh gbdt                          # LambdaMART, binary, regression vs LightGBM 4.7
#
# Creates its own venv (benches/compare/.venv) with the reference libraries and the recsys Python
# bindings (pip install ./bindings/python: a release build), so that every comparison runs both
# libraries in one Python process on the same arrays; fetches the datasets, and prints markdown
# tables with ratios.
# Results are also written to benches/compare/results/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"

if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  implicit==0.7.3 scikit-learn==1.9.1 lightgbm==4.7.0 threadpoolctl numpy scipy "maturin>=1.9,<2"
PATH="$venv/bin:$PATH" "$venv/bin/pip" install --quiet --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps "$root/bindings/python"

"$root/scripts/fetch-data.sh" all

# Older OpenBLAS builds are pinned to a slow kernel through these on some processors; the
# reference libraries deserve their fast one for a fair comparison.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

what="${1:-all}"
if [[ $# -gt 0 ]]; then shift; fi
run_als() {
  "$venv/bin/python" "$here/compare_als.py" \
    --ml100k "$root/data/ml-100k/ml-100k.inter" --out "$here/results" "$@"
}
run_content() {
  "$venv/bin/python" "$here/compare_content.py" \
    --ml100k-items "$root/data/ml-100k/ml-100k.item" --out "$here/results" "$@"
}
run_gbdt() {
  "$venv/bin/python" "$here/compare_gbdt.py" \
    --mslr "$root/data/mslr" --out "$here/results" "$@"
}
case "$what" in
  als) run_als "$@" ;;
  content) run_content "$@" ;;
  gbdt) run_gbdt "$@" ;;
  all) run_als "$@" && run_content && run_gbdt ;;
  *) echo "unknown comparison '$what' (als, content, gbdt, all)" >&2; exit 2 ;;
esac
