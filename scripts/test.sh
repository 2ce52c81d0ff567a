#!/usr/bin/env bash
# Runs every test suite of the repository. `.ci/run` calls this and nothing else, on a fresh
# machine: anything a suite needs is installed from here.
#
# Suites today: Rust (format, lints, unit + integration + doc tests of the workspace), with the
# store's Postgres side against a real PostgreSQL + pgvector server that this script installs and
# starts (scripts/start-postgres.sh). Later issues add Python and Node suites here.
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

section "all suites passed"
