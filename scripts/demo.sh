#!/usr/bin/env bash
# The main job: the shop server on its embedded default (SQLite, data/shop.db) with the demo
# shop. The first start fetches MovieLens-100K (scripts/fetch-data.sh), builds the storefront and
# dashboard (scripts/build-web.sh), turns the data into a movie shop, trains the recommenders and
# prints the URL and the demo accounts; later starts reuse the database. Extra arguments go to recsys-server (`scripts/demo.sh --bind 127.0.0.1:9000`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/fetch-data.sh ml-100k
if command -v npm >/dev/null; then
  scripts/build-web.sh
else
  echo "npm is not installed: the server starts with its API only (the pages need Node >= 20)" >&2
fi
export RECSYS_LOG="${RECSYS_LOG:-pretty}"
export RECSYS_LOG_LEVEL="${RECSYS_LOG_LEVEL:-warn,recsys_server=info}"
exec cargo run --quiet --release --locked -p recsys-server -- --demo --demo-data data/ml-100k "$@"
