#!/usr/bin/env bash
# Runs every test suite of the repository. `.ci/run` calls this and nothing else, on a fresh
# machine: anything a suite needs is installed from here.
#
# Suites today: Rust (format, lints, unit + integration + doc tests of the workspace), with the
# store's Postgres side against a real PostgreSQL + pgvector server that this script installs and
# starts (scripts/start-postgres.sh), and the Python bindings: built with `pip install
# ./bindings/python` into a venv of their own, tested with pytest against implicit, scikit-learn
# and LightGBM. Later issues add the Node suite here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

section() { printf '\n==== %s ====\n' "$*"; }

section "rust: format"
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all -- --check
else
  echo "rustfmt is not installed; skipping the format check"
fi

section "rust: clippy"
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets --locked -- -D warnings
else
  echo "clippy is not installed; skipping lints"
fi

section "postgres: a real server for the store's suite"
RECSYS_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
export RECSYS_TEST_POSTGRES_URL
echo "$RECSYS_TEST_POSTGRES_URL"

section "rust: tests (SQLite and Postgres backends included)"
cargo test --workspace --locked

section "python: install the bindings (pip install ./bindings/python) and run pytest"
venv="$root/.venv-test"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  "maturin>=1.9,<2" numpy scipy pytest tqdm threadpoolctl \
  implicit==0.7.3 scikit-learn==1.9.1 lightgbm==4.7.0
# no build isolation: the build backend (maturin) comes from the venv, found on PATH
PATH="$venv/bin:$PATH" "$venv/bin/pip" install --quiet --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps ./bindings/python
# run from the tests folder so `import recsys` is the installed package, not the source tree
(cd bindings/python/tests && "$venv/bin/python" -m pytest -q -p no:cacheprovider .)

section "all suites passed"
