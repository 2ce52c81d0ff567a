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

# shellcheck source=benches/compare/venv.sh
source "$here/venv.sh"
make_venv "$venv" "$root"

"$root/scripts/fetch-data.sh" all

# Older OpenBLAS builds are pinned to a slow kernel through these on some processors; the
# reference libraries deserve their fast one for a fair comparison.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

what="${1:-all}"
if [[ $# -gt 0 ]]; then shift; fi
run() {
  "$venv/bin/python" "$here/compare_$1.py" "${@:2}"
}
case "$what" in
  als | content | gbdt) run "$what" "$@" ;;
  all) run als "$@" && run content && run gbdt ;;
  *) echo "unknown comparison '$what' (als, content, gbdt, all)" >&2; exit 2 ;;
esac
