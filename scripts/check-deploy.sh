#!/usr/bin/env bash
# Runs the commands of docs/deploy.md as written, in a temporary root: the binary serving from a
# data folder it creates, its backup while it serves, the restore into another folder and the
# check; on PostgreSQL (when RECSYS_TEST_POSTGRES_URL names a test server) the guide's pg_dump and
# pg_restore flags and the check of the restored database. Absolute paths of the guide
# (/var/lib/recsys..., /backups) are moved under the temporary root; `recsys-server` is the binary
# `cargo test --workspace` built (scripts/lib/server.sh). What is not run: `cargo install` (a
# release build; CI builds the workspace once) and the proxy and systemd examples (checked by the
# unit test `cargo test -p recsys-server --lib deploy`).
#
#   scripts/check-deploy.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/lib/server.sh
bin="$(server_binary)"
[[ -x "$bin" ]] || { echo "check-deploy: no recsys-server binary from cargo test" >&2; exit 1; }
work="$(mktemp -d)"
serving=""
trap '[[ -n "$serving" ]] && kill "$serving" 2>/dev/null; rm -rf "$work"' EXIT
port="${RECSYS_CHECK_PORT:-18951}"

# guide_commands SECTION: the lines of the ```bash blocks under the heading SECTION, comments off
guide_commands() {
  python3 - "$1" "$root/docs/deploy.md" <<'PY'
import re, sys
section, path = sys.argv[1], sys.argv[2]
text = open(path).read()
part = re.split(r"^## ", text, flags=re.M)
body = next(p for p in part if p.startswith(section))
for block in re.findall(r"```bash\n(.*?)```", body, flags=re.S):
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line:
            print(line)
PY
}

# as_run LINE: one line of the guide with its absolute paths under $work and `recsys-server` the
# built binary; run LINE: it, after printing it as the guide has it
as_run() {
  local line="$1"
  line="${line//\/var\/lib\//$work/var/lib/}"
  line="${line//\/backups/$work/backups}"
  echo "${line//recsys-server /\"\$bin\" }"
}
export bin
run() {
  echo "+ $1"
  bash -o pipefail -c "$(as_run "$1")"
}

export RECSYS_LOG_LEVEL=warn RECSYS_BIND="127.0.0.1:$port"
echo "== The binary: serves from any directory, its data where --data-dir says"
serve="$(guide_commands "The binary" | grep '^recsys-server ')"
echo "+ $serve"
(cd "$work" && exec bash -c "exec $(as_run "$serve")" >"$work/serve.log" 2>&1) &
serving=$!
for _ in $(seq 60); do
  curl -sf "http://127.0.0.1:$port/health/live" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$port/api/v1/products?limit=1" >/dev/null ||
  { cat "$work/serve.log" >&2; echo "check-deploy: the server did not serve" >&2; exit 1; }
grep -q "database: SQLite $work/var/lib/recsys/shop.db" "$work/serve.log" ||
  { cat "$work/serve.log" >&2; echo "check-deploy: start-up does not say where the data is" >&2; exit 1; }

echo "== Backups and restore (SQLite), while it serves"
# a small shop to back up, imported while the server runs
printf 'sku,name,price_cents,stock\nDEP-1,Deploy tea,450,10\nDEP-2,Deploy cup,1200,3\nDEP-3,Deploy pot,3900,1\n' \
  >"$work/products.csv"
"$bin" --data-dir "$work/var/lib/recsys" import --products "$work/products.csv" >/dev/null
guide_commands "Backups and restore" | grep -v -e '^pg_' -e 'DATABASE_URL' >"$work/sqlite.txt"
while IFS= read -r line; do run "$line"; done <"$work/sqlite.txt" 2>&1 | tee "$work/sqlite.log"
grep -q '^check: 0 orders, 3 products' "$work/sqlite.log" ||
  { echo "check-deploy: the restored shop does not hold the 3 products" >&2; exit 1; }
kill "$serving" && wait "$serving" 2>/dev/null || true
serving=""

if [[ -n "${RECSYS_TEST_POSTGRES_URL:-}" ]]; then
  echo "== Backups and restore (PostgreSQL): the guide's pg_dump and pg_restore flags"
  pg_bin="$(scripts/start-postgres.sh install "$(scripts/start-postgres.sh current)")"
  db="deploy_check_$$"
  admin="$RECSYS_TEST_POSTGRES_URL"
  psql() { PGOPTIONS="-c client_min_messages=warning" "$pg_bin/psql" -qAt -v ON_ERROR_STOP=1 "$@"; }
  psql "$admin" -c "DROP DATABASE IF EXISTS ${db}_old" -c "DROP DATABASE IF EXISTS ${db}_new" \
    -c "CREATE DATABASE ${db}_old" -c "CREATE DATABASE ${db}_new"
  RECSYS_DATABASE_URL="$(sed "s#/[^/?]*?#/${db}_old?#" <<<"$admin")"
  NEW_DATABASE_URL="$(sed "s#/[^/?]*?#/${db}_new?#" <<<"$admin")"
  export RECSYS_DATABASE_URL NEW_DATABASE_URL
  "$bin" import --products "$work/products.csv" >/dev/null # the schema and a small shop
  (
    cd "$work"
    export PATH="$pg_bin:$PATH"
    guide_commands "Backups and restore" | grep -e '^pg_' -e 'DATABASE_URL' |
      while IFS= read -r line; do run "$line"; done
  ) 2>&1 | tee "$work/postgres.log"
  grep -q '^check: 0 orders, 3 products' "$work/postgres.log" ||
    { echo "check-deploy: the restored PostgreSQL shop does not hold the 3 products" >&2; exit 1; }
  psql "$admin" -c "DROP DATABASE ${db}_old" -c "DROP DATABASE ${db}_new"
else
  echo "== PostgreSQL: skipped (no RECSYS_TEST_POSTGRES_URL)"
fi
echo "check-deploy: the guide's commands ran as written"
