#!/usr/bin/env bash
# The store benchmark behind docs/benchmarks.md's store table: starts the test Postgres server
# (scripts/start-postgres.sh), builds the bench in release mode and prints a markdown report.
# Extra arguments go to the bench: --events N --vectors N --dims D --queries Q.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
url="$(scripts/start-postgres.sh)"
exec cargo run --quiet --release --locked -p recsys-benches --bin store_bench -- "$url" "$@"
