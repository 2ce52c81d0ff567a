#!/usr/bin/env bash
# recsys at another git revision against the working tree, through the same comparison, in one run:
# tells a change in recsys's speed from a change in the machine's (this kind of machine's speed
# swings up to 2.5x from day to day, so figures from different days do not answer that).
#
#   benches/compare/ab.sh REV als [--datasets synthetic,ml100k]
#   AB_ROUNDS=2 benches/compare/ab.sh b98c9fb gbdt
#
# Builds REV's Python bindings (REV's tree from `git archive` in benches/compare/.ab/<sha>/, with
# its own venv and cargo target there) and the working tree's (benches/compare/.venv, as run.sh
# does), then runs the working tree's compare_WHAT.py with REV's recsys and with the working
# tree's, alternately, AB_ROUNDS times (default 3), so that a drift of the machine during the run
# hits both. Prints each run's tables, then one table: each recsys figure's median and range at
# REV and at the working tree, beside the reference library's in the same runs (its code is the
# same in both, so its ratio is the machine's drift). REV's bindings must offer what the
# comparison script calls. Results go to benches/compare/results/ab-<sha>-<time>/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
usage="usage: benches/compare/ab.sh REV als|content|gbdt [comparison options]"
rev="${1:?$usage}"
what="${2:?$usage}"
shift 2
case "$what" in
  als | content | gbdt) ;;
  *) echo "unknown comparison '$what' (als, content, gbdt)" >&2; exit 2 ;;
esac
rounds="${AB_ROUNDS:-3}"
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "AB_ROUNDS must be a positive whole number, not '$rounds'" >&2
  exit 2
fi
sha="$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}")" || {
  echo "'$rev' is not a commit of this repository" >&2
  exit 2
}
short="${sha:0:12}"
dir="$here/.ab/$short"
if [[ ! -f "$dir/src.complete" ]]; then
  rm -rf "$dir/src"
  mkdir -p "$dir/src"
  git -C "$root" archive "$sha" | tar -x -C "$dir/src"
  touch "$dir/src.complete"
fi

# shellcheck source=benches/compare/venv.sh
source "$here/venv.sh"
echo "building recsys at $short (its own target in $dir/target) and at the working tree"
make_venv "$dir/venv" "$dir/src" "$dir/target"
make_venv "$here/.venv" "$root"
"$root/scripts/fetch-data.sh" all
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE # as run.sh: the reference libraries' fast kernels

out="$here/results/ab-$short-$(date -u +%Y%m%d-%H%M%S)"
for round in $(seq 1 "$rounds"); do
  for side in rev head; do
    if [[ "$side" == rev ]]; then
      python="$dir/venv/bin/python" label="$short"
    else
      python="$here/.venv/bin/python" label="the working tree"
    fi
    echo
    echo "## round $round of $rounds: recsys at $label"
    "$python" "$here/compare_$what.py" --out "$out/$side-$round" "$@"
  done
done
echo
"$here/.venv/bin/python" "$here/ab_summary.py" "$out" --rev "$short"
