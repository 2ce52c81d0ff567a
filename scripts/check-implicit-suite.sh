#!/usr/bin/env bash
# Runs implicit 0.7.3's own tests (tests/als_test.py, recommender_base_test.py,
# evaluation_test.py from its sdist, fetched by scripts/fetch-data.sh) against recsys. The only
# change to the files: the model under test is recsys's (`from implicit.als import
# AlternatingLeastSquares` -> `from recsys.als import ...`) and so are the split and metric
# functions evaluation_test.py checks (`from implicit.evaluation import ...` -> `from
# recsys.evaluation import ...`). recommender_base_test.py is untouched: it scores recsys's
# model with implicit's own precision_at_k. Deselected tests and their reasons:
# bindings/python/tests/implicit-deselected.txt.
#
#   PYTHON=.venv-test/bin/python scripts/check-implicit-suite.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
# an absolute path, since pytest runs in another folder (not resolved: a venv's python is a link)
[[ "$python" == */* ]] && python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"

PYTHON="$python" scripts/fetch-data.sh implicit-tests
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp data/implicit-tests/{als_test,recommender_base_test,evaluation_test}.py "$work/"

# point_at_recsys FILE FROM TO: rewrites one import line, and fails if it is not there (a
# changed upstream file must not quietly test implicit instead of recsys)
point_at_recsys() {
  local file="$work/$1" from="$2" to="$3"
  grep -qxF "$from" "$file" || { echo "$1 has no line '$from'" >&2; exit 1; }
  python3 - "$file" "$from" "$to" <<'PY'
import sys
path, old, new = sys.argv[1:]
lines = open(path).read().split("\n")
open(path, "w").write("\n".join(new if line == old else line for line in lines))
PY
}
point_at_recsys als_test.py \
  "from implicit.als import AlternatingLeastSquares" \
  "from recsys.als import AlternatingLeastSquares"
point_at_recsys evaluation_test.py \
  "from implicit.evaluation import leave_k_out_split, precision_at_k, train_test_split" \
  "from recsys.evaluation import leave_k_out_split, precision_at_k, train_test_split"

deselect=()
while IFS= read -r line; do
  id="${line%%#*}"
  id="${id//[[:space:]]/}"
  [[ -n "$id" ]] && deselect+=(--deselect "$id")
done <bindings/python/tests/implicit-deselected.txt

(cd "$work" && "$python" -m pytest -q -p no:cacheprovider -rs "${deselect[@]}" \
  als_test.py recommender_base_test.py evaluation_test.py)
